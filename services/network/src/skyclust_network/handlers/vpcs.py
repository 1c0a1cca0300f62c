"""Networks (AWS VPCs, GCP VPC networks, Azure VNets): the requests, and their part of
the resource lifecycle (`lifecycle.py`): the cloud calls that take a network from
PENDING to READY, through UPDATING, and DELETING to DELETED."""

from __future__ import annotations

import uuid
from typing import Any

from skyclust_common.errors import Conflict
from skyclust_common.messages.rpc import AdoptVpc, CreateVpc, DeleteVpc, GetVpc, ListVpcs, UpdateVpc
from skyclust_common.messaging import RpcContext

from ..adapters.db import Vpc
from ..adapters.providers.base import Credential, NetworkProvider
from ..adapters.repositories import Filter
from ..domain import cidr
from ..domain.errors import (
    UniqueViolation,
    VpcAlreadyManaged,
    VpcBusy,
    VpcInUse,
    VpcNameTaken,
    VpcNotFound,
)
from ..domain.lifecycle import Operation
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
    provider_of,
    resource_event,
    secret,
    vpc_view,
    vpc_views,
)
from .lifecycle import Kind, get_or_404, request, require_changeable, saga_step


def _name_taken(name: str, region: str) -> Conflict:
    return VpcNameTaken(f"a network named {name} exists in {region}")


def _data(vpc: Vpc, suffix: str) -> dict[str, Any]:
    credential = {"credential_id": str(vpc.credential_id)}
    if suffix == "Requested":
        return {
            **credential,
            "region": vpc.region,
            "cidr": vpc.cidr_block,
            "resource_group": vpc.resource_group,
            "tags": dict(vpc.tags or {}),
            "allow_overlap": vpc.allow_overlap,
            "cluster_id": str(vpc.cluster_id) if vpc.cluster_id else None,
        }
    if suffix == "Ready":
        return {
            **credential,
            "region": vpc.region,
            "cidr": vpc.cidr_block,
            "cloud_id": vpc.cloud_id,
        }
    if suffix in ("UpdateRequested", "Updated"):
        return {"tags": dict(vpc.tags or {})}
    return credential  # DeleteRequested, Deleted


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


async def create_vpc(deps: NetworkDeps, req: CreateVpc.Request, ctx: RpcContext) -> dict[str, Any]:
    provider = req.provider
    provider_of(deps, provider)
    name = validate_name(provider, req.name)
    if provider == "gcp":
        region = validate_region(provider, req.region) if req.region else GCP_GLOBAL
    else:
        region = validate_region(provider, req.region or "")
    resource_group = None
    if provider == "azure":
        resource_group = validate_resource_group(
            req.resource_group or default_resource_group(region)
        )
    tags = validate_tags(req.tags)
    gcp = req.gcp_config
    await check_credential(deps, str(req.workspace_id), str(req.credential_id), provider)
    workspace_id = req.workspace_id
    async with deps.uow() as uow:
        await uow.lock_plan(workspace_id)
        if await uow.vpcs.live_by_name(workspace_id, provider, region, name):
            raise _name_taken(name, region)
        existing = [row.known() for row in await uow.vpcs.planned(workspace_id)]
        block, accepted = plan_vpc(
            existing,
            provider,
            req.cidr_block,
            req.prefix_length,
            bool(req.allow_overlap),
        )
        vpc = Vpc(
            id=uuid.uuid4(),
            workspace_id=workspace_id,
            provider=provider,
            credential_id=req.credential_id,
            name=name,
            region=region,
            cidr_block=block,
            address_space=[block],
            resource_group=resource_group,
            managed=True,
            allow_overlap=bool(req.allow_overlap),
            status=Status.PENDING,
            tags=tags,
            network_mode="CUSTOM" if provider == "gcp" else None,
            routing_mode=((gcp and gcp.routing_mode) or "REGIONAL") if provider == "gcp" else None,
            mtu=((gcp and gcp.mtu) or 1460) if provider == "gcp" else None,
            auto_subnets=False if provider == "gcp" else None,
            created_by=req.actor_id,
        )
        uow.vpcs.add(vpc)
        uow.emit(KIND.event("Requested", vpc, actor_id=req.actor_id))
        try:
            await uow.commit()
        except UniqueViolation:
            raise _name_taken(name, region) from None
        await uow.refresh(vpc)
        return {**vpc_view(vpc, 0), "overlaps": [o.to_dict() for o in accepted]}


async def list_vpcs(deps: NetworkDeps, req: ListVpcs.Request, ctx: RpcContext) -> dict[str, Any]:
    wanted_tag = tag_filter(req.tag)
    async with deps.uow() as uow:
        rows = await uow.vpcs.search(
            req.workspace_id, Filter.of(req, "provider", "region", "credential_id", "managed")
        )
        rows = [r for r in rows if matches_tag(r.tags or {}, wanted_tag)]
        return {"items": await vpc_views(uow, rows)}


async def get_vpc(deps: NetworkDeps, req: GetVpc.Request, ctx: RpcContext) -> dict[str, Any]:
    async with deps.uow() as uow:
        vpc = await get_or_404(uow, KIND, req.workspace_id, req.vpc_id, req.provider)
        return (await vpc_views(uow, [vpc]))[0]


async def update_vpc(deps: NetworkDeps, req: UpdateVpc.Request, ctx: RpcContext) -> dict[str, Any]:
    tags = validate_tags(req.tags)
    async with deps.uow() as uow:
        vpc = await get_or_404(
            uow, KIND, req.workspace_id, req.vpc_id, req.provider, for_update=True
        )
        require_changeable(KIND, vpc, CHANGEABLE)
        if vpc.cloud_id is None:
            raise VpcBusy("the network was never created; delete it instead")
        vpc.tags = tags
        request(uow, KIND, vpc, Operation.UPDATE, req.actor_id)
        await uow.commit()
        await uow.refresh(vpc)
        return (await vpc_views(uow, [vpc]))[0]


async def _dependents(deps: NetworkDeps, vpc: Vpc) -> dict[str, list[dict[str, str]]]:
    """Everything that keeps a network in use: SkyClust's subnets, security groups and
    clusters, and what the cloud holds in it that SkyClust did not make. A cloud that
    cannot answer stops the delete: an error never means "nothing there"."""
    async with deps.uow() as uow:
        subnets = await uow.subnets.of_vpc(vpc.id)
        groups = await uow.security_groups.of_vpc(vpc.id)
        clusters = await uow.cluster_links.of_vpc(vpc.id)
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


async def delete_vpc(deps: NetworkDeps, req: DeleteVpc.Request, ctx: RpcContext) -> dict[str, Any]:
    async with deps.uow() as uow:
        vpc = await get_or_404(uow, KIND, req.workspace_id, req.vpc_id, req.provider)
        if vpc.status == Status.DELETING:
            return (await vpc_views(uow, [vpc]))[0]
        require_changeable(KIND, vpc, DELETABLE)
        uow.detach(vpc)
    found = await _dependents(deps, vpc)
    if any(found.values()):
        raise VpcInUse(
            _in_use_message(vpc.name, found),
            details={k: v for k, v in found.items() if v},
        )
    async with deps.uow() as uow:
        vpc = await get_or_404(
            uow, KIND, req.workspace_id, req.vpc_id, req.provider, for_update=True
        )
        if vpc.status == Status.DELETING:
            return (await vpc_views(uow, [vpc]))[0]
        require_changeable(KIND, vpc, DELETABLE)
        # A subnet or group requested while the cloud was being asked still blocks.
        if await uow.subnets.of_vpc(vpc.id) or await uow.security_groups.of_vpc(vpc.id):
            raise VpcInUse(f"network '{vpc.name}' gained subnets meanwhile")
        request(uow, KIND, vpc, Operation.DELETE, req.actor_id)
        await uow.commit()
        await uow.refresh(vpc)
        return (await vpc_views(uow, [vpc]))[0]


async def adopt_vpc(deps: NetworkDeps, req: AdoptVpc.Request, ctx: RpcContext) -> dict[str, Any]:
    workspace_id = req.workspace_id
    async with deps.uow() as uow:
        vpc = await get_or_404(
            uow, KIND, req.workspace_id, req.vpc_id, req.provider, for_update=True
        )
        if vpc.managed:
            raise VpcAlreadyManaged(f"network '{vpc.name}' is already managed")
        if await uow.vpcs.live_by_name(workspace_id, vpc.provider, vpc.region, vpc.name):
            raise _name_taken(vpc.name, vpc.region)
        taken = _name_taken(vpc.name, vpc.region)
        vpc.managed = True
        vpc.created_by = req.actor_id
        uow.emit(
            resource_event(
                "VpcAdopted",
                vpc,
                {"credential_id": str(vpc.credential_id), "cloud_id": vpc.cloud_id},
                actor_id=req.actor_id,
            )
        )
        try:
            await uow.commit()
        except UniqueViolation:
            raise taken from None
        await uow.refresh(vpc)
        return (await vpc_views(uow, [vpc]))[0]


# the cloud's part of the lifecycle ------------------------------------------------------


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
        others = [row.known() for row in await uow.vpcs.planned(vpc.workspace_id, vpc.id)]
    found = cidr.overlaps(cidr.parse_cidr(vpc.cidr_block), others)
    if found:
        raise cidr.overlap_error(cidr.parse_cidr(vpc.cidr_block), found)


async def _create(
    deps: NetworkDeps, provider: NetworkProvider, credential: Credential, vpc: Vpc, _: Vpc
) -> dict[str, Any]:
    await recheck_overlaps(deps, vpc, credential)
    cloud = await provider.create_vpc(credential, vpc.spec())
    return {
        "cloud_id": cloud.cloud_id,
        "address_space": [c for c in dict.fromkeys([vpc.cidr_block, *cloud.cidr_blocks]) if c],
        "is_default": cloud.is_default,
    }


async def _tag(
    deps: NetworkDeps, provider: NetworkProvider, credential: Credential, vpc: Vpc, _: Vpc
) -> None:
    await provider.tag_vpc(credential, vpc.spec())


async def _delete(
    deps: NetworkDeps, provider: NetworkProvider, credential: Credential, vpc: Vpc, _: Vpc
) -> None:
    await provider.delete_vpc(credential, vpc.spec())


async def _exists(provider: NetworkProvider, credential: Credential, vpc: Vpc, _: Vpc) -> bool:
    return await provider.get_vpc(credential, vpc.spec()) is not None


KIND: Kind[Vpc] = Kind(
    prefix="Vpc",
    label="vpc",
    noun="network",
    id_field="vpc_id",
    repository=lambda uow: uow.vpcs,
    missing=VpcNotFound,
    busy=VpcBusy,
    data=_data,
    cloud={Operation.CREATE: _create, Operation.UPDATE: _tag, Operation.DELETE: _delete},
    exists=_exists,
)

on_vpc_requested = saga_step(KIND, Operation.CREATE)
on_vpc_update_requested = saga_step(KIND, Operation.UPDATE)
on_vpc_delete_requested = saga_step(KIND, Operation.DELETE)
