"""A would-be cluster's monthly estimate, as the guardrail prices a create: the request
body of a cluster (provider, region, node groups, the GKE/AKS pool config, network
pieces), priced by the price book (`domain/estimate.py`)."""

from __future__ import annotations

from typing import Any

from skyclust_common.messages.rpc import EstimateClusterCost
from skyclust_common.messaging import RpcContext

from ..domain.estimate import ClusterRequest, estimate
from .common import CostDeps


async def estimate_cluster_cost(
    deps: CostDeps, req: EstimateClusterCost.Request, ctx: RpcContext
) -> dict[str, Any]:
    body = req.model_dump(mode="json", by_alias=True, exclude_none=True)
    # The cached pricing-API prices over the shipped table, as the guardrail's; every
    # line says where its price came from.
    return estimate(ClusterRequest.from_dict(body), deps.prices.book).as_dict()
