"""Scheduled collection. A lost pass loses nothing: the next one reads the same recent
days again and the upsert makes the repeat harmless."""

from __future__ import annotations

from functools import partial

from skyclust_common.runtime import PeriodicJob

from ..handlers.collect import collect_everything
from ..handlers.common import CostDeps
from ..settings import CostSettings


def jobs(deps: CostDeps, settings: CostSettings) -> list[PeriodicJob]:
    interval = settings.collect_interval_seconds
    if interval <= 0:
        return []
    return [PeriodicJob("cost-collection", interval, partial(collect_everything, deps))]
