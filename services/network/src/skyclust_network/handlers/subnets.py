"""Subnets: the requests (each range inside its network and clear of its siblings) and
their part of the resource lifecycle (`lifecycle.py`): the cloud calls that create,
retag and delete them."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from skyclust_common.messages.rpc import (
    CreateSubnet,
    DeleteSubnet,
    GetSubnet,
    ListSubnets,
    UpdateSubnet,
)
from skyclust_common.messaging import RpcContext

from ..adapters.db import Subnet, Vpc
from ..adapters.providers.base import Credential, NetworkProvider
from ..adapters.repositories import Filter, NetworkUnitOfWork
from ..domain import cidr
from ..domain.errors import (
    InvalidRegion,
    InvalidZone,
    SubnetBusy,
    SubnetNameTaken,
    SubnetNotFound,
    UniqueViolation,
)
from ..domain.lifecycle import Operation
from ..domain.model import (
    CHANGEABLE,
    DELETABLE,
    Status,
    matches_tag,
    tag_filter,
    validate_name,
    validate_region,
    validate_tags,
)
from . import vpcs
from .common import LISTED_BY, NetworkDeps, provider_of, subnet_region, subnet_view
from .lifecycle import (
    Kind,
    get_or_404,
    request,
    require_changeable,
    require_ready_network,
    saga_step,
)


def _data(subnet: Subnet, suffix: str) -> dict[str, Any]:
    if suffix == "Requested":
        return {
            "credential_id": str(subnet.credential_id),
            "region": subnet.region,
            "availability_zone": subnet.availability_zone,
            "cidr": subnet.cidr_block,
            "is_public": subnet.is_public,
            "cluster_id": str(subnet.cluster_id) if subnet.cluster_id else None,
        }
    if suffix == "Ready":
        return {
            "cidr": subnet.cidr_block,
            "region": subnet.region,
            "availability_zone": subnet.availability_zone,
            "is_public": subnet.is_public,
            "cloud_id": subnet.cloud_id,
        }
    if suffix in ("UpdateRequested", "Updated"):
        return {"tags": dict(subnet.tags or {})}
    return {}  # DeleteRequested, Deleted


async def check_range(
    uow: NetworkUnitOfWork, vpc: Vpc, value: object, exclude: uuid.UUID | None = None
) -> str:
    """The planner's rules for a subnet, under a per-network lock held until commit."""
    await uow.lock_subnets(vpc.id)
    siblings = await uow.subnets.siblings(vpc.id, exclude)
    if vpc.cidr_block:
        return str(
            cidr.check_subnet(
                value, [ipaddress.IPv4Network(vpc.cidr_block)], siblings, provider=vpc.provider
            )
        )
    # An adopted GCP network has no range of its own: keep clear of every other network.
    net = cidr.check_subnet(
        value, [ipaddress.IPv4Network("0.0.0.0/0")], siblings, provider=vpc.provider
    )
    cidr.require_private(net)
    others = [row.known() for row in await uow.vpcs.planned(vpc.workspace_id, vpc.id)]
    found = cidr.overlaps(net, others)
    if found:
        raise cidr.overlap_error(net, found)
    return str(net)


async def create_subnet(
    deps: NetworkDeps, req: CreateSubnet.Request, ctx: RpcContext
) -> dict[str, Any]:
    provider = req.provider
    provider_of(deps, provider)
    name = validate_name(provider, req.name)
    tags = validate_tags(req.tags)
    async with deps.uow() as uow:
        vpc = await get_or_404(
            uow, vpcs.KIND, req.workspace_id, req.vpc_id, provider, for_update=True
        )
        require_ready_network(vpc, "subnets")
        region = subnet_region(vpc, req.region)
        if region is None:
            raise InvalidRegion(
                "region is required: a GCP network is global, its subnets are regional",
                details={"field": "region"},
            )
        validate_region(provider, region)
        if provider != "gcp" and req.region and req.region != vpc.region:
            raise InvalidRegion(
                f"subnets of this network are in {vpc.region}",
                details={"field": "region"},
            )
        zone = req.availability_zone
        if zone is not None and (provider != "aws" or not zone.startswith(region)):
            raise InvalidZone(
                f"availability_zone must be a zone of {region}"
                if provider == "aws"
                else f"{provider} subnets are regional: they span every zone of their region",
                details={"field": "availability_zone"},
            )
        block = await check_range(uow, vpc, req.cidr_block)
        subnet = Subnet(
            id=uuid.uuid4(),
            workspace_id=vpc.workspace_id,
            vpc_id=vpc.id,
            provider=provider,
            credential_id=vpc.credential_id,
            name=name,
            region=region,
            availability_zone=zone,
            cidr_block=block,
            is_public=bool(req.is_public),
            status=Status.PENDING,
            tags=tags,
            created_by=req.actor_id,
        )
        taken = SubnetNameTaken(f"network '{vpc.name}' has a subnet named {name}")
        uow.subnets.add(subnet)
        uow.emit(KIND.event("Requested", subnet, actor_id=req.actor_id))
        try:
            await uow.commit()
        except UniqueViolation:
            raise taken from None
        await uow.refresh(subnet)
        return subnet_view(subnet)


async def list_subnets(
    deps: NetworkDeps, req: ListSubnets.Request, ctx: RpcContext
) -> dict[str, Any]:
    wanted_tag = tag_filter(req.tag)
    async with deps.uow() as uow:
        rows = await uow.subnets.search(req.workspace_id, Filter.of(req, *LISTED_BY))
        return {"items": [subnet_view(r) for r in rows if matches_tag(r.tags or {}, wanted_tag)]}


async def get_subnet(deps: NetworkDeps, req: GetSubnet.Request, ctx: RpcContext) -> dict[str, Any]:
    async with deps.uow() as uow:
        return subnet_view(
            await get_or_404(uow, KIND, req.workspace_id, req.subnet_id, req.provider)
        )


async def update_subnet(
    deps: NetworkDeps, req: UpdateSubnet.Request, ctx: RpcContext
) -> dict[str, Any]:
    tags = validate_tags(req.tags)
    async with deps.uow() as uow:
        subnet = await get_or_404(
            uow, KIND, req.workspace_id, req.subnet_id, req.provider, for_update=True
        )
        require_changeable(KIND, subnet, CHANGEABLE)
        if subnet.cloud_id is None:
            raise SubnetBusy("the subnet was never created; delete it instead")
        subnet.tags = tags
        request(uow, KIND, subnet, Operation.UPDATE, req.actor_id)
        await uow.commit()
        await uow.refresh(subnet)
        return subnet_view(subnet)


async def delete_subnet(
    deps: NetworkDeps, req: DeleteSubnet.Request, ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        subnet = await get_or_404(
            uow, KIND, req.workspace_id, req.subnet_id, req.provider, for_update=True
        )
        if subnet.status == Status.DELETING:
            return subnet_view(subnet)
        require_changeable(KIND, subnet, DELETABLE)
        request(uow, KIND, subnet, Operation.DELETE, req.actor_id)
        await uow.commit()
        await uow.refresh(subnet)
        return subnet_view(subnet)


# the cloud's part of the lifecycle ------------------------------------------------------


async def _create(
    deps: NetworkDeps, provider: NetworkProvider, credential: Credential, subnet: Subnet, vpc: Vpc
) -> dict[str, Any]:
    cloud = await provider.create_subnet(credential, vpc.spec(), subnet.spec())
    return {"cloud_id": cloud.cloud_id, "availability_zone": cloud.zone or subnet.availability_zone}


async def _tag(
    deps: NetworkDeps, provider: NetworkProvider, credential: Credential, subnet: Subnet, vpc: Vpc
) -> None:
    await provider.tag_subnet(credential, vpc.spec(), subnet.spec())


async def _delete(
    deps: NetworkDeps, provider: NetworkProvider, credential: Credential, subnet: Subnet, vpc: Vpc
) -> None:
    await provider.delete_subnet(credential, vpc.spec(), subnet.spec())


async def _exists(
    provider: NetworkProvider, credential: Credential, subnet: Subnet, vpc: Vpc
) -> bool:
    return await provider.get_subnet(credential, vpc.spec(), subnet.spec()) is not None


KIND: Kind[Subnet] = Kind(
    prefix="Subnet",
    label="subnet",
    noun="subnet",
    id_field="subnet_id",
    repository=lambda uow: uow.subnets,
    missing=SubnetNotFound,
    busy=SubnetBusy,
    data=_data,
    cloud={Operation.CREATE: _create, Operation.UPDATE: _tag, Operation.DELETE: _delete},
    exists=_exists,
)

on_subnet_requested = saga_step(KIND, Operation.CREATE)
on_subnet_update_requested = saga_step(KIND, Operation.UPDATE)
on_subnet_delete_requested = saga_step(KIND, Operation.DELETE)
