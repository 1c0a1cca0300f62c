"""Estimated daily cost of what SkyClust knows runs: each run's hours inside each UTC day
times its count times the hourly price. Used for a cloud whose billing API cannot be read."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from .forecast import RunRateStep
from .records import ESTIMATE, CostRow

# (provider, instance type or "control-plane", region) → USD per hour, or None when unknown.
PriceLookup = Callable[[str, str, str], Decimal | None]
CONTROL_PLANE = "control-plane"


@dataclass(frozen=True)
class RunSpan:
    cluster_id: str
    node_group_id: str
    provider: str
    region: str
    instance_type: str
    count: int
    since: datetime
    until: datetime | None


def _hours(since: datetime, until: datetime, day: date) -> Decimal:
    start = datetime.combine(day, time(), UTC)
    end = start + timedelta(days=1)
    overlap = (min(until, end) - max(since, start)).total_seconds()
    return Decimal(max(overlap, 0.0)) / Decimal(3600)


def estimate(
    runs: Iterable[RunSpan], start: date, end: date, now: datetime, price: PriceLookup
) -> tuple[list[CostRow], set[str]]:
    """The rows, and the instance types no price was found for (those runs add nothing)."""
    rows: list[CostRow] = []
    unpriced: set[str] = set()
    for run in runs:
        hourly = price(run.provider, run.instance_type, run.region)
        if hourly is None:
            unpriced.add(run.instance_type)
            continue
        until = min(run.until or now, now)
        day = max(start, run.since.date())
        while day <= min(end, until.date()):
            hours = _hours(run.since, until, day)
            if hours > 0:
                rows.append(
                    CostRow(
                        day=day,
                        provider=run.provider,
                        account="",
                        service="Kubernetes control plane"
                        if run.instance_type == CONTROL_PLANE
                        else "Compute",
                        region=run.region,
                        amount=hours * run.count * hourly,
                        cluster_id=run.cluster_id,
                        node_group=run.node_group_id,
                        source=ESTIMATE,
                    )
                )
            day += timedelta(days=1)
    return rows, unpriced


def _first_whole_day(moment: datetime) -> date:
    """The first UTC day wholly after a change: the day it happened is partly before it
    (the forecast sees that day's cost as it was billed, not at the new rate)."""
    day = moment.astimezone(UTC).date()
    return day if moment.astimezone(UTC).time() == time() else day + timedelta(days=1)


def run_rate_steps(
    runs: Iterable[RunSpan], start: date, hourly: Callable[[RunSpan], Decimal | None]
) -> tuple[list[RunRateStep], set[str]]:
    """The daily cost changes the forecast should know of after `start`: + a run's daily
    cost from the first whole day after it began, - from the first after it ended (a
    scale is both at once, so it nets to the change). A run begun before `start` is in
    the history already; only its end is a step. Also the instance types no price was
    found for (their runs add none)."""
    by_day: dict[date, Decimal] = {}
    unpriced: set[str] = set()
    for run in runs:
        rate = hourly(run)
        if rate is None:
            unpriced.add(run.instance_type)
            continue
        per_day = rate * run.count * 24
        began = _first_whole_day(run.since)
        if began > start:
            by_day[began] = by_day.get(began, Decimal(0)) + per_day
        if run.until is not None and _first_whole_day(run.until) > start:
            ended = _first_whole_day(run.until)
            by_day[ended] = by_day.get(ended, Decimal(0)) - per_day
    steps = [RunRateStep(day, float(delta)) for day, delta in sorted(by_day.items()) if delta]
    return steps, unpriced
