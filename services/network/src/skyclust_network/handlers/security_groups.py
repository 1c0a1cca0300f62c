"""Security groups (AWS security groups, GCP firewall rules, Azure NSGs) with their rules:
the requests, and the saga steps that make the cloud's rules those of the group."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import (
    Conflict,
    NotFound,
    ProviderError,
    SkyclustError,
    ValidationFailed,
)
from skyclust_common.messaging import Delivery, RpcContext

from ..adapters.db import SecurityGroup, SecurityGroups, Vpc, Vpcs
from ..domain.model import (
    CHANGEABLE,
    DELETABLE,
    GCP_GROUP_NAME_MAX,
    Rule,
    Status,
    matches_tag,
    plain_text,
    tag_filter,
    validate_name,
    validate_rules,
    validate_tags,
)
from .common import (
    NetworkDeps,
    detached,
    fail,
    group_or_404,
    group_view,
    provider_of,
    require_changeable,
    resource_event,
    retry_or_fail,
    secret,
    transition,
    vpc_or_404,
)

PREFIX = "SecurityGroup"


def requested_event(group: SecurityGroup, **kw: Any) -> CloudEvent:
    return resource_event(
        "SecurityGroupRequested",
        group,
        {
            "credential_id": str(group.credential_id),
            "region": group.region,
            "rules": list(group.rules or []),
            "cluster_id": str(group.cluster_id) if group.cluster_id else None,
        },
        **kw,
    )


def ready_event(group: SecurityGroup) -> CloudEvent:
    return resource_event(
        "SecurityGroupReady",
        group,
        {"cloud_id": group.cloud_id, "rule_count": len(group.rules or [])},
    )


def deleted_event(group: SecurityGroup) -> CloudEvent:
    return resource_event("SecurityGroupDeleted", group, {})


def validate_group_name(provider: str, name: str) -> str:
    validate_name(provider, name)
    if provider == "gcp" and len(name) > GCP_GROUP_NAME_MAX:
        raise ValidationFailed(
            f"on GCP a security group name is at most {GCP_GROUP_NAME_MAX} characters "
            "(its firewall rules are named after it)",
            code="INVALID_NAME",
            details={"field": "name"},
        )
    if provider == "aws" and name.lower().startswith("sg-"):
        raise ValidationFailed(
            "AWS security group names may not start with sg-",
            code="INVALID_NAME",
            details={"field": "name"},
        )
    return name


def _rules(provider: str, raw: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [r.to_dict() for r in validate_rules(provider, raw)]


async def create_security_group(
    deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    provider = data["provider"]
    provider_of(deps, provider)
    name = validate_group_name(provider, data["name"])
    rules = _rules(provider, data.get("rules"))
    tags = validate_tags(data.get("tags"))
    async with deps.uow() as uow:
        vpc = await vpc_or_404(uow.session, data["workspace_id"], data["vpc_id"])
        if vpc.provider != provider:
            raise NotFound("vpc not found", code="VPC_NOT_FOUND")
        require_changeable(vpc, "vpc", frozenset(Status))
        if vpc.status != Status.READY or vpc.cloud_id is None:
            raise Conflict(
                f"network '{vpc.name}' is {vpc.status}; groups can be added once it is READY",
                code="VPC_NOT_READY",
            )
        taken = Conflict(
            f"network '{vpc.name}' has a security group named {name}",
            code="SECURITY_GROUP_NAME_TAKEN",
        )
        if await SecurityGroups(uow.session).live_by_name(vpc.id, name):
            raise taken
        group = SecurityGroup(
            id=uuid.uuid4(),
            workspace_id=vpc.workspace_id,
            vpc_id=vpc.id,
            provider=provider,
            credential_id=vpc.credential_id,
            name=name,
            region=vpc.region,
            description=plain_text(data.get("description") or "", "description")[:255],
            rules=rules,
            status=Status.PENDING,
            tags=tags,
            created_by=data["actor_id"],
        )
        uow.session.add(group)
        uow.emit(requested_event(group, actor_id=data["actor_id"]))
        try:
            await uow.commit()
        except IntegrityError:
            raise taken from None
        await uow.session.refresh(group)
        return group_view(group)


async def list_security_groups(
    deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    wanted_tag = tag_filter(data.get("tag"))
    async with deps.uow() as uow:
        rows = await SecurityGroups(uow.session).search(
            uuid.UUID(data["workspace_id"]),
            provider=data.get("provider"),
            vpc_id=uuid.UUID(data["vpc_id"]) if data.get("vpc_id") else None,
            region=data.get("region"),
            credential_id=uuid.UUID(data["credential_id"]) if data.get("credential_id") else None,
        )
        return {"items": [group_view(r) for r in rows if matches_tag(r.tags or {}, wanted_tag)]}


async def get_security_group(
    deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        return group_view(
            await group_or_404(
                uow.session,
                data["workspace_id"],
                data["security_group_id"],
                provider=data.get("provider"),
            )
        )


async def update_security_group(
    deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        group = await group_or_404(
            uow.session,
            data["workspace_id"],
            data["security_group_id"],
            for_update=True,
            provider=data.get("provider"),
        )
        require_changeable(group, "security_group", CHANGEABLE)
        if group.cloud_id is None:
            raise Conflict(
                "the security group was never created; delete it instead",
                code="SECURITY_GROUP_BUSY",
            )
        if "rules" in data:
            group.rules = _rules(group.provider, data["rules"])
        if "tags" in data:
            group.tags = validate_tags(data["tags"])
        group.status = Status.UPDATING
        group.status_reason = group.status_message = None
        uow.emit(
            resource_event(
                "SecurityGroupUpdateRequested",
                group,
                {"rules": list(group.rules or []), "tags": dict(group.tags or {})},
                actor_id=data["actor_id"],
            )
        )
        await uow.commit()
        await uow.session.refresh(group)
        return group_view(group)


async def delete_security_group(
    deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        group = await group_or_404(
            uow.session,
            data["workspace_id"],
            data["security_group_id"],
            for_update=True,
            provider=data.get("provider"),
        )
        if group.status == Status.DELETING:
            return group_view(group)
        require_changeable(group, "security_group", DELETABLE)
        group.status = Status.DELETING
        group.status_reason = group.status_message = None
        uow.emit(
            resource_event("SecurityGroupDeleteRequested", group, {}, actor_id=data["actor_id"])
        )
        await uow.commit()
        await uow.session.refresh(group)
        return group_view(group)


# saga steps ---------------------------------------------------------------------------------


async def _load(deps: NetworkDeps, event: CloudEvent) -> tuple[SecurityGroup, Vpc] | None:
    async with deps.uow() as uow:
        group = await SecurityGroups(uow.session).get(
            uuid.UUID(event.workspaceid or ""), uuid.UUID(event.data["security_group_id"])
        )
        if group is None:
            return None
        vpc = await Vpcs(uow.session).get(group.workspace_id, group.vpc_id)
        assert vpc is not None  # a foreign key
        return detached(uow.session, group), detached(uow.session, vpc)


def _rules_of(cloud_rules: tuple[Rule, ...]) -> list[dict[str, Any]]:
    return [r.to_dict() for r in cloud_rules]


async def on_security_group_requested(
    deps: NetworkDeps, event: CloudEvent, delivery: Delivery
) -> None:
    loaded = await _load(deps, event)
    if loaded is None or loaded[0].status != Status.PENDING or loaded[0].cluster_id is not None:
        return
    group, vpc = loaded
    ws, group_id, pending = str(group.workspace_id), str(group.id), frozenset({Status.PENDING})
    try:
        if vpc.cloud_id is None:
            raise Conflict(
                f"network '{vpc.name}' does not exist in the cloud", code="VPC_NOT_READY"
            )
        provider = provider_of(deps, group.provider)
        credential = await secret(
            deps, ws, str(group.credential_id), "create security group", group_id
        )
        cloud = await provider.create_security_group(credential, vpc.spec(), group.spec())
        await transition(
            deps,
            SecurityGroup,
            ws,
            group_id,
            pending,
            Status.READY,
            lambda row: [ready_event(row)],
            cloud_id=cloud.cloud_id,
            status_reason=None,
            status_message=None,
        )
    except (NotFound, Conflict) as exc:
        await fail(deps, PREFIX, SecurityGroup, ws, group_id, pending, exc, "create")
    except SkyclustError as exc:
        await retry_or_fail(
            deps, PREFIX, SecurityGroup, ws, group_id, pending, exc, delivery, "create"
        )


async def on_security_group_update_requested(
    deps: NetworkDeps, event: CloudEvent, delivery: Delivery
) -> None:
    loaded = await _load(deps, event)
    if loaded is None or loaded[0].status != Status.UPDATING:
        return
    group, vpc = loaded
    ws, group_id, updating = str(group.workspace_id), str(group.id), frozenset({Status.UPDATING})
    try:
        provider = provider_of(deps, group.provider)
        credential = await secret(
            deps, ws, str(group.credential_id), "update security group", group_id
        )
        await provider.update_security_group(credential, vpc.spec(), group.spec())
        await transition(
            deps,
            SecurityGroup,
            ws,
            group_id,
            updating,
            Status.READY,
            lambda row: [
                resource_event(
                    "SecurityGroupUpdated",
                    row,
                    {"rule_count": len(row.rules or []), "tags": dict(row.tags or {})},
                )
            ],
        )
    except NotFound as exc:
        await fail(deps, PREFIX, SecurityGroup, ws, group_id, updating, exc, "update")
    except SkyclustError as exc:
        await retry_or_fail(
            deps, PREFIX, SecurityGroup, ws, group_id, updating, exc, delivery, "update"
        )


async def on_security_group_delete_requested(
    deps: NetworkDeps, event: CloudEvent, delivery: Delivery
) -> None:
    loaded = await _load(deps, event)
    if loaded is None or loaded[0].status != Status.DELETING:
        return
    group, vpc = loaded
    ws, group_id, deleting = str(group.workspace_id), str(group.id), frozenset({Status.DELETING})
    try:
        provider = provider_of(deps, group.provider)
        credential = await secret(
            deps, ws, str(group.credential_id), "delete security group", group_id
        )
        await provider.delete_security_group(credential, vpc.spec(), group.spec())
        if await provider.get_security_group(credential, vpc.spec(), group.spec()) is not None:
            raise ProviderError(
                "the cloud still shows the security group",
                code="PROVIDER_UNAVAILABLE",
                retryable=True,
            )
        await transition(
            deps,
            SecurityGroup,
            ws,
            group_id,
            deleting,
            Status.DELETED,
            lambda row: [deleted_event(row)],
        )
    except NotFound as exc:
        await fail(deps, PREFIX, SecurityGroup, ws, group_id, deleting, exc, "delete")
    except SkyclustError as exc:
        await retry_or_fail(
            deps, PREFIX, SecurityGroup, ws, group_id, deleting, exc, delivery, "delete"
        )
