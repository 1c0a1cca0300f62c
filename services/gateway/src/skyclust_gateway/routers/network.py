"""Networks, subnets and security groups per provider, and the workspace's CIDR planner.
Changes answer 202 with the resource in its first state; progress is on the event stream.

Every request on one resource names the path's provider: the network service answers
`VPC_NOT_FOUND`, `SUBNET_NOT_FOUND` or `SECURITY_GROUP_NOT_FOUND` for one of another
workspace, of another provider, or none at all."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ..auth import Principal
from ..envelope import ok
from ..paging import StatusList, paged
from .deps import NetworkWriter, Reader, Svc, WorkspaceManager
from .models import (
    CidrPlanBody,
    DiscoverBody,
    NetworkRegion,
    Provider,
    SecurityGroupBody,
    SecurityGroupChange,
    SubnetBody,
    TagsBody,
    VpcBody,
)

NETWORK = "network"
STREAM_HINT = "follow its progress on /api/v1/events/stream"

# One flat router: the permission table and its tests read routes one level deep.
router = APIRouter(tags=["network"])
BY_PROVIDER = "/api/v1/{provider}/network"
PLANNER = "/api/v1/network"
TagFilter = Annotated[str | None, Query(max_length=400, description="key or key=value")]


def _body(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


def _filters(**values: Any) -> dict[str, Any]:
    return {
        k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in values.items() if v is not None
    }


def _key(principal: Principal, provider: Provider, **ids: uuid.UUID) -> dict[str, Any]:
    return {
        "workspace_id": principal.workspace_id,
        "provider": provider.value,
        **{name: str(value) for name, value in ids.items()},
    }


def _change(principal: Principal, provider: Provider, **values: Any) -> dict[str, Any]:
    return {
        "workspace_id": principal.workspace_id,
        "actor_id": principal.user_id,
        "provider": provider.value,
        **values,
    }


# networks ------------------------------------------------------------------------------


@router.post(BY_PROVIDER + "/vpcs", status_code=202)
async def create_vpc(
    provider: Provider, body: VpcBody, principal: NetworkWriter, svc: Svc
) -> JSONResponse:
    """Create a network (a VPC, a GCP VPC network, an Azure VNet), its block checked against
    the workspace's networks in every cloud: 202, then `VpcReady`."""
    result = await svc.call(NETWORK, "CreateVpc", _change(principal, provider, **_body(body)))
    return ok(result, 202, f"network requested; {STREAM_HINT}")


@router.get(BY_PROVIDER + "/vpcs")
async def list_vpcs(
    provider: Provider,
    principal: Reader,
    svc: Svc,
    query: StatusList,
    region: NetworkRegion | None = None,
    credential_id: uuid.UUID | None = None,
    tag: TagFilter = None,
    managed: bool | None = None,
) -> JSONResponse:
    """The workspace's networks (VPCs, VNets) in this cloud; paged and filtered."""
    result = await svc.call(
        NETWORK,
        "ListVpcs",
        {
            "workspace_id": principal.workspace_id,
            "provider": provider.value,
            **_filters(region=region, credential_id=credential_id, tag=tag, managed=managed),
        },
    )
    return paged(result["items"], query)


@router.post(BY_PROVIDER + "/vpcs/discover")
async def discover_vpcs(
    provider: Provider, body: DiscoverBody, principal: NetworkWriter, svc: Svc
) -> JSONResponse:
    """List the networks a credential can see in the cloud now (in a region, or in every
    region in use); new ones are recorded as discovered, read-only until adopted."""
    result = await svc.call(
        NETWORK, "DiscoverNetworks", _change(principal, provider, **_body(body))
    )
    return ok(
        result["items"],
        message=f"{result['discovered']} discovered, {result['vanished']} gone from the cloud",
    )


@router.get(BY_PROVIDER + "/vpcs/{vpc_id}")
async def get_vpc(
    provider: Provider, vpc_id: uuid.UUID, principal: Reader, svc: Svc
) -> JSONResponse:
    """One network with its block, subnets and status."""
    return ok(await svc.call(NETWORK, "GetVpc", _key(principal, provider, vpc_id=vpc_id)))


@router.patch(BY_PROVIDER + "/vpcs/{vpc_id}", status_code=202)
async def update_vpc(
    provider: Provider, vpc_id: uuid.UUID, body: TagsBody, principal: NetworkWriter, svc: Svc
) -> JSONResponse:
    """Change a network's tags: 202, then `VpcUpdated`."""
    change = _change(principal, provider, vpc_id=str(vpc_id), tags=body.tags)
    result = await svc.call(NETWORK, "UpdateVpc", change)
    return ok(result, 202, f"network update requested; {STREAM_HINT}")


@router.delete(BY_PROVIDER + "/vpcs/{vpc_id}", status_code=202)
async def delete_vpc(
    provider: Provider, vpc_id: uuid.UUID, principal: NetworkWriter, svc: Svc
) -> JSONResponse:
    """Delete a network: 202, then `VpcDeleted`. One still in use is refused with `409
    VPC_IN_USE`, naming what uses it."""
    result = await svc.call(NETWORK, "DeleteVpc", _change(principal, provider, vpc_id=str(vpc_id)))
    return ok(result, 202, f"network deletion requested; {STREAM_HINT}")


@router.post(BY_PROVIDER + "/vpcs/{vpc_id}/adopt")
async def adopt_vpc(
    provider: Provider, vpc_id: uuid.UUID, principal: WorkspaceManager, svc: Svc
) -> JSONResponse:
    """Adopt a discovered network (read-only until then): from now on SkyClust manages it
    like one it made. Admins only."""
    result = await svc.call(NETWORK, "AdoptVpc", _change(principal, provider, vpc_id=str(vpc_id)))
    return ok(result, message="network adopted: SkyClust now manages it")


# subnets -------------------------------------------------------------------------------


@router.post(BY_PROVIDER + "/subnets", status_code=202)
async def create_subnet(
    provider: Provider, body: SubnetBody, principal: NetworkWriter, svc: Svc
) -> JSONResponse:
    """Create a subnet in a network, its block checked against the whole estate: 202, then
    `SubnetReady`."""
    result = await svc.call(NETWORK, "CreateSubnet", _change(principal, provider, **_body(body)))
    return ok(result, 202, f"subnet requested; {STREAM_HINT}")


@router.get(BY_PROVIDER + "/subnets")
async def list_subnets(
    provider: Provider,
    principal: Reader,
    svc: Svc,
    query: StatusList,
    vpc_id: uuid.UUID | None = None,
    region: NetworkRegion | None = None,
    credential_id: uuid.UUID | None = None,
    tag: TagFilter = None,
) -> JSONResponse:
    """The workspace's subnets in this cloud; paged and filtered (by network too)."""
    result = await svc.call(
        NETWORK,
        "ListSubnets",
        {
            "workspace_id": principal.workspace_id,
            "provider": provider.value,
            **_filters(vpc_id=vpc_id, region=region, credential_id=credential_id, tag=tag),
        },
    )
    return paged(result["items"], query)


@router.get(BY_PROVIDER + "/subnets/{subnet_id}")
async def get_subnet(
    provider: Provider, subnet_id: uuid.UUID, principal: Reader, svc: Svc
) -> JSONResponse:
    """One subnet with its block, zone and status."""
    return ok(await svc.call(NETWORK, "GetSubnet", _key(principal, provider, subnet_id=subnet_id)))


@router.patch(BY_PROVIDER + "/subnets/{subnet_id}", status_code=202)
async def update_subnet(
    provider: Provider, subnet_id: uuid.UUID, body: TagsBody, principal: NetworkWriter, svc: Svc
) -> JSONResponse:
    """Change a subnet's tags: 202, then `SubnetUpdated`."""
    change = _change(principal, provider, subnet_id=str(subnet_id), tags=body.tags)
    result = await svc.call(NETWORK, "UpdateSubnet", change)
    return ok(result, 202, f"subnet update requested; {STREAM_HINT}")


@router.delete(BY_PROVIDER + "/subnets/{subnet_id}", status_code=202)
async def delete_subnet(
    provider: Provider, subnet_id: uuid.UUID, principal: NetworkWriter, svc: Svc
) -> JSONResponse:
    """Delete a subnet: 202, then `SubnetDeleted`."""
    change = _change(principal, provider, subnet_id=str(subnet_id))
    result = await svc.call(NETWORK, "DeleteSubnet", change)
    return ok(result, 202, f"subnet deletion requested; {STREAM_HINT}")


# security groups -----------------------------------------------------------------------


@router.post(BY_PROVIDER + "/security-groups", status_code=202)
async def create_security_group(
    provider: Provider, body: SecurityGroupBody, principal: NetworkWriter, svc: Svc
) -> JSONResponse:
    """Create a security group (an AWS security group, GCP firewall rules, an Azure NSG) in
    a network: 202, then `SecurityGroupReady`."""
    change = _change(principal, provider, **_body(body))
    result = await svc.call(NETWORK, "CreateSecurityGroup", change)
    return ok(result, 202, f"security group requested; {STREAM_HINT}")


@router.get(BY_PROVIDER + "/security-groups")
async def list_security_groups(
    provider: Provider,
    principal: Reader,
    svc: Svc,
    query: StatusList,
    vpc_id: uuid.UUID | None = None,
    region: NetworkRegion | None = None,
    credential_id: uuid.UUID | None = None,
    tag: TagFilter = None,
) -> JSONResponse:
    """The workspace's security groups (firewalls) in this cloud, with their rules; paged
    and filtered."""
    result = await svc.call(
        NETWORK,
        "ListSecurityGroups",
        {
            "workspace_id": principal.workspace_id,
            "provider": provider.value,
            **_filters(vpc_id=vpc_id, region=region, credential_id=credential_id, tag=tag),
        },
    )
    return paged(result["items"], query)


@router.get(BY_PROVIDER + "/security-groups/{group_id}")
async def get_security_group(
    provider: Provider, group_id: uuid.UUID, principal: Reader, svc: Svc
) -> JSONResponse:
    """One security group with its rules and status."""
    key = _key(principal, provider, security_group_id=group_id)
    return ok(await svc.call(NETWORK, "GetSecurityGroup", key))


@router.patch(BY_PROVIDER + "/security-groups/{group_id}", status_code=202)
async def update_security_group(
    provider: Provider,
    group_id: uuid.UUID,
    body: SecurityGroupChange,
    principal: NetworkWriter,
    svc: Svc,
) -> JSONResponse:
    """Replace a security group's rules or tags: 202, then `SecurityGroupUpdated`."""
    change = _change(principal, provider, security_group_id=str(group_id), **_body(body))
    result = await svc.call(NETWORK, "UpdateSecurityGroup", change)
    return ok(result, 202, f"security group update requested; {STREAM_HINT}")


@router.delete(BY_PROVIDER + "/security-groups/{group_id}", status_code=202)
async def delete_security_group(
    provider: Provider, group_id: uuid.UUID, principal: NetworkWriter, svc: Svc
) -> JSONResponse:
    """Delete a security group: 202, then `SecurityGroupDeleted`."""
    change = _change(principal, provider, security_group_id=str(group_id))
    result = await svc.call(NETWORK, "DeleteSecurityGroup", change)
    return ok(result, 202, f"security group deletion requested; {STREAM_HINT}")


# the planner -----------------------------------------------------------------------------


@router.get(PLANNER + "/cidr-plan")
async def suggest_cidr(
    prefix_length: Annotated[int, Query(ge=8, le=29)],
    principal: Reader,
    svc: Svc,
    region: NetworkRegion | None = None,
    provider: Provider | None = None,
) -> JSONResponse:
    """The next free block of that prefix length across the workspace's networks in every
    cloud."""
    result = await svc.call(
        NETWORK,
        "SuggestCidr",
        {
            "workspace_id": principal.workspace_id,
            "prefix_length": prefix_length,
            **_filters(region=region, provider=provider.value if provider else None),
        },
    )
    return ok(result)


@router.post(PLANNER + "/cidr-plan/check")
async def check_cidr_plan(body: CidrPlanBody, principal: Reader, svc: Svc) -> JSONResponse:
    """Check a network layout (a VPC block and its subnets) against the workspace's estate
    without creating anything: overlaps and blocks outside the VPC are named."""
    result = await svc.call(
        NETWORK, "CheckCidrPlan", {"workspace_id": principal.workspace_id, **_body(body)}
    )
    return ok(result, message="no problems" if result["ok"] else "the layout has problems")
