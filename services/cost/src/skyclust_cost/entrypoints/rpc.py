from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from skyclust_common.messages.base import Rpc
from skyclust_common.messages.rpc import (
    CheckBudgetGuardrail,
    CollectCosts,
    CreateBudget,
    DeleteBudget,
    EstimateClusterCost,
    GetBudget,
    GetCostBreakdown,
    GetCostComparison,
    GetCostForecast,
    GetCostSummary,
    GetCostTrend,
    ListBudgets,
    UpdateBudget,
)
from skyclust_common.messaging import Bus, RpcContext, serve_handlers

from ..handlers import budgets, collect, estimates, guardrail, queries
from ..handlers.common import CostDeps

Handler = Callable[[CostDeps, dict[str, Any], RpcContext], Awaitable[dict[str, Any]]]

# Each handler and the contract it serves; the tests call a handler with its request
# parsed the same way.
CONTRACTS: dict[Callable[..., Awaitable[dict[str, Any]]], type[Rpc[Any, Any]]] = {
    queries.get_cost_summary: GetCostSummary,
    queries.get_cost_breakdown: GetCostBreakdown,
    queries.get_cost_trend: GetCostTrend,
    queries.get_cost_comparison: GetCostComparison,
    queries.get_cost_forecast: GetCostForecast,
    estimates.estimate_cluster_cost: EstimateClusterCost,
    collect.collect_costs: CollectCosts,
    budgets.create_budget: CreateBudget,
    budgets.update_budget: UpdateBudget,
    budgets.get_budget: GetBudget,
    budgets.list_budgets: ListBudgets,
    budgets.delete_budget: DeleteBudget,
    guardrail.check_budget_guardrail: CheckBudgetGuardrail,
}
HANDLERS: dict[str, Handler] = {
    contract.CONTRACT: contract.served(handler) for handler, contract in CONTRACTS.items()
}


async def register(bus: Bus, deps: CostDeps) -> None:
    await serve_handlers(bus, HANDLERS, deps)
