from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from skyclust_common.messages.base import Rpc
from skyclust_common.messages.rpc import (
    CollectCosts,
    GetCostBreakdown,
    GetCostComparison,
    GetCostSummary,
    GetCostTrend,
)
from skyclust_common.messaging import Bus, RpcContext, serve_handlers

from ..handlers import collect, queries
from ..handlers.common import CostDeps

Handler = Callable[[CostDeps, dict[str, Any], RpcContext], Awaitable[dict[str, Any]]]

# Each handler and the contract it serves; the tests call a handler with its request
# parsed the same way.
CONTRACTS: dict[Callable[..., Awaitable[dict[str, Any]]], type[Rpc[Any, Any]]] = {
    queries.get_cost_summary: GetCostSummary,
    queries.get_cost_breakdown: GetCostBreakdown,
    queries.get_cost_trend: GetCostTrend,
    queries.get_cost_comparison: GetCostComparison,
    collect.collect_costs: CollectCosts,
}
HANDLERS: dict[str, Handler] = {
    contract.CONTRACT: contract.served(handler) for handler, contract in CONTRACTS.items()
}


async def register(bus: Bus, deps: CostDeps) -> None:
    await serve_handlers(bus, HANDLERS, deps)
