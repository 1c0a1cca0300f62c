"""The sweep: the saga's safety net for work no message will move again."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta

from skyclust_common.observability import extract_trace, tracer

from .saga import advance
from .shared import ProvisioningDeps

log = logging.getLogger(__name__)


class Sweeper:
    """Advances every unfinished saga nobody has touched for a while: a lost message, a
    reply that never came (its step's deadline), a run that died. Each cluster gets its
    own task; a cluster already being swept is left to that task."""

    def __init__(self, deps: ProvisioningDeps, stale_after: float) -> None:
        self.deps = deps
        self.stale_after = stale_after
        self.running: dict[uuid.UUID, asyncio.Task[None]] = {}

    async def once(self) -> list[uuid.UUID]:
        cutoff = datetime.now(UTC) - timedelta(seconds=self.stale_after)
        async with self.deps.uow() as uow:
            rows = await uow.clusters.unfinished_since(cutoff, limit=100)
        started = []
        for workspace_id, cluster_id, traceparent in rows:
            if cluster_id in self.running:
                continue
            task = asyncio.create_task(self._advance(str(workspace_id), cluster_id, traceparent))
            self.running[cluster_id] = task
            started.append(cluster_id)
        return started

    async def _advance(
        self, workspace_id: str, cluster_id: uuid.UUID, traceparent: str | None
    ) -> None:
        # The resumed run belongs to the trace of the work that last moved the saga, so
        # one operation stays one trace however many times the sweep picks it up.
        parent = extract_trace({"traceparent": traceparent} if traceparent else {})
        try:
            with tracer(__name__).start_as_current_span("sweep cluster", context=parent):
                await advance(self.deps, workspace_id, str(cluster_id))
        except Exception:
            log.exception(
                "the sweep could not advance a cluster", extra={"cluster": str(cluster_id)}
            )
        finally:
            self.running.pop(cluster_id, None)

    async def wait(self) -> None:
        await asyncio.gather(*self.running.values(), return_exceptions=True)

    async def stop(self) -> None:
        """At shutdown: the runs still going stop where they are; the saga resumes them
        from its persisted state in whichever process sweeps next."""
        for task in list(self.running.values()):
            task.cancel()
        await self.wait()
