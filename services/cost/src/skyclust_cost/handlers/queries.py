"""The reads: summary, breakdown, trend, comparison and forecast, all answered from the
store, with the warnings of each cloud whose billing API could not be read at the last
collection."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from skyclust_common.messages.rpc import (
    GetCostBreakdown,
    GetCostComparison,
    GetCostForecast,
    GetCostSummary,
    GetCostTrend,
)
from skyclust_common.messaging import RpcContext

from ..domain import periods
from ..domain.errors import InvalidHorizon
from ..domain.forecast import Forecast, RunRateStep, forecast, linear_forecast
from ..domain.records import CostWarning
from .cloud_forecasts import cloud_forecasts
from .common import CostDeps
from .run_rates import steps_for

CURRENCY = "USD"
# How far back a forecast learns from: as a budget's (handlers/budgets.py), a quarter and
# more, enough for the weekly shape and a trend without last year's.
FORECAST_HISTORY_DAYS = 120
# Money leaves as a JSON number; cents are what a reader compares.
_CENT = Decimal("0.000001")


def query(
    deps: CostDeps,
    workspace_id: uuid.UUID,
    period: str | None,
    resource_types: str | None,
    provider: str | None,
) -> periods.Scope:
    name = period or "1m"
    days = periods.window(name, deps.today())
    return periods.Scope(
        workspace_id,
        days.start,
        days.end,
        periods.resource_types(resource_types or "all"),
        periods.provider(provider),
        name,
    )


def money(amount: Decimal) -> float:
    return float(amount.quantize(_CENT))


def _head(q: periods.Scope, warnings: list[CostWarning]) -> dict[str, Any]:
    return {
        "period": q.period,
        "start": q.start.isoformat(),
        "end": q.end.isoformat(),
        "currency": CURRENCY,
        "warnings": [w.view() for w in warnings],
    }


async def _daily(
    deps: CostDeps, q: periods.Scope
) -> tuple[list[tuple[date, str, Decimal]], list[CostWarning]]:
    async with deps.uow() as uow:
        rows = await uow.records.daily(q)
        warnings = await uow.statuses.warnings(q.workspace_id, q.provider)
    return rows, warnings


def _series(q: periods.Scope, rows: list[tuple[date, str, Decimal]]) -> list[tuple[date, Decimal]]:
    per_day: dict[date, Decimal] = defaultdict(Decimal)
    for day, _, amount in rows:
        per_day[day] += amount
    return periods.dense(periods.Window(q.start, q.end), per_day)


async def get_cost_summary(
    deps: CostDeps, req: GetCostSummary.Request, ctx: RpcContext
) -> dict[str, Any]:
    q = query(deps, req.workspace_id, req.period, req.resource_types, req.provider)
    rows, warnings = await _daily(deps, q)
    by_provider: dict[str, Decimal] = defaultdict(Decimal)
    for _, name, amount in rows:
        by_provider[name] += amount
    series = _series(q, rows)
    return {
        **_head(q, warnings),
        "total": money(sum((a for _, a in series), Decimal(0))),
        "by_provider": {name: money(a) for name, a in sorted(by_provider.items())},
        "daily": [{"date": d.isoformat(), "amount": money(a)} for d, a in series],
    }


async def get_cost_breakdown(
    deps: CostDeps, req: GetCostBreakdown.Request, ctx: RpcContext
) -> dict[str, Any]:
    q = query(deps, req.workspace_id, req.period, req.resource_types, req.provider)
    dimension, tag = periods.dimension(req.by)
    async with deps.uow() as uow:
        groups = await uow.records.grouped(q, dimension, tag)
        warnings = await uow.statuses.warnings(q.workspace_id, q.provider)
    total = sum((a for _, a in groups), Decimal(0))
    return {
        **_head(q, warnings),
        "by": req.by,
        "total": money(total),
        "items": [
            {"key": key, "amount": money(a), "share": float(a / total) if total else 0.0}
            for key, a in groups
        ],
    }


async def get_cost_trend(
    deps: CostDeps, req: GetCostTrend.Request, ctx: RpcContext
) -> dict[str, Any]:
    q = query(deps, req.workspace_id, req.period, req.resource_types, req.provider)
    rows, warnings = await _daily(deps, q)
    series = _series(q, rows)
    found = periods.trend(series)
    return {
        **_head(q, warnings),
        "first_half": money(found.first_half),
        "second_half": money(found.second_half),
        "change": money(found.change),
        "change_percent": float(found.change_percent) if found.change_percent is not None else None,
        "direction": found.direction,
        "daily": [{"date": d.isoformat(), "amount": money(a)} for d, a in series],
    }


async def get_cost_comparison(
    deps: CostDeps, req: GetCostComparison.Request, ctx: RpcContext
) -> dict[str, Any]:
    q = query(deps, req.workspace_id, req.period, req.resource_types, req.provider)
    before = periods.Window(q.start, q.end).previous()
    previous_q = periods.Scope(
        q.workspace_id, before.start, before.end, q.resource_types, q.provider, q.period
    )
    rows, warnings = await _daily(deps, q)
    previous_rows, _ = await _daily(deps, previous_q)
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for _, name, amount in rows:
        sums[name][0] += amount
    for _, name, amount in previous_rows:
        sums[name][1] += amount
    current = sum((a for _, _, a in rows), Decimal(0))
    previous = sum((a for _, _, a in previous_rows), Decimal(0))
    change = current - previous
    share = periods.percent(change, previous)
    return {
        **_head(q, warnings),
        "current": money(current),
        "previous": money(previous),
        "previous_start": before.start.isoformat(),
        "previous_end": before.end.isoformat(),
        "change": money(change),
        "change_percent": float(share) if share is not None else None,
        "by_provider": {
            name: {"current": money(c), "previous": money(p)}
            for name, (c, p) in sorted(sums.items())
        },
    }


def _horizon(value: str | None) -> tuple[str, int]:
    name = value or "1m"
    days = periods.PERIOD_DAYS.get(name)
    if days is None:
        choices = ", ".join(periods.PERIOD_DAYS)
        raise InvalidHorizon(f"horizon must be one of {choices}, not {value!r}")
    return name, days


def _forecast_view(found: Forecast) -> dict[str, Any]:
    def m(x: float) -> float:
        return round(x, 2)

    return {
        "method": found.method,
        "total": m(found.total),
        "intervals": {
            "80": [m(found.total_lower_80), m(found.total_upper_80)],
            "95": [m(found.total_lower_95), m(found.total_upper_95)],
        },
        "daily": [
            {
                "date": p.day.isoformat(),
                "mean": m(p.mean),
                "lower_80": m(p.lower_80),
                "upper_80": m(p.upper_80),
                "lower_95": m(p.lower_95),
                "upper_95": m(p.upper_95),
            }
            for p in found.points
        ],
    }


async def get_cost_forecast(
    deps: CostDeps, req: GetCostForecast.Request, ctx: RpcContext
) -> dict[str, Any]:
    """The scope's daily cost of the last FORECAST_HISTORY_DAYS (from its first day of
    cost on, a day without rows a zero), forecast over the horizon with the run-rate
    steps of what began or ended in that time; with no history yet, from a zero today
    and the steps alone. Next to it, the clouds' own forecasts of the same days, for
    the whole account of each credential (so only when every resource type is asked for)."""
    horizon, days = _horizon(req.horizon)
    today = deps.today()
    q = periods.Scope(
        req.workspace_id,
        today - timedelta(days=FORECAST_HISTORY_DAYS - 1),
        today,
        periods.resource_types(req.resource_types or "all"),
        periods.provider(req.provider),
        horizon,
    )
    rows, warnings = await _daily(deps, q)
    per_day: dict[date, Decimal] = defaultdict(Decimal)
    for day, _, amount in rows:
        per_day[day] += amount
    first = min(per_day) if per_day else None
    series = periods.dense(periods.Window(first or today, today), per_day)
    steps: list[RunRateStep] = []
    if "cluster" in q.resource_types:
        # Runs are clusters' (every estimate row names its cluster).
        async with deps.uow() as uow:
            steps, _ = await steps_for(
                uow, q.workspace_id, q.provider, lambda p, c: True, first or q.start, today
            )
    method = req.method or "seasonal_steps"
    history = [(d, float(a)) for d, a in series]
    found = linear_forecast(history, days) if method == "linear" else forecast(history, days, steps)
    theirs: list[dict[str, Any]] = []
    if q.resource_types == periods.resource_types("all"):
        theirs, refused = await cloud_forecasts(
            deps,
            q.workspace_id,
            q.provider,
            today + timedelta(days=1),
            today + timedelta(days=days),
        )
        warnings = warnings + [w for w in refused if w not in warnings]
    return {
        "horizon": horizon,
        "start": (today + timedelta(days=1)).isoformat(),
        "end": (today + timedelta(days=days)).isoformat(),
        "history_start": first.isoformat() if first else None,
        "history_end": today.isoformat(),
        "currency": CURRENCY,
        "warnings": [w.view() for w in warnings],
        **_forecast_view(found),
        "steps": [
            {"date": s.day.isoformat(), "delta_per_day": round(s.delta_per_day, 2)}
            for s in (steps if method != "linear" else [])
        ],
        "cloud_forecasts": theirs,
    }
