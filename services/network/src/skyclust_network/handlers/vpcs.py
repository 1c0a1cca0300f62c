"""Networks (AWS VPCs, GCP VPC networks, Azure VNets): the requests, and the saga steps
that take a network from PENDING to READY (or FAILED), through UPDATING, and DELETING to
DELETED. Every step re-reads the persisted state, so a redelivery after a crash resumes."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import Conflict, NotFound, ProviderError, SkyclustError
from skyclust_common.messaging import Delivery, RpcContext

from ..adapters.db import ClusterLinks, SecurityGroups, Subnets, Vpc, Vpcs, lock_workspace_plan
from ..domain import cidr
from ..domain.model import (
    CHANGEABLE,
    DELETABLE,
    GCP_GLOBAL,
    Status,
    default_resource_group,
    matches_tag,
    tag_filter,
    validate_name,
    validate_region,
    validate_resource_group,
    validate_tags,
)
from . import discovery
from .common import (
    NetworkDeps,
    check_credential,
    detached,
    fail,
    provider_of,
    require_changeable,
    resource_event,
    retry_or_fail,
    secret,
    transition,
    vpc_or_404,
    vpc_view,
    vpc_views,
)

PREFIX = "Vpc"


def _name_taken(name: str, region: str) -> Conflict:
    return Conflict(f"a network named {name} exists in {region}", code="VPC_NAME_TAKEN")


def requested_event(vpc: Vpc, **kw: Any) -> CloudEvent:
    return resource_event(
        "VpcRequested",
        vpc,
        {
            "credential_id": str(vpc.credential_id),
            "region": vpc.region,
            "cidr": vpc.cidr_block,
            "resource_group": vpc.resource_group,
            "tags": dict(vpc.tags or {}),
            "allow_overlap": vpc.allow_overlap,
            "cluster_id": str(vpc.cluster_id) if vpc.cluster_id else None,
        },
        **kw,
    )


def ready_event(vpc: Vpc) -> CloudEvent:
    return resource_event(
        "VpcReady",
        vpc,
        {
            "credential_id": str(vpc.credential_id),
            "region": vpc.region,
            "cidr": vpc.cidr_block,
            "cloud_id": vpc.cloud_id,
        },
    )


def deleted_event(vpc: Vpc) -> CloudEvent:
    return resource_event("VpcDeleted", vpc, {"credential_id": str(vpc.credential_id)})


def plan_vpc(
    existing: list[cidr.KnownNetwork],
    provider: str,
    cidr_block: str | None,
    prefix_length: int | None,
    allow_overlap: bool,
) -> tuple[str, list[cidr.Overlap]]:
    if cidr_block is None:
        return str(cidr.suggest(prefix_length or 16, existing, provider=provider)), []
    net, accepted = cidr.check_vpc(
        cidr_block, existing, provider=provider, allow_overlap=allow_overlap
    )
    return str(net), accepted


# requests ---------------------------------------------------------------------------------


async def create_vpc(deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    provider = data["provider"]
    provider_of(deps, provider)
    name = validate_name(provider, data["name"])
    if provider == "gcp":
        region = validate_region(provider, data["region"]) if data.get("region") else GCP_GLOBAL
    else:
        region = validate_region(provider, data.get("region") or "")
    resource_group = None
    if provider == "azure":
        resource_group = validate_resource_group(
            data.get("resource_group") or default_resource_group(region)
        )
    tags = validate_tags(data.get("tags"))
    gcp = data.get("gcp_config") or {}
    await check_credential(deps, data["workspace_id"], data["credential_id"], provider)
    workspace_id = uuid.UUID(data["workspace_id"])
    async with deps.uow() as uow:
        await lock_workspace_plan(uow.session, workspace_id)
        vpcs = Vpcs(uow.session)
        if await vpcs.live_by_name(workspace_id, provider, region, name):
            raise _name_taken(name, region)
        existing = [row.known() for row in await vpcs.planned(workspace_id)]
        block, accepted = plan_vpc(
            existing,
            provider,
            data.get("cidr_block"),
            data.get("prefix_length"),
            bool(data.get("allow_overlap")),
        )
        vpc = Vpc(
            id=uuid.uuid4(),
            workspace_id=workspace_id,
            provider=provider,
            credential_id=uuid.UUID(data["credential_id"]),
            name=name,
            region=region,
            cidr_block=block,
            address_space=[block],
            resource_group=resource_group,
            managed=True,
            allow_overlap=bool(data.get("allow_overlap")),
            status=Status.PENDING,
            tags=tags,
            network_mode="CUSTOM" if provider == "gcp" else None,
            routing_mode=(gcp.get("routing_mode") or "REGIONAL") if provider == "gcp" else None,
            mtu=(gcp.get("mtu") or 1460) if provider == "gcp" else None,
            auto_subnets=False if provider == "gcp" else None,
            created_by=data["actor_id"],
        )
        uow.session.add(vpc)
        uow.emit(requested_event(vpc, actor_id=data["actor_id"]))
        try:
            await uow.commit()
        except IntegrityError:
            raise _name_taken(name, region) from None
        await uow.session.refresh(vpc)
        return {**vpc_view(vpc, 0), "overlaps": [o.to_dict() for o in accepted]}


async def list_vpcs(deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    wanted_tag = tag_filter(data.get("tag"))
    managed = data.get("managed")
    async with deps.uow() as uow:
        rows = await Vpcs(uow.session).search(
            uuid.UUID(data["workspace_id"]),
            provider=data.get("provider"),
            region=data.get("region"),
            credential_id=uuid.UUID(data["credential_id"]) if data.get("credential_id") else None,
            managed=managed,
        )
        rows = [r for r in rows if matches_tag(r.tags or {}, wanted_tag)]
        return {"items": await vpc_views(uow.session, rows)}


async def get_vpc(deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    async with deps.uow() as uow:
        vpc = await vpc_or_404(
            uow.session, data["workspace_id"], data["vpc_id"], provider=data.get("provider")
        )
        return (await vpc_views(uow.session, [vpc]))[0]


async def update_vpc(deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    tags = validate_tags(data.get("tags"))
    async with deps.uow() as uow:
        vpc = await vpc_or_404(
            uow.session,
            data["workspace_id"],
            data["vpc_id"],
            for_update=True,
            provider=data.get("provider"),
        )
        require_changeable(vpc, "vpc", CHANGEABLE)
        if vpc.cloud_id is None:
            raise Conflict("the network was never created; delete it instead", code="VPC_BUSY")
        vpc.tags = tags
        vpc.status = Status.UPDATING
        vpc.status_reason = vpc.status_message = None
        uow.emit(
            resource_event("VpcUpdateRequested", vpc, {"tags": tags}, actor_id=data["actor_id"])
        )
        await uow.commit()
        await uow.session.refresh(vpc)
        return (await vpc_views(uow.session, [vpc]))[0]


async def _dependents(deps: NetworkDeps, vpc: Vpc) -> dict[str, list[dict[str, str]]]:
    """Everything that keeps a network in use: SkyClust's subnets, security groups and
    clusters, and what the cloud holds in it that SkyClust did not make. A cloud that
    cannot answer stops the delete: an error never means "nothing there"."""
    async with deps.uow() as uow:
        subnets = await Subnets(uow.session).of_vpc(vpc.id)
        groups = await SecurityGroups(uow.session).of_vpc(vpc.id)
        clusters = await ClusterLinks(uow.session).of_vpc(vpc.id)
        found: dict[str, list[dict[str, str]]] = {
            "subnets": [{"id": str(s.id), "name": s.name} for s in subnets],
            "security_groups": [{"id": str(g.id), "name": g.name} for g in groups],
            "clusters": [{"id": str(c.cluster_id), "name": c.cluster_name} for c in clusters],
            "instances": [],
            "other": [],
        }
        known = {s.cloud_id for s in subnets} | {g.cloud_id for g in groups}
    if vpc.cloud_id is None:
        return found
    provider = provider_of(deps, vpc.provider)
    credential = await secret(
        deps, str(vpc.workspace_id), str(vpc.credential_id), "check network use", str(vpc.id)
    )
    for dependent in await provider.vpc_dependents(credential, vpc.spec()):
        if dependent.id in known:
            continue
        key = "instances" if dependent.kind == "instance" else "other"
        found[key].append(dependent.to_dict())
    return found


def _in_use_message(name: str, found: dict[str, list[dict[str, str]]]) -> str:
    parts = []
    for key, label in (
        ("subnets", "subnets"),
        ("security_groups", "security groups"),
        ("clusters", "clusters"),
        ("instances", "instances"),
        ("other", "other resources"),
    ):
        if found[key]:
            names = ", ".join(item["name"] for item in found[key][:10])
            more = f" and {len(found[key]) - 10} more" if len(found[key]) > 10 else ""
            parts.append(f"{label} {names}{more}")
    return f"network '{name}' is still in use by " + "; ".join(parts)


async def delete_vpc(deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    async with deps.uow() as uow:
        vpc = await vpc_or_404(
            uow.session, data["workspace_id"], data["vpc_id"], provider=data.get("provider")
        )
        if vpc.status == Status.DELETING:
            return (await vpc_views(uow.session, [vpc]))[0]
        require_changeable(vpc, "vpc", DELETABLE)
        detached(uow.session, vpc)
    found = await _dependents(deps, vpc)
    if any(found.values()):
        raise Conflict(
            _in_use_message(vpc.name, found),
            code="VPC_IN_USE",
            details={k: v for k, v in found.items() if v},
        )
    async with deps.uow() as uow:
        vpc = await vpc_or_404(
            uow.session,
            data["workspace_id"],
            data["vpc_id"],
            for_update=True,
            provider=data.get("provider"),
        )
        if vpc.status == Status.DELETING:
            return (await vpc_views(uow.session, [vpc]))[0]
        require_changeable(vpc, "vpc", DELETABLE)
        # A subnet or group requested while the cloud was being asked still blocks.
        if await Subnets(uow.session).of_vpc(vpc.id) or await SecurityGroups(uow.session).of_vpc(
            vpc.id
        ):
            raise Conflict(f"network '{vpc.name}' gained subnets meanwhile", code="VPC_IN_USE")
        vpc.status = Status.DELETING
        vpc.status_reason = vpc.status_message = None
        uow.emit(
            resource_event(
                "VpcDeleteRequested",
                vpc,
                {"credential_id": str(vpc.credential_id)},
                actor_id=data["actor_id"],
            )
        )
        await uow.commit()
        await uow.session.refresh(vpc)
        return (await vpc_views(uow.session, [vpc]))[0]


async def adopt_vpc(deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    workspace_id = uuid.UUID(data["workspace_id"])
    async with deps.uow() as uow:
        vpc = await vpc_or_404(
            uow.session,
            data["workspace_id"],
            data["vpc_id"],
            for_update=True,
            provider=data.get("provider"),
        )
        if vpc.managed:
            raise Conflict(f"network '{vpc.name}' is already managed", code="VPC_ALREADY_MANAGED")
        if await Vpcs(uow.session).live_by_name(workspace_id, vpc.provider, vpc.region, vpc.name):
            raise _name_taken(vpc.name, vpc.region)
        taken = _name_taken(vpc.name, vpc.region)
        vpc.managed = True
        vpc.created_by = data["actor_id"]
        uow.emit(
            resource_event(
                "VpcAdopted",
                vpc,
                {"credential_id": str(vpc.credential_id), "cloud_id": vpc.cloud_id},
                actor_id=data["actor_id"],
            )
        )
        try:
            await uow.commit()
        except IntegrityError:
            raise taken from None
        await uow.session.refresh(vpc)
        return (await vpc_views(uow.session, [vpc]))[0]


# saga steps --------------------------------------------------------------------------------


async def _load(deps: NetworkDeps, event: CloudEvent) -> Vpc | None:
    async with deps.uow() as uow:
        vpc = await Vpcs(uow.session).get(
            uuid.UUID(event.workspaceid or ""), uuid.UUID(event.data["vpc_id"])
        )
        return None if vpc is None else detached(uow.session, vpc)


async def recheck_overlaps(deps: NetworkDeps, vpc: Vpc, credential: dict[str, Any]) -> None:
    """Right before creating, look at the cloud again: a network made outside SkyClust
    since the request was accepted must not be overlapped either."""
    await discovery.refresh(
        deps,
        str(vpc.workspace_id),
        vpc.provider,
        str(vpc.credential_id),
        None if vpc.region == GCP_GLOBAL else vpc.region,
        credential,
    )
    if vpc.allow_overlap or vpc.cidr_block is None:
        return
    async with deps.uow() as uow:
        others = [row.known() for row in await Vpcs(uow.session).planned(vpc.workspace_id, vpc.id)]
    found = cidr.overlaps(cidr.parse_cidr(vpc.cidr_block), others)
    if found:
        raise cidr.overlap_error(cidr.parse_cidr(vpc.cidr_block), found)


async def on_vpc_requested(deps: NetworkDeps, event: CloudEvent, delivery: Delivery) -> None:
    vpc = await _load(deps, event)
    if vpc is None or vpc.status != Status.PENDING or vpc.cluster_id is not None:
        return
    ws, vpc_id, pending = str(vpc.workspace_id), str(vpc.id), frozenset({Status.PENDING})
    try:
        provider = provider_of(deps, vpc.provider)
        credential = await secret(deps, ws, str(vpc.credential_id), "create network", vpc_id)
        await recheck_overlaps(deps, vpc, credential)
        cloud = await provider.create_vpc(credential, vpc.spec())
        await transition(
            deps,
            Vpc,
            ws,
            vpc_id,
            pending,
            Status.READY,
            lambda row: [ready_event(row)],
            cloud_id=cloud.cloud_id,
            address_space=[c for c in dict.fromkeys([vpc.cidr_block, *cloud.cidr_blocks]) if c],
            is_default=cloud.is_default,
            status_reason=None,
            status_message=None,
        )
    except (NotFound, Conflict) as exc:
        await fail(deps, PREFIX, Vpc, ws, vpc_id, pending, exc, "create")
    except SkyclustError as exc:
        await retry_or_fail(deps, PREFIX, Vpc, ws, vpc_id, pending, exc, delivery, "create")


async def on_vpc_update_requested(deps: NetworkDeps, event: CloudEvent, delivery: Delivery) -> None:
    vpc = await _load(deps, event)
    if vpc is None or vpc.status != Status.UPDATING:
        return
    ws, vpc_id, updating = str(vpc.workspace_id), str(vpc.id), frozenset({Status.UPDATING})
    try:
        provider = provider_of(deps, vpc.provider)
        credential = await secret(deps, ws, str(vpc.credential_id), "update network", vpc_id)
        await provider.tag_vpc(credential, vpc.spec())
        await transition(
            deps,
            Vpc,
            ws,
            vpc_id,
            updating,
            Status.READY,
            lambda row: [resource_event("VpcUpdated", row, {"tags": dict(row.tags or {})})],
        )
    except NotFound as exc:
        await fail(deps, PREFIX, Vpc, ws, vpc_id, updating, exc, "update")
    except SkyclustError as exc:
        await retry_or_fail(deps, PREFIX, Vpc, ws, vpc_id, updating, exc, delivery, "update")


async def on_vpc_delete_requested(deps: NetworkDeps, event: CloudEvent, delivery: Delivery) -> None:
    vpc = await _load(deps, event)
    if vpc is None or vpc.status != Status.DELETING:
        return
    ws, vpc_id, deleting = str(vpc.workspace_id), str(vpc.id), frozenset({Status.DELETING})
    try:
        provider = provider_of(deps, vpc.provider)
        credential = await secret(deps, ws, str(vpc.credential_id), "delete network", vpc_id)
        await provider.delete_vpc(credential, vpc.spec())
        if await provider.get_vpc(credential, vpc.spec()) is not None:
            raise ProviderError(
                "the cloud still shows the network", code="PROVIDER_UNAVAILABLE", retryable=True
            )
        await transition(
            deps, Vpc, ws, vpc_id, deleting, Status.DELETED, lambda row: [deleted_event(row)]
        )
    except NotFound as exc:
        await fail(deps, PREFIX, Vpc, ws, vpc_id, deleting, exc, "delete")
    except SkyclustError as exc:
        await retry_or_fail(deps, PREFIX, Vpc, ws, vpc_id, deleting, exc, delivery, "delete")
