"""A would-be cluster's monthly estimate, as the guardrail prices a create: the request
body of a cluster (provider, region, node groups, the GKE/AKS pool config, network
pieces), priced by the price book (`domain/estimate.py`)."""

from __future__ import annotations

from typing import Any

from skyclust_common.messages.rpc import EstimateClusterCost
from skyclust_common.messaging import RpcContext

from ..domain.estimate import ClusterRequest, estimate
from ..domain.prices import PriceBook
from .common import CostDeps


async def estimate_cluster_cost(
    deps: CostDeps, req: EstimateClusterCost.Request, ctx: RpcContext
) -> dict[str, Any]:
    body = req.model_dump(mode="json", by_alias=True, exclude_none=True)
    # The shipped default table, as the guardrail's: live pricing-API prices are not
    # stored by the service yet, and every line says where its price came from.
    return estimate(ClusterRequest.from_dict(body), PriceBook()).as_dict()
