"""Calling the cloud from a saga step: retries with backoff within the step's deadline,
polls until an operation is done, and one decrypted credential per run."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, TypeVar

from skyclust_common.errors import ProviderError, SkyclustError

from ...adapters.db import Cluster
from ...domain.cluster import ClusterSpec
from ...domain.errors import (
    StepDeadlineExceeded,
)
from ..shared import ProvisioningDeps, cluster_credential
from .store import Overtaken, now, read

log = logging.getLogger(__name__)
T = TypeVar("T")

# The longest a step waits between two tries after a retryable failure: a dependency
# that comes back is used within this, and a try costs one request.
RETRY_CAP_SECONDS = 5.0


def transient(error: SkyclustError) -> bool:
    """The same call may succeed later: a throttled or unavailable cloud, another
    service's 5xx, a request that timed out or found nobody to answer it."""
    return error.retryable


def deadline_exceeded(message: str, **details: Any) -> ProviderError:
    return StepDeadlineExceeded(message, retryable=False, details=details or None)


async def call(
    deps: ProvisioningDeps, deadline: datetime | None, what: str, fn: Callable[[], Awaitable[T]]
) -> T:
    """`fn`, retried with backoff while it fails transiently and the step has time; the
    last error is raised once the deadline has passed."""
    delay = deps.poll_interval
    while True:
        try:
            return await fn()
        except SkyclustError as exc:
            if not transient(exc) or (deadline is not None and now() >= deadline):
                raise
            log.info("transient cloud error, retrying", extra={"what": what, "code": exc.code})
            wait = delay
            if deadline is not None:
                wait = min(delay, (deadline - now()).total_seconds() + 0.01)
            await asyncio.sleep(max(wait, 0.0))
            delay = min(delay * 2, 30.0)


async def until(
    deps: ProvisioningDeps,
    cluster: Cluster,
    still: Callable[[Cluster], bool],
    deadline: datetime | None,
    what: str,
    done: Callable[[], Awaitable[bool]],
) -> None:
    """Poll `done` until it is true; stop when the cluster is no longer as `still` or
    the step's deadline passes."""
    while True:
        if await call(deps, deadline, what, done):
            return
        if deadline is not None and now() > deadline:
            raise deadline_exceeded(f"{what} did not finish in time")
        await asyncio.sleep(deps.poll_interval)
        current = await read(deps, str(cluster.workspace_id), str(cluster.id))
        if current is None or not still(current):
            raise Overtaken


class Retry:
    """Backoff between tries of one step, bounded by the step's deadline (or, for a
    step without one, by the create timeout from the first failure)."""

    def __init__(self, deps: ProvisioningDeps) -> None:
        self.deps = deps
        self.reset()

    def reset(self) -> None:
        self.delay = self.deps.poll_interval
        self.until: datetime | None = None
        self.tries = 0

    async def wait(self, cluster: Cluster, error: SkyclustError) -> bool:
        """Sleep before the next try; False when the step has no time left."""
        until = cluster.step_deadline
        if until is None:
            if self.until is None:
                self.until = now() + timedelta(seconds=self.deps.create_timeout)
            until = self.until
        left = (until - now()).total_seconds()
        if left <= 0:
            return False
        self.tries += 1
        log.info(
            "retryable failure, the step waits and tries again",
            extra={
                "cluster_id": str(cluster.id),
                "step": cluster.step,
                "code": error.code,
                "tries": self.tries,
                "retry_in": round(min(self.delay, left), 3),
            },
        )
        await asyncio.sleep(min(self.delay, left + 0.01))
        self.delay = min(self.delay * 2, RETRY_CAP_SECONDS)
        return True


def out_of_time(cluster: Cluster, error: SkyclustError) -> SkyclustError:
    return deadline_exceeded(
        f"the {cluster.step or 'first'} step ran out of time while retrying "
        f"({error.code}: {error.message})",
        last_error=error.code,
    )


# One decrypted credential per run: a create's steps follow one another in the same run
# and would otherwise ask the vault for the same secret at each step. It lives in
# memory for that run only.
_run_secrets: ContextVar[dict[str, dict[str, Any]] | None] = ContextVar(
    "saga_run_secrets", default=None
)


async def run_credential(deps: ProvisioningDeps, spec: ClusterSpec, reason: str) -> dict[str, Any]:
    secrets = _run_secrets.get()
    if secrets is None:
        return await cluster_credential(deps, spec, reason)
    if spec.credential_id not in secrets:
        secrets[spec.credential_id] = await cluster_credential(deps, spec, reason)
    return secrets[spec.credential_id]


def forget_run_secrets() -> None:
    secrets = _run_secrets.get()
    if secrets is not None:
        secrets.clear()


async def holding_run_secrets(run: Awaitable[None]) -> None:
    """Run `run` with its own credential memory, dropped when it ends."""
    token = _run_secrets.set({})
    try:
        await run
    finally:
        _run_secrets.reset(token)
