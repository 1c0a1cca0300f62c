"""Security groups (AWS security groups, GCP firewall rules, Azure NSGs) with their rules:
the requests, and their part of the resource lifecycle (`lifecycle.py`): the cloud calls
that make the cloud's rules those of the group."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from skyclust_common.messages.base import Part
from skyclust_common.messages.rpc import (
    CreateSecurityGroup,
    DeleteSecurityGroup,
    GetSecurityGroup,
    ListSecurityGroups,
    UpdateSecurityGroup,
)
from skyclust_common.messaging import RpcContext

from ..adapters.db import SecurityGroup, Vpc
from ..adapters.providers.base import Credential, NetworkProvider
from ..adapters.repositories import Filter
from ..domain.errors import (
    InvalidName,
    SecurityGroupBusy,
    SecurityGroupNameTaken,
    SecurityGroupNotFound,
    UniqueViolation,
)
from ..domain.lifecycle import Operation
from ..domain.model import (
    CHANGEABLE,
    DELETABLE,
    GCP_GROUP_NAME_MAX,
    Status,
    matches_tag,
    plain_text,
    tag_filter,
    validate_name,
    validate_rules,
    validate_tags,
)
from . import vpcs
from .common import LISTED_BY, NetworkDeps, group_view, provider_of, wire
from .lifecycle import (
    Kind,
    get_or_404,
    request,
    require_changeable,
    require_ready_network,
    saga_step,
)


def _data(group: SecurityGroup, suffix: str) -> dict[str, Any]:
    if suffix == "Requested":
        return {
            "credential_id": str(group.credential_id),
            "region": group.region,
            "rules": list(group.rules or []),
            "cluster_id": str(group.cluster_id) if group.cluster_id else None,
        }
    if suffix == "Ready":
        return {"cloud_id": group.cloud_id, "rule_count": len(group.rules or [])}
    if suffix == "UpdateRequested":
        return {"rules": list(group.rules or []), "tags": dict(group.tags or {})}
    if suffix == "Updated":
        return {"rule_count": len(group.rules or []), "tags": dict(group.tags or {})}
    return {}  # DeleteRequested, Deleted


def validate_group_name(provider: str, name: str) -> str:
    validate_name(provider, name)
    if provider == "gcp" and len(name) > GCP_GROUP_NAME_MAX:
        raise InvalidName(
            f"on GCP a security group name is at most {GCP_GROUP_NAME_MAX} characters "
            "(its firewall rules are named after it)",
            details={"field": "name"},
        )
    if provider == "aws" and name.lower().startswith("sg-"):
        raise InvalidName(
            "AWS security group names may not start with sg-",
            details={"field": "name"},
        )
    return name


def _rules(provider: str, requested: Sequence[Part] | None) -> list[dict[str, Any]]:
    raw = [wire(rule) for rule in requested or ()]
    return [r.to_dict() for r in validate_rules(provider, raw)]


async def create_security_group(
    deps: NetworkDeps, req: CreateSecurityGroup.Request, ctx: RpcContext
) -> dict[str, Any]:
    provider = req.provider
    provider_of(deps, provider)
    name = validate_group_name(provider, req.name)
    rules = _rules(provider, req.rules)
    tags = validate_tags(req.tags)
    async with deps.uow() as uow:
        vpc = await get_or_404(uow, vpcs.KIND, req.workspace_id, req.vpc_id, provider)
        require_ready_network(vpc, "groups")
        taken = SecurityGroupNameTaken(
            f"network '{vpc.name}' has a security group named {name}",
        )
        if await uow.security_groups.live_by_name(vpc.id, name):
            raise taken
        group = SecurityGroup(
            id=uuid.uuid4(),
            workspace_id=vpc.workspace_id,
            vpc_id=vpc.id,
            provider=provider,
            credential_id=vpc.credential_id,
            name=name,
            region=vpc.region,
            description=plain_text(req.description or "", "description")[:255],
            rules=rules,
            status=Status.PENDING,
            tags=tags,
            created_by=req.actor_id,
        )
        uow.security_groups.add(group)
        uow.emit(KIND.event("Requested", group, actor_id=req.actor_id))
        try:
            await uow.commit()
        except UniqueViolation:
            raise taken from None
        await uow.refresh(group)
        return group_view(group)


async def list_security_groups(
    deps: NetworkDeps, req: ListSecurityGroups.Request, ctx: RpcContext
) -> dict[str, Any]:
    wanted_tag = tag_filter(req.tag)
    async with deps.uow() as uow:
        rows = await uow.security_groups.search(req.workspace_id, Filter.of(req, *LISTED_BY))
        return {"items": [group_view(r) for r in rows if matches_tag(r.tags or {}, wanted_tag)]}


async def get_security_group(
    deps: NetworkDeps, req: GetSecurityGroup.Request, ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        return group_view(
            await get_or_404(uow, KIND, req.workspace_id, req.security_group_id, req.provider)
        )


async def update_security_group(
    deps: NetworkDeps, req: UpdateSecurityGroup.Request, ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        group = await get_or_404(
            uow, KIND, req.workspace_id, req.security_group_id, req.provider, for_update=True
        )
        require_changeable(KIND, group, CHANGEABLE)
        if group.cloud_id is None:
            raise SecurityGroupBusy(
                "the security group was never created; delete it instead",
            )
        if req.rules is not None:
            group.rules = _rules(group.provider, req.rules)
        if req.tags is not None:
            group.tags = validate_tags(req.tags)
        request(uow, KIND, group, Operation.UPDATE, req.actor_id)
        await uow.commit()
        await uow.refresh(group)
        return group_view(group)


async def delete_security_group(
    deps: NetworkDeps, req: DeleteSecurityGroup.Request, ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        group = await get_or_404(
            uow, KIND, req.workspace_id, req.security_group_id, req.provider, for_update=True
        )
        if group.status == Status.DELETING:
            return group_view(group)
        require_changeable(KIND, group, DELETABLE)
        request(uow, KIND, group, Operation.DELETE, req.actor_id)
        await uow.commit()
        await uow.refresh(group)
        return group_view(group)


# the cloud's part of the lifecycle ------------------------------------------------------


async def _create(
    deps: NetworkDeps,
    provider: NetworkProvider,
    credential: Credential,
    group: SecurityGroup,
    vpc: Vpc,
) -> dict[str, Any]:
    cloud = await provider.create_security_group(credential, vpc.spec(), group.spec())
    return {"cloud_id": cloud.cloud_id}


async def _update(
    deps: NetworkDeps,
    provider: NetworkProvider,
    credential: Credential,
    group: SecurityGroup,
    vpc: Vpc,
) -> None:
    await provider.update_security_group(credential, vpc.spec(), group.spec())


async def _delete(
    deps: NetworkDeps,
    provider: NetworkProvider,
    credential: Credential,
    group: SecurityGroup,
    vpc: Vpc,
) -> None:
    await provider.delete_security_group(credential, vpc.spec(), group.spec())


async def _exists(
    provider: NetworkProvider, credential: Credential, group: SecurityGroup, vpc: Vpc
) -> bool:
    return await provider.get_security_group(credential, vpc.spec(), group.spec()) is not None


KIND: Kind[SecurityGroup] = Kind(
    prefix="SecurityGroup",
    label="security_group",
    noun="security group",
    id_field="security_group_id",
    repository=lambda uow: uow.security_groups,
    missing=SecurityGroupNotFound,
    busy=SecurityGroupBusy,
    data=_data,
    cloud={Operation.CREATE: _create, Operation.UPDATE: _update, Operation.DELETE: _delete},
    exists=_exists,
)

on_security_group_requested = saga_step(KIND, Operation.CREATE)
on_security_group_update_requested = saga_step(KIND, Operation.UPDATE)
on_security_group_delete_requested = saga_step(KIND, Operation.DELETE)
