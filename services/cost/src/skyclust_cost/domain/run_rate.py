"""Estimated daily cost of what SkyClust knows runs: each run's hours inside each UTC day
times its count times the hourly price. Used for a cloud whose billing API cannot be read."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

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
