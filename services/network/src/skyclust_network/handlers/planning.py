"""The planner's requests: suggest a free block, check a proposed layout. Both read the
workspace's networks in every cloud and region, managed and discovered."""

from __future__ import annotations

import uuid
from typing import Any

from skyclust_common.messages.rpc import CheckCidrPlan, SuggestCidr
from skyclust_common.messaging import RpcContext

from ..domain import cidr
from .common import NetworkDeps, wire


async def known_networks(
    deps: NetworkDeps, workspace_id: uuid.UUID, exclude: uuid.UUID | None = None
) -> list[cidr.KnownNetwork]:
    async with deps.uow() as uow:
        rows = await uow.vpcs.planned(workspace_id, exclude)
        return [row.known() for row in rows]


async def suggest_cidr(
    deps: NetworkDeps, req: SuggestCidr.Request, ctx: RpcContext
) -> dict[str, Any]:
    existing = await known_networks(deps, req.workspace_id)
    block = cidr.suggest(req.prefix_length, existing, provider=req.provider)
    in_region = [n for n in existing if req.region and n.region == req.region]
    return {
        "cidr_block": str(block),
        "prefix_length": block.prefixlen,
        "region": req.region,
        "provider": req.provider,
        "networks_considered": len(existing),
        "networks_in_region": [
            {
                "id": n.id,
                "name": n.name,
                "provider": n.provider,
                "cidr_blocks": [str(c) for c in n.cidrs],
            }
            for n in in_region
        ],
    }


async def check_cidr_plan(
    deps: NetworkDeps, req: CheckCidrPlan.Request, ctx: RpcContext
) -> dict[str, Any]:
    existing = await known_networks(deps, req.workspace_id)
    problems = cidr.check_layout([wire(vpc) for vpc in req.vpcs], existing)
    return {
        "ok": not problems,
        "problems": [p.to_dict() for p in problems],
        "networks_considered": len(existing),
    }
