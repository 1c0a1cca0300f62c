"""Networks, subnets and security groups per provider, and the workspace's CIDR planner.
Changes answer 202 with the resource in its first state; progress is on the event stream."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from skyclust_common.errors import NotFound

from ..auth import Principal
from ..envelope import ok
from ..permissions import Permission, require
from .deps import Services, services
from .models import Provider

NETWORK = "network"
STREAM_HINT = "follow its progress on /api/v1/events/stream"

# One flat router: the permission table and its tests read routes one level deep.
router = APIRouter(tags=["network"])
BY_PROVIDER = "/api/v1/{provider}/network"
PLANNER = "/api/v1/network"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


TagKey = Annotated[str, Field(min_length=1, max_length=128)]
TagValue = Annotated[str, Field(max_length=256)]
Tags = Annotated[dict[TagKey, TagValue], Field(max_length=50)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
Region = Annotated[str, Field(min_length=1, max_length=64)]
Cidr = Annotated[str, Field(min_length=1, max_length=64)]


class GcpConfig(Strict):
    routing_mode: Literal["REGIONAL", "GLOBAL"] | None = None
    mtu: int | None = Field(default=None, ge=1300, le=8896)


class VpcBody(Strict):
    credential_id: uuid.UUID
    name: Name
    region: Region | None = Field(default=None, description="required for AWS and Azure")
    cidr_block: Cidr | None = Field(
        default=None, description="without it the planner picks a free block of prefix_length"
    )
    prefix_length: int | None = Field(default=None, ge=8, le=29)
    allow_overlap: bool = False
    resource_group: str | None = Field(default=None, min_length=1, max_length=90)
    tags: Tags | None = None
    gcp_config: GcpConfig | None = None


class TagsBody(Strict):
    tags: Tags


class DiscoverBody(Strict):
    credential_id: uuid.UUID
    region: Region | None = None


class SubnetBody(Strict):
    vpc_id: uuid.UUID
    name: Name
    cidr_block: Cidr
    region: Region | None = Field(default=None, description="GCP subnets of a global network")
    availability_zone: str | None = Field(default=None, min_length=1, max_length=64)
    is_public: bool = False
    tags: Tags | None = None


class RuleBody(Strict):
    direction: Literal["ingress", "egress"]
    protocol: Literal["tcp", "udp", "icmp", "all"]
    cidr: Cidr
    from_port: int | None = Field(default=None, ge=0, le=65535)
    to_port: int | None = Field(default=None, ge=0, le=65535)
    action: Literal["allow", "deny"] = "allow"
    priority: int | None = Field(default=None, ge=0, le=65535)
    description: str = Field(default="", max_length=200)


class SecurityGroupBody(Strict):
    vpc_id: uuid.UUID
    name: Name
    description: str = Field(default="", max_length=255)
    rules: list[RuleBody] = Field(default_factory=list, max_length=50)
    tags: Tags | None = None


class SecurityGroupChange(Strict):
    rules: list[RuleBody] | None = Field(default=None, max_length=50)
    tags: Tags | None = None

    @model_validator(mode="after")
    def _something(self) -> SecurityGroupChange:
        if self.rules is None and self.tags is None:
            raise ValueError("give rules, tags or both")
        return self


class LayoutSubnet(Strict):
    name: str | None = Field(default=None, max_length=100)
    cidr_block: Cidr


class LayoutVpc(Strict):
    name: str | None = Field(default=None, max_length=100)
    provider: Provider | None = None
    region: Region | None = None
    cidr_block: Cidr
    allow_overlap: bool = False
    subnets: list[LayoutSubnet] = Field(default_factory=list, max_length=100)


class CidrPlanBody(Strict):
    vpcs: list[LayoutVpc] = Field(min_length=1, max_length=50)


def _body(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


def _filters(**values: Any) -> dict[str, Any]:
    return {
        k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in values.items() if v is not None
    }


async def _owned(
    svc: Services,
    principal: Principal,
    provider: Provider,
    query: str,
    key: str,
    resource_id: uuid.UUID,
    code: str,
) -> dict[str, Any]:
    """A resource of the caller's workspace under this provider's path, or 404."""
    found: dict[str, Any] = await svc.call(
        NETWORK, query, {"workspace_id": principal.workspace_id, key: str(resource_id)}
    )
    if found["provider"] != provider.value:
        raise NotFound(f"{key.removesuffix('_id').replace('_', ' ')} not found", code=code)
    return found


def _change(principal: Principal, **values: Any) -> dict[str, Any]:
    return {"workspace_id": principal.workspace_id, "actor_id": principal.user_id, **values}


# networks ------------------------------------------------------------------------------


@router.post(BY_PROVIDER + "/vpcs", status_code=202)
async def create_vpc(
    provider: Provider,
    body: VpcBody,
    principal: Principal = Depends(require(Permission.NETWORKS_WRITE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    result = await svc.call(
        NETWORK, "CreateVpc", _change(principal, provider=provider.value, **_body(body))
    )
    return ok(result, 202, f"network requested; {STREAM_HINT}")


@router.get(BY_PROVIDER + "/vpcs")
async def list_vpcs(
    provider: Provider,
    region: Region | None = None,
    credential_id: uuid.UUID | None = None,
    tag: Annotated[str | None, Query(max_length=400, description="key or key=value")] = None,
    managed: bool | None = None,
    principal: Principal = Depends(require(Permission.READ)),
    svc: Services = Depends(services),
) -> JSONResponse:
    result = await svc.call(
        NETWORK,
        "ListVpcs",
        {
            "workspace_id": principal.workspace_id,
            "provider": provider.value,
            **_filters(region=region, credential_id=credential_id, tag=tag, managed=managed),
        },
    )
    return ok(result["items"])


@router.post(BY_PROVIDER + "/vpcs/discover")
async def discover_vpcs(
    provider: Provider,
    body: DiscoverBody,
    principal: Principal = Depends(require(Permission.NETWORKS_WRITE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    result = await svc.call(
        NETWORK, "DiscoverNetworks", _change(principal, provider=provider.value, **_body(body))
    )
    return ok(
        result["items"],
        message=f"{result['discovered']} discovered, {result['vanished']} gone from the cloud",
    )


@router.get(BY_PROVIDER + "/vpcs/{vpc_id}")
async def get_vpc(
    provider: Provider,
    vpc_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.READ)),
    svc: Services = Depends(services),
) -> JSONResponse:
    return ok(await _owned(svc, principal, provider, "GetVpc", "vpc_id", vpc_id, "VPC_NOT_FOUND"))


@router.patch(BY_PROVIDER + "/vpcs/{vpc_id}", status_code=202)
async def update_vpc(
    provider: Provider,
    vpc_id: uuid.UUID,
    body: TagsBody,
    principal: Principal = Depends(require(Permission.NETWORKS_WRITE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    await _owned(svc, principal, provider, "GetVpc", "vpc_id", vpc_id, "VPC_NOT_FOUND")
    result = await svc.call(
        NETWORK, "UpdateVpc", _change(principal, vpc_id=str(vpc_id), tags=body.tags)
    )
    return ok(result, 202, f"network update requested; {STREAM_HINT}")


@router.delete(BY_PROVIDER + "/vpcs/{vpc_id}", status_code=202)
async def delete_vpc(
    provider: Provider,
    vpc_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.NETWORKS_WRITE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    await _owned(svc, principal, provider, "GetVpc", "vpc_id", vpc_id, "VPC_NOT_FOUND")
    result = await svc.call(NETWORK, "DeleteVpc", _change(principal, vpc_id=str(vpc_id)))
    return ok(result, 202, f"network deletion requested; {STREAM_HINT}")


@router.post(BY_PROVIDER + "/vpcs/{vpc_id}/adopt")
async def adopt_vpc(
    provider: Provider,
    vpc_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.WORKSPACE_MANAGE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    await _owned(svc, principal, provider, "GetVpc", "vpc_id", vpc_id, "VPC_NOT_FOUND")
    result = await svc.call(NETWORK, "AdoptVpc", _change(principal, vpc_id=str(vpc_id)))
    return ok(result, message="network adopted: SkyClust now manages it")


# subnets -------------------------------------------------------------------------------


@router.post(BY_PROVIDER + "/subnets", status_code=202)
async def create_subnet(
    provider: Provider,
    body: SubnetBody,
    principal: Principal = Depends(require(Permission.NETWORKS_WRITE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    result = await svc.call(
        NETWORK, "CreateSubnet", _change(principal, provider=provider.value, **_body(body))
    )
    return ok(result, 202, f"subnet requested; {STREAM_HINT}")


@router.get(BY_PROVIDER + "/subnets")
async def list_subnets(
    provider: Provider,
    vpc_id: uuid.UUID | None = None,
    region: Region | None = None,
    credential_id: uuid.UUID | None = None,
    tag: Annotated[str | None, Query(max_length=400, description="key or key=value")] = None,
    principal: Principal = Depends(require(Permission.READ)),
    svc: Services = Depends(services),
) -> JSONResponse:
    result = await svc.call(
        NETWORK,
        "ListSubnets",
        {
            "workspace_id": principal.workspace_id,
            "provider": provider.value,
            **_filters(vpc_id=vpc_id, region=region, credential_id=credential_id, tag=tag),
        },
    )
    return ok(result["items"])


@router.get(BY_PROVIDER + "/subnets/{subnet_id}")
async def get_subnet(
    provider: Provider,
    subnet_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.READ)),
    svc: Services = Depends(services),
) -> JSONResponse:
    return ok(
        await _owned(
            svc, principal, provider, "GetSubnet", "subnet_id", subnet_id, "SUBNET_NOT_FOUND"
        )
    )


@router.patch(BY_PROVIDER + "/subnets/{subnet_id}", status_code=202)
async def update_subnet(
    provider: Provider,
    subnet_id: uuid.UUID,
    body: TagsBody,
    principal: Principal = Depends(require(Permission.NETWORKS_WRITE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    await _owned(svc, principal, provider, "GetSubnet", "subnet_id", subnet_id, "SUBNET_NOT_FOUND")
    result = await svc.call(
        NETWORK, "UpdateSubnet", _change(principal, subnet_id=str(subnet_id), tags=body.tags)
    )
    return ok(result, 202, f"subnet update requested; {STREAM_HINT}")


@router.delete(BY_PROVIDER + "/subnets/{subnet_id}", status_code=202)
async def delete_subnet(
    provider: Provider,
    subnet_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.NETWORKS_WRITE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    await _owned(svc, principal, provider, "GetSubnet", "subnet_id", subnet_id, "SUBNET_NOT_FOUND")
    result = await svc.call(NETWORK, "DeleteSubnet", _change(principal, subnet_id=str(subnet_id)))
    return ok(result, 202, f"subnet deletion requested; {STREAM_HINT}")


# security groups -----------------------------------------------------------------------

GROUP_NOT_FOUND = "SECURITY_GROUP_NOT_FOUND"


@router.post(BY_PROVIDER + "/security-groups", status_code=202)
async def create_security_group(
    provider: Provider,
    body: SecurityGroupBody,
    principal: Principal = Depends(require(Permission.NETWORKS_WRITE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    result = await svc.call(
        NETWORK, "CreateSecurityGroup", _change(principal, provider=provider.value, **_body(body))
    )
    return ok(result, 202, f"security group requested; {STREAM_HINT}")


@router.get(BY_PROVIDER + "/security-groups")
async def list_security_groups(
    provider: Provider,
    vpc_id: uuid.UUID | None = None,
    region: Region | None = None,
    credential_id: uuid.UUID | None = None,
    tag: Annotated[str | None, Query(max_length=400, description="key or key=value")] = None,
    principal: Principal = Depends(require(Permission.READ)),
    svc: Services = Depends(services),
) -> JSONResponse:
    result = await svc.call(
        NETWORK,
        "ListSecurityGroups",
        {
            "workspace_id": principal.workspace_id,
            "provider": provider.value,
            **_filters(vpc_id=vpc_id, region=region, credential_id=credential_id, tag=tag),
        },
    )
    return ok(result["items"])


@router.get(BY_PROVIDER + "/security-groups/{group_id}")
async def get_security_group(
    provider: Provider,
    group_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.READ)),
    svc: Services = Depends(services),
) -> JSONResponse:
    return ok(
        await _owned(
            svc,
            principal,
            provider,
            "GetSecurityGroup",
            "security_group_id",
            group_id,
            GROUP_NOT_FOUND,
        )
    )


@router.patch(BY_PROVIDER + "/security-groups/{group_id}", status_code=202)
async def update_security_group(
    provider: Provider,
    group_id: uuid.UUID,
    body: SecurityGroupChange,
    principal: Principal = Depends(require(Permission.NETWORKS_WRITE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    await _owned(
        svc, principal, provider, "GetSecurityGroup", "security_group_id", group_id, GROUP_NOT_FOUND
    )
    result = await svc.call(
        NETWORK,
        "UpdateSecurityGroup",
        _change(principal, security_group_id=str(group_id), **_body(body)),
    )
    return ok(result, 202, f"security group update requested; {STREAM_HINT}")


@router.delete(BY_PROVIDER + "/security-groups/{group_id}", status_code=202)
async def delete_security_group(
    provider: Provider,
    group_id: uuid.UUID,
    principal: Principal = Depends(require(Permission.NETWORKS_WRITE)),
    svc: Services = Depends(services),
) -> JSONResponse:
    await _owned(
        svc, principal, provider, "GetSecurityGroup", "security_group_id", group_id, GROUP_NOT_FOUND
    )
    result = await svc.call(
        NETWORK, "DeleteSecurityGroup", _change(principal, security_group_id=str(group_id))
    )
    return ok(result, 202, f"security group deletion requested; {STREAM_HINT}")


# the planner -----------------------------------------------------------------------------


@router.get(PLANNER + "/cidr-plan")
async def suggest_cidr(
    prefix_length: Annotated[int, Query(ge=8, le=29)],
    region: Region | None = None,
    provider: Provider | None = None,
    principal: Principal = Depends(require(Permission.READ)),
    svc: Services = Depends(services),
) -> JSONResponse:
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
async def check_cidr_plan(
    body: CidrPlanBody,
    principal: Principal = Depends(require(Permission.READ)),
    svc: Services = Depends(services),
) -> JSONResponse:
    result = await svc.call(
        NETWORK, "CheckCidrPlan", {"workspace_id": principal.workspace_id, **_body(body)}
    )
    return ok(result, message="no problems" if result["ok"] else "the layout has problems")
