"""Scheduled collection. A lost pass loses nothing: the next one reads the same recent
days again and the upsert makes the repeat harmless."""

from __future__ import annotations

from functools import partial

from skyclust_common.runtime import PeriodicJob

from ..handlers.budget_check import check_everything
from ..handlers.collect import collect_everything
from ..handlers.common import CostDeps
from ..handlers.prices import refresh_prices
from ..settings import CostSettings


def jobs(deps: CostDeps, settings: CostSettings) -> list[PeriodicJob]:
    found = []
    interval = settings.collect_interval_seconds
    if interval > 0:
        found.append(PeriodicJob("cost-collection", interval, partial(collect_everything, deps)))
    # Also between collections: a forecast moves with the calendar, and a new period
    # recovers the last one's crossings, with no new cost row.
    check = settings.budget_check_interval_seconds
    if check > 0:
        found.append(PeriodicJob("budget-check", check, partial(check_everything, deps)))
    # Cheap when the cache is within its TTL: only a stale cloud's pricing API is read.
    prices = settings.price_refresh_interval_seconds
    if prices > 0:
        found.append(PeriodicJob("price-refresh", prices, partial(refresh_prices, deps)))
    return found
