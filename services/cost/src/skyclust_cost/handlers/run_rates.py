"""The run-rate steps a forecast is told of: the runs SkyClust knows of (control planes
and node groups, from the cluster events) that began or ended after the history's first
day, priced by the price book (the shipped default table where no pricing API's price
is held), for the scope asked about."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from ..adapters.repositories import CostUnitOfWork, Run
from ..domain.forecast import RunRateStep
from ..domain.prices import PriceBook
from ..domain.run_rate import CONTROL_PLANE, RunSpan, run_rate_steps

# (provider, cluster id) → whether a run counts for the scope.
Covers = Callable[[str, str], bool]


def _span(run: Run) -> RunSpan:
    return RunSpan(
        cluster_id=str(run.cluster_id),
        node_group_id=run.node_group_id,
        provider=run.provider,
        region=run.region,
        instance_type=run.instance_type,
        count=run.count,
        since=run.since,
        until=run.until,
    )


def hourly_price(book: PriceBook) -> Callable[[RunSpan], Decimal | None]:
    def price(run: RunSpan) -> Decimal | None:
        if run.instance_type == CONTROL_PLANE:
            found = book.control_plane(run.provider, run.region)
        else:
            found = book.instance(run.provider, run.region, run.instance_type)
        return None if found is None else found.hourly

    return price


async def steps_for(
    uow: CostUnitOfWork,
    workspace_id: uuid.UUID,
    provider: str | None,
    covers: Covers,
    start: date,
    today: date,
) -> tuple[list[RunRateStep], set[str]]:
    """The steps after `start` up to today, and the instance types left unpriced."""
    since = datetime.combine(start, time(), UTC)
    until = datetime.combine(today + timedelta(days=1), time(), UTC)
    runs = await uow.inventory.overlapping(workspace_id, provider, since, until)
    spans = [_span(r) for r in runs if covers(r.provider, str(r.cluster_id))]
    return run_rate_steps(spans, start, hourly_price(PriceBook()))
