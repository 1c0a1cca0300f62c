"""The saga engine: a run reads the cluster, asks `domain.saga.next_action` what to do,
does it, and goes on until the saga waits for another service or is done.

Every event that may move a saga calls `advance`; so does the periodic sweep
(handlers/sweep.py), which also enforces the deadline of a step that waits. One run per
cluster at a time: a run holds an advisory lock, and a run that finds it taken leaves
the work to the holder, which reads the state again after it lets go.

Every cloud create is idempotent (client request tokens, names with owner tags), every
step re-reads what it needs, and the cloud is asked, never assumed: a restart at any
point resumes where the dead process stopped and never makes a second cluster. A
transient cloud error is retried with backoff until the step's deadline; a permanent one,
or the deadline, rolls a create back in reverse and ends it FAILED with the code."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from skyclust_common.errors import SkyclustError
from skyclust_common.observability import saga_step

from ...adapters.db import Cluster
from ...domain.cluster import Status
from ...domain.saga import Action, Failure, Step, next_action, on_failure
from ..shared import ProvisioningDeps
from . import create, teardown, upgrade
from .cloud import (
    Retry,
    deadline_exceeded,
    forget_run_secrets,
    holding_run_secrets,
    out_of_time,
    transient,
)
from .store import Overtaken, deadline, now, progress, read, run_lock, state_of, update

log = logging.getLogger(__name__)


async def _network_overdue(deps: ProvisioningDeps, cluster: Cluster) -> None:
    raise deadline_exceeded("the network was not ready in time")


async def _release_overdue(deps: ProvisioningDeps, cluster: Cluster) -> None:
    raise deadline_exceeded("the network was not released in time")


async def _enter_control_plane(deps: ProvisioningDeps, cluster: Cluster) -> None:
    await create.enter(deps, cluster, Step.CONTROL_PLANE)


async def _finish_teardown(deps: ProvisioningDeps, cluster: Cluster) -> None:
    await teardown.finish(deps, cluster, None)


STEPS: dict[Action, Callable[[ProvisioningDeps, Cluster], Awaitable[None]]] = {
    Action.START: create.start,
    Action.ENTER_CONTROL_PLANE: _enter_control_plane,
    Action.CREATE_CONTROL_PLANE: create.control_plane,
    Action.CREATE_NODE_GROUPS: create.node_groups,
    Action.NETWORK_OVERDUE: _network_overdue,
    Action.BEGIN_TEARDOWN: teardown.begin,
    Action.DELETE_NODE_GROUPS: teardown.delete_node_groups,
    Action.DELETE_CONTROL_PLANE: teardown.delete_control_plane,
    Action.RELEASE_OVERDUE: _release_overdue,
    Action.FINISH_TEARDOWN: _finish_teardown,
    Action.UPGRADE_CONTROL_PLANE: upgrade.control_plane,
    Action.UPGRADE_NODE_GROUPS: upgrade.node_groups,
}


async def advance(deps: ProvisioningDeps, workspace_id: str, cluster_id: str) -> None:
    """Drive the cluster as far as it can go now."""
    while True:
        async with deps.saga_runs, run_lock(deps, cluster_id) as held:
            if not held:
                return  # the holder reads the state again before it lets go
            await holding_run_secrets(_drive(deps, workspace_id, cluster_id))
        cluster = await read(deps, workspace_id, cluster_id)
        if cluster is None or next_action(state_of(cluster), now()).idle:
            return


async def _drive(deps: ProvisioningDeps, workspace_id: str, cluster_id: str) -> None:
    retry = Retry(deps)
    passes = 0
    while passes < 100:  # every pass moves a step on; this only bounds a bug
        cluster = await read(deps, workspace_id, cluster_id)
        if cluster is None:
            return
        action = next_action(state_of(cluster), now())
        if action.idle:
            return
        try:
            await _timed(action, STEPS[action](deps, cluster))
        except Overtaken:
            passes += 1
            continue
        except SkyclustError as exc:
            if transient(exc):
                # A dependency that is down, paused or busy: wait for it while the
                # step has time, then read the state again and retry the step (with the
                # secret asked for again: it may have been rotated meanwhile).
                forget_run_secrets()
                if await retry.wait(cluster, exc):
                    continue
                exc = out_of_time(cluster, exc)
            await failed(deps, cluster, exc)
        passes += 1
        retry.reset()


async def _timed(action: Action, step: Awaitable[None]) -> None:
    with saga_step("cluster", action.value, overtaken=(Overtaken,)):
        await step


async def failed(deps: ProvisioningDeps, cluster: Cluster, error: SkyclustError) -> None:
    """A step failed for good: a create rolls back, an upgrade stops, a delete ends
    FAILED (it can be asked again)."""
    failure = {
        "code": error.code,
        "message": error.message[:2000] or error.code,
        "retryable": error.retryable,
    }
    log.warning(
        "cluster step failed",
        extra={"cluster_id": str(cluster.id), "code": error.code, "reason": failure["message"]},
    )
    outcome = on_failure(state_of(cluster))
    if outcome == Failure.ROLL_BACK:
        await update(
            deps,
            cluster,
            lambda row: row.status == cluster.status and row.failure is None,
            [progress(cluster, Step.COMPENSATING, cluster.progress)],
            failure={**failure, "operation": "create"},
            status=Status.PROVISIONING,
            status_reason=error.code,
            status_message=failure["message"],
            step=Step.DELETE_NODE_GROUPS,
            step_deadline=deadline(deps, Step.DELETE_NODE_GROUPS),
        )
    elif outcome == Failure.STOP_UPGRADE:
        await upgrade.stop(deps, cluster, failure)
    else:
        await teardown.finish(deps, cluster, failure)
