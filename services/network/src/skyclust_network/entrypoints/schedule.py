"""Periodic discovery. It only refreshes what the cloud already holds, so losing a pass
with the process loses nothing: the next pass, here or in another instance, catches up."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ..handlers.common import NetworkDeps
from ..handlers.discovery import discover_everything

log = logging.getLogger(__name__)


class DiscoveryLoop:
    def __init__(self, deps: NetworkDeps, interval: float) -> None:
        self.deps = deps
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await discover_everything(self.deps)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("discovery pass failed")

    def start(self) -> None:
        if self.interval > 0:
            self._task = asyncio.create_task(self._run(), name="network-discovery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
