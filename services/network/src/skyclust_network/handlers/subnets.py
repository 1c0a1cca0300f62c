"""Subnets: the requests (each range inside its network and clear of its siblings) and
the saga steps that create, retag and delete them in the cloud."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError

from skyclust_common.db import advisory_xact_lock
from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import (
    Conflict,
    NotFound,
    ProviderError,
    SkyclustError,
    ValidationFailed,
)
from skyclust_common.messaging import Delivery, RpcContext

from ..adapters.db import Subnet, Subnets, Vpc, Vpcs
from ..domain import cidr
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
from .common import (
    NetworkDeps,
    detached,
    fail,
    provider_of,
    require_changeable,
    resource_event,
    retry_or_fail,
    secret,
    subnet_or_404,
    subnet_region,
    subnet_view,
    transition,
    vpc_or_404,
)

PREFIX = "Subnet"


def requested_event(subnet: Subnet, **kw: Any) -> CloudEvent:
    return resource_event(
        "SubnetRequested",
        subnet,
        {
            "credential_id": str(subnet.credential_id),
            "region": subnet.region,
            "availability_zone": subnet.availability_zone,
            "cidr": subnet.cidr_block,
            "is_public": subnet.is_public,
            "cluster_id": str(subnet.cluster_id) if subnet.cluster_id else None,
        },
        **kw,
    )


def ready_event(subnet: Subnet) -> CloudEvent:
    return resource_event(
        "SubnetReady",
        subnet,
        {
            "cidr": subnet.cidr_block,
            "region": subnet.region,
            "availability_zone": subnet.availability_zone,
            "is_public": subnet.is_public,
            "cloud_id": subnet.cloud_id,
        },
    )


def deleted_event(subnet: Subnet) -> CloudEvent:
    return resource_event("SubnetDeleted", subnet, {})


def _require_ready_vpc(vpc: Vpc) -> None:
    require_changeable(vpc, "vpc", frozenset(Status))
    if vpc.status != Status.READY or vpc.cloud_id is None:
        raise Conflict(
            f"network '{vpc.name}' is {vpc.status}; subnets can be added once it is READY",
            code="VPC_NOT_READY",
        )


async def check_range(
    session: Any, vpc: Vpc, value: object, exclude: uuid.UUID | None = None
) -> str:
    """The planner's rules for a subnet, under a per-network lock held until commit."""
    await advisory_xact_lock(session, f"network-subnets:{vpc.id}")
    siblings = await Subnets(session).siblings(vpc.id, exclude)
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
    others = [row.known() for row in await Vpcs(session).planned(vpc.workspace_id, vpc.id)]
    found = cidr.overlaps(net, others)
    if found:
        raise cidr.overlap_error(net, found)
    return str(net)


async def create_subnet(deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    provider = data["provider"]
    provider_of(deps, provider)
    name = validate_name(provider, data["name"])
    tags = validate_tags(data.get("tags"))
    async with deps.uow() as uow:
        vpc = await vpc_or_404(uow.session, data["workspace_id"], data["vpc_id"], for_update=True)
        if vpc.provider != provider:
            raise NotFound("vpc not found", code="VPC_NOT_FOUND")
        _require_ready_vpc(vpc)
        region = subnet_region(vpc, data.get("region"))
        if region is None:
            raise ValidationFailed(
                "region is required: a GCP network is global, its subnets are regional",
                code="INVALID_REGION",
                details={"field": "region"},
            )
        validate_region(provider, region)
        if provider != "gcp" and data.get("region") and data["region"] != vpc.region:
            raise ValidationFailed(
                f"subnets of this network are in {vpc.region}",
                code="INVALID_REGION",
                details={"field": "region"},
            )
        zone = data.get("availability_zone")
        if zone is not None and (provider != "aws" or not zone.startswith(region)):
            raise ValidationFailed(
                f"availability_zone must be a zone of {region}"
                if provider == "aws"
                else f"{provider} subnets are regional: they span every zone of their region",
                code="INVALID_ZONE",
                details={"field": "availability_zone"},
            )
        block = await check_range(uow.session, vpc, data["cidr_block"])
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
            is_public=bool(data.get("is_public", False)),
            status=Status.PENDING,
            tags=tags,
            created_by=data["actor_id"],
        )
        taken = Conflict(
            f"network '{vpc.name}' has a subnet named {name}", code="SUBNET_NAME_TAKEN"
        )
        uow.session.add(subnet)
        uow.emit(requested_event(subnet, actor_id=data["actor_id"]))
        try:
            await uow.commit()
        except IntegrityError:
            raise taken from None
        await uow.session.refresh(subnet)
        return subnet_view(subnet)


async def list_subnets(deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    wanted_tag = tag_filter(data.get("tag"))
    async with deps.uow() as uow:
        rows = await Subnets(uow.session).search(
            uuid.UUID(data["workspace_id"]),
            provider=data.get("provider"),
            vpc_id=uuid.UUID(data["vpc_id"]) if data.get("vpc_id") else None,
            region=data.get("region"),
            credential_id=uuid.UUID(data["credential_id"]) if data.get("credential_id") else None,
        )
        return {"items": [subnet_view(r) for r in rows if matches_tag(r.tags or {}, wanted_tag)]}


async def get_subnet(deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    async with deps.uow() as uow:
        return subnet_view(
            await subnet_or_404(
                uow.session, data["workspace_id"], data["subnet_id"], provider=data.get("provider")
            )
        )


async def update_subnet(deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    tags = validate_tags(data.get("tags"))
    async with deps.uow() as uow:
        subnet = await subnet_or_404(
            uow.session,
            data["workspace_id"],
            data["subnet_id"],
            for_update=True,
            provider=data.get("provider"),
        )
        require_changeable(subnet, "subnet", CHANGEABLE)
        if subnet.cloud_id is None:
            raise Conflict("the subnet was never created; delete it instead", code="SUBNET_BUSY")
        subnet.tags = tags
        subnet.status = Status.UPDATING
        subnet.status_reason = subnet.status_message = None
        uow.emit(
            resource_event(
                "SubnetUpdateRequested", subnet, {"tags": tags}, actor_id=data["actor_id"]
            )
        )
        await uow.commit()
        await uow.session.refresh(subnet)
        return subnet_view(subnet)


async def delete_subnet(deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    async with deps.uow() as uow:
        subnet = await subnet_or_404(
            uow.session,
            data["workspace_id"],
            data["subnet_id"],
            for_update=True,
            provider=data.get("provider"),
        )
        if subnet.status == Status.DELETING:
            return subnet_view(subnet)
        require_changeable(subnet, "subnet", DELETABLE)
        subnet.status = Status.DELETING
        subnet.status_reason = subnet.status_message = None
        uow.emit(resource_event("SubnetDeleteRequested", subnet, {}, actor_id=data["actor_id"]))
        await uow.commit()
        await uow.session.refresh(subnet)
        return subnet_view(subnet)


# saga steps ---------------------------------------------------------------------------------


async def _load(deps: NetworkDeps, event: CloudEvent) -> tuple[Subnet, Vpc] | None:
    async with deps.uow() as uow:
        subnet = await Subnets(uow.session).get(
            uuid.UUID(event.workspaceid or ""), uuid.UUID(event.data["subnet_id"])
        )
        if subnet is None:
            return None
        vpc = await Vpcs(uow.session).get(subnet.workspace_id, subnet.vpc_id)
        assert vpc is not None  # a foreign key
        return detached(uow.session, subnet), detached(uow.session, vpc)


async def on_subnet_requested(deps: NetworkDeps, event: CloudEvent, delivery: Delivery) -> None:
    loaded = await _load(deps, event)
    if loaded is None or loaded[0].status != Status.PENDING or loaded[0].cluster_id is not None:
        return
    subnet, vpc = loaded
    ws, subnet_id, pending = str(subnet.workspace_id), str(subnet.id), frozenset({Status.PENDING})
    try:
        if vpc.cloud_id is None:
            raise Conflict(
                f"network '{vpc.name}' does not exist in the cloud", code="VPC_NOT_READY"
            )
        provider = provider_of(deps, subnet.provider)
        credential = await secret(deps, ws, str(subnet.credential_id), "create subnet", subnet_id)
        cloud = await provider.create_subnet(credential, vpc.spec(), subnet.spec())
        await transition(
            deps,
            Subnet,
            ws,
            subnet_id,
            pending,
            Status.READY,
            lambda row: [ready_event(row)],
            cloud_id=cloud.cloud_id,
            availability_zone=cloud.zone or subnet.availability_zone,
            status_reason=None,
            status_message=None,
        )
    except (NotFound, Conflict) as exc:
        await fail(deps, PREFIX, Subnet, ws, subnet_id, pending, exc, "create")
    except SkyclustError as exc:
        await retry_or_fail(deps, PREFIX, Subnet, ws, subnet_id, pending, exc, delivery, "create")


async def on_subnet_update_requested(
    deps: NetworkDeps, event: CloudEvent, delivery: Delivery
) -> None:
    loaded = await _load(deps, event)
    if loaded is None or loaded[0].status != Status.UPDATING:
        return
    subnet, vpc = loaded
    ws, subnet_id, updating = str(subnet.workspace_id), str(subnet.id), frozenset({Status.UPDATING})
    try:
        provider = provider_of(deps, subnet.provider)
        credential = await secret(deps, ws, str(subnet.credential_id), "update subnet", subnet_id)
        await provider.tag_subnet(credential, vpc.spec(), subnet.spec())
        await transition(
            deps,
            Subnet,
            ws,
            subnet_id,
            updating,
            Status.READY,
            lambda row: [resource_event("SubnetUpdated", row, {"tags": dict(row.tags or {})})],
        )
    except NotFound as exc:
        await fail(deps, PREFIX, Subnet, ws, subnet_id, updating, exc, "update")
    except SkyclustError as exc:
        await retry_or_fail(deps, PREFIX, Subnet, ws, subnet_id, updating, exc, delivery, "update")


async def on_subnet_delete_requested(
    deps: NetworkDeps, event: CloudEvent, delivery: Delivery
) -> None:
    loaded = await _load(deps, event)
    if loaded is None or loaded[0].status != Status.DELETING:
        return
    subnet, vpc = loaded
    ws, subnet_id, deleting = str(subnet.workspace_id), str(subnet.id), frozenset({Status.DELETING})
    try:
        provider = provider_of(deps, subnet.provider)
        credential = await secret(deps, ws, str(subnet.credential_id), "delete subnet", subnet_id)
        await provider.delete_subnet(credential, vpc.spec(), subnet.spec())
        if await provider.get_subnet(credential, vpc.spec(), subnet.spec()) is not None:
            raise ProviderError(
                "the cloud still shows the subnet", code="PROVIDER_UNAVAILABLE", retryable=True
            )
        await transition(
            deps, Subnet, ws, subnet_id, deleting, Status.DELETED, lambda row: [deleted_event(row)]
        )
    except NotFound as exc:
        await fail(deps, PREFIX, Subnet, ws, subnet_id, deleting, exc, "delete")
    except SkyclustError as exc:
        await retry_or_fail(deps, PREFIX, Subnet, ws, subnet_id, deleting, exc, delivery, "delete")
