"""The planner's requests: suggest a free block, check a proposed layout. Both read the
workspace's networks in every cloud and region, managed and discovered."""

from __future__ import annotations

import uuid
from typing import Any

from skyclust_common.messaging import RpcContext

from ..domain import cidr
from .common import NetworkDeps


async def known_networks(
    deps: NetworkDeps, workspace_id: str, exclude: str | None = None
) -> list[cidr.KnownNetwork]:
    async with deps.uow() as uow:
        rows = await uow.vpcs.planned(
            uuid.UUID(workspace_id), uuid.UUID(exclude) if exclude else None
        )
        return [row.known() for row in rows]


async def suggest_cidr(deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    existing = await known_networks(deps, data["workspace_id"])
    block = cidr.suggest(data["prefix_length"], existing, provider=data.get("provider"))
    in_region = [n for n in existing if data.get("region") and n.region == data["region"]]
    return {
        "cidr_block": str(block),
        "prefix_length": block.prefixlen,
        "region": data.get("region"),
        "provider": data.get("provider"),
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
    deps: NetworkDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    existing = await known_networks(deps, data["workspace_id"])
    problems = cidr.check_layout(data["vpcs"], existing)
    return {
        "ok": not problems,
        "problems": [p.to_dict() for p in problems],
        "networks_considered": len(existing),
    }
