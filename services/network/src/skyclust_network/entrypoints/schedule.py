"""Periodic discovery. It only refreshes what the cloud already holds, so losing a pass
with the process loses nothing: the next pass, here or in another instance, catches up."""

from __future__ import annotations

from functools import partial

from skyclust_common.runtime import PeriodicJob

from ..handlers.common import NetworkDeps
from ..handlers.discovery import discover_everything
from ..settings import NetworkSettings


def jobs(deps: NetworkDeps, settings: NetworkSettings) -> list[PeriodicJob]:
    interval = settings.discovery_interval_seconds
    if interval <= 0:
        return []
    # The first pass waits a whole interval: a restart is no reason to ask every cloud
    # again for every network.
    return [
        PeriodicJob(
            "network-discovery",
            interval,
            partial(discover_everything, deps),
            first_after=interval,
        )
    ]
