"""Cost analysis: thin reads answered by the cost service from its store. The query
values are checked there, so a bad period or dimension is the service's 422 with its
own code (INVALID_PERIOD, INVALID_BREAKDOWN...)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from ..auth import Principal
from ..envelope import ok
from ..permissions import Permission
from .deps import Reader, Svc, caller
from .models import EstimateBody

router = APIRouter(prefix="/api/v1/cost-analysis", tags=["cost"])
COST = "cost"
# A collection reads every billing API of the workspace with its decrypted credentials:
# not for viewers.
CostCollector = Annotated[Principal, Depends(caller(Permission.CLUSTERS_WRITE))]

Period = Annotated[str | None, Query(max_length=16, description="7d, 1m (default), 3m, 6m, 1y")]
ResourceTypes = Annotated[
    str | None, Query(max_length=32, description="all (default), vm, cluster, vm,cluster")
]
Provider = Annotated[str | None, Query(max_length=16, description="aws, gcp or azure")]


def _scope(
    principal: Principal, period: str | None, resource_types: str | None, provider: str | None
) -> dict[str, Any]:
    query = {
        "workspace_id": principal.workspace_id,
        "period": period,
        "resource_types": resource_types,
        "provider": provider,
    }
    return {k: v for k, v in query.items() if v}


@router.get("/summary")
async def cost_summary(
    principal: Reader,
    svc: Svc,
    period: Period = None,
    resource_types: ResourceTypes = None,
    provider: Provider = None,
) -> JSONResponse:
    """The period's total cost, per provider and per day, in the stated currency. A cloud
    whose billing API cannot be read is estimated from what SkyClust runs there, with a
    warning saying so."""
    scope = _scope(principal, period, resource_types, provider)
    return ok(await svc.call(COST, "GetCostSummary", scope))


@router.get("/breakdown")
async def cost_breakdown(
    principal: Reader,
    svc: Svc,
    by: Annotated[
        str,
        Query(
            max_length=140,
            description="service, provider, region, cluster, node_group or tag:<key>",
        ),
    ] = "service",
    period: Period = None,
    resource_types: ResourceTypes = None,
    provider: Provider = None,
) -> JSONResponse:
    """The period's cost grouped by service, provider, region, cluster, node group or a
    tag's value (`by=tag:<key>`), per provider, with the warnings of any cloud whose
    billing could not be read."""
    scope = _scope(principal, period, resource_types, provider)
    return ok(await svc.call(COST, "GetCostBreakdown", {**scope, "by": by}))


@router.get("/trend")
async def cost_trend(
    principal: Reader,
    svc: Svc,
    period: Period = None,
    resource_types: ResourceTypes = None,
    provider: Provider = None,
) -> JSONResponse:
    """Whether cost is rising: the second half of the period against the first."""
    scope = _scope(principal, period, resource_types, provider)
    return ok(await svc.call(COST, "GetCostTrend", scope))


@router.get("/comparison")
async def cost_comparison(
    principal: Reader,
    svc: Svc,
    period: Period = None,
    resource_types: ResourceTypes = None,
    provider: Provider = None,
) -> JSONResponse:
    """This period's cost against the previous one of the same length, in total and per
    provider."""
    scope = _scope(principal, period, resource_types, provider)
    return ok(await svc.call(COST, "GetCostComparison", scope))


@router.get("/forecast")
async def cost_forecast(
    principal: Reader,
    svc: Svc,
    horizon: Annotated[
        str | None, Query(max_length=16, description="7d, 1m (default), 3m, 6m, 1y ahead")
    ] = None,
    method: Annotated[
        Literal["seasonal_steps", "linear"] | None,
        Query(description="seasonal_steps (default), or the seed's linear, to compare"),
    ] = None,
    resource_types: ResourceTypes = None,
    provider: Provider = None,
) -> JSONResponse:
    """The next days' cost with 80% and 95% intervals, learnt from the last 120 days and
    told of the clusters created, scaled or deleted since (`steps`)."""
    scope = _scope(principal, None, resource_types, provider)
    extra = {k: v for k, v in (("horizon", horizon), ("method", method)) if v}
    return ok(await svc.call(COST, "GetCostForecast", {**scope, **extra}))


@router.post("/estimate")
async def cost_estimate(principal: Reader, body: EstimateBody, svc: Svc) -> JSONResponse:
    """What a cluster would cost a month, line by line, before it is asked for."""
    query = {**body.as_query(), "workspace_id": principal.workspace_id}
    return ok(await svc.call(COST, "EstimateClusterCost", query))


@router.post("/budget-check")
async def budget_check(principal: Reader, body: EstimateBody, svc: Svc) -> JSONResponse:
    """The budget guardrail's verdict on a cluster before it is asked for, from the cost
    service's own check: `allow`, `warn` (a warn budget would pass 100%) or `refuse` (an
    enforce budget would: the create is refused with `BUDGET_EXCEEDED` unless an admin
    overrides it), with each budget it would pass. Nothing is created or recorded."""
    # Asked as an admin's override, the guardrail never raises: it answers `override`
    # with every finding, which for this caller's plain create means a refusal. The
    # query has no side effect, so nothing is overridden by asking.
    query = {
        **body.as_guardrail_query(),
        "workspace_id": principal.workspace_id,
        "actor_id": principal.user_id,
        "actor_is_admin": True,
        "override": True,
    }
    result = await svc.call(COST, "CheckBudgetGuardrail", query)
    verdict = "refuse" if result["action"] == "override" else result["action"]
    check = {**result, "verdict": verdict, "can_override": principal.role == "admin"}
    del check["action"]
    return ok(check)


@router.post("/collect")
async def collect_costs(
    principal: CostCollector,
    svc: Svc,
    provider: Provider = None,
    days: Annotated[int | None, Query(ge=1, le=400)] = None,
) -> JSONResponse:
    """Collect the workspace's costs from every cloud's billing API now, instead of waiting
    for the next scheduled run."""
    body: dict[str, Any] = {"workspace_id": principal.workspace_id}
    if provider:
        body["provider"] = provider
    if days:
        body["days"] = days
    return ok(await svc.call(COST, "CollectCosts", body))
