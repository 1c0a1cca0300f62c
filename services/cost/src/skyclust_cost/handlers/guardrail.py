"""The budget guardrail as a query: the request's monthly estimate against the budgets
covering it, each at its forecast for the period (the same standing the check and
`GET /budgets/{id}` read), decided by `domain.budgets.guardrail`. A refusal is raised as
its error (BUDGET_EXCEEDED, BUDGET_OVERRIDE_FORBIDDEN), so the caller gets its status
and code over the bus."""

from __future__ import annotations

from typing import Any

from skyclust_common.messages.rpc import CheckBudgetGuardrail
from skyclust_common.messaging import RpcContext

from ..domain.budgets import CoveringBudget, guardrail
from ..domain.estimate import ClusterRequest, NodeGroupRequest, estimate
from .budgets import standing
from .common import CostDeps


def cluster_request(req: CheckBudgetGuardrail.Request) -> ClusterRequest:
    groups = tuple(
        NodeGroupRequest(
            name=ng.name or f"node-group-{i + 1}",
            instance_type=ng.instance_type,
            desired_size=ng.desired_size,
            min_size=ng.min_size,
            max_size=ng.max_size,
        )
        for i, ng in enumerate(req.node_groups)
    )
    return ClusterRequest(
        provider=req.provider,
        region=req.region,
        version=req.version,
        node_groups=groups,
        include_control_plane=(
            req.include_control_plane if req.include_control_plane is not None else True
        ),
    )


async def check_budget_guardrail(
    deps: CostDeps, req: CheckBudgetGuardrail.Request, ctx: RpcContext
) -> dict[str, Any]:
    # The cached pricing-API prices over the shipped table; every line of the estimate
    # says where its price came from.
    found = estimate(cluster_request(req), deps.prices.book)
    today = deps.today()
    cluster = str(req.cluster_id) if req.cluster_id is not None else None
    tags = dict(req.tags or {})
    covering = []
    async with deps.uow() as uow:
        for stored in await uow.budgets.of_workspace(req.workspace_id):
            budget = stored.budget
            if budget.scope.covers(req.provider, cluster, tags):
                status = await standing(uow, budget, today)
                covering.append(CoveringBudget(budget, status.forecast))
    decision = guardrail(
        covering,
        found.monthly,
        today,
        override=bool(req.override),
        is_admin=bool(req.actor_is_admin),
    )
    return {
        "action": decision.action,
        "estimate": found.as_dict(),
        "findings": [f.as_dict() for f in decision.findings],
        "warnings": [*decision.warnings, *found.warnings],
    }
