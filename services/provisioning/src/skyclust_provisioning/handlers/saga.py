"""The cluster saga: one engine that moves a cluster through every long operation.

    create:   network → control-plane → node-groups → READY
    failure:  delete-node-groups → delete-control-plane → release-network → FAILED
    delete:   delete-node-groups → delete-control-plane → release-network → DELETED
    upgrade:  upgrade-control-plane → upgrade-node-groups → READY

The state is the cluster row: `status`, `step`, `step_deadline`, `network_state` and
`failure`. `advance` reads it, runs the steps it can, and returns when the saga waits for
another service (the network) or is done. Every event that may move a saga calls it; so
does a periodic sweep, which also enforces the deadline of a step that waits. One run per
cluster at a time: a run holds an advisory lock, and a run that finds it taken leaves
the work to the holder, which reads the state again after it lets go.

Every cloud create is idempotent (client request tokens, names with owner tags), every
step re-reads what it needs, and the cloud is asked, never assumed: a restart at any
point resumes where the dead process stopped and never makes a second cluster. A
transient cloud error is retried with backoff until the step's deadline; a permanent one,
or the deadline, rolls a create back in reverse and ends it FAILED with the code."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from skyclust_common.db import advisory_xact_lock
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import ProviderError, SkyclustError
from skyclust_common.messaging import Delivery

from ..adapters.db import Cluster, Clusters, NodeGroup, NodeGroups
from ..adapters.providers.base import CloudNodeGroup, ClusterProvider, same_minor
from ..domain import conditions
from ..domain.cluster import ClusterSpec, Status
from ..domain.node_group import NodeGroupSpec
from . import node_groups as ng
from .clusters import SOURCE, ProvisioningDeps, _credential, _event

log = logging.getLogger(__name__)
T = TypeVar("T")

NETWORK = "network"
CONTROL_PLANE = "control-plane"
NODE_GROUPS = "node-groups"
COMPENSATING = "compensating"
DELETE_NODE_GROUPS = "delete-node-groups"
DELETE_CONTROL_PLANE = "delete-control-plane"
RELEASE_NETWORK = "release-network"
UPGRADE_CONTROL_PLANE = "upgrade-control-plane"
UPGRADE_NODE_GROUPS = "upgrade-node-groups"
TEARDOWN = (DELETE_NODE_GROUPS, DELETE_CONTROL_PLANE, RELEASE_NETWORK)

PROGRESS = {NETWORK: 10, CONTROL_PLANE: 30, NODE_GROUPS: 70, UPGRADE_NODE_GROUPS: 50}

# network_state
REQUESTED = "requested"
READY = "ready"
RELEASING = "releasing"
RELEASED = "released"

NETWORK_SERVICE = "network"


class Overtaken(Exception):
    """The cluster moved on (a delete overtook a create): go back and read it again."""


class Waiting(Exception):
    """The saga waits for another service's reply."""


# The longest a step waits between two tries after a retryable failure: a dependency
# that comes back is used within this, and a try costs one request.
RETRY_CAP_SECONDS = 5.0


def transient(error: SkyclustError) -> bool:
    """The same call may succeed later: a throttled or unavailable cloud, another
    service's 5xx, a request that timed out or found nobody to answer it."""
    return error.retryable


def _now() -> datetime:
    return datetime.now(UTC)


# state -------------------------------------------------------------------------------


@asynccontextmanager
async def _run_lock(deps: ProvisioningDeps, cluster_id: str) -> AsyncIterator[bool]:
    """True when this run may drive the cluster. The lock belongs to a transaction kept
    open for the run; it goes when the run ends, or when its connection dies."""
    async with deps.uow() as guard:
        yield await advisory_xact_lock(guard.session, f"cluster-saga:{cluster_id}", wait=False)


async def _read(deps: ProvisioningDeps, workspace_id: str, cluster_id: str) -> Cluster | None:
    async with deps.uow() as uow:
        row = await Clusters(uow.session).get(uuid.UUID(workspace_id), uuid.UUID(cluster_id))
        if row is not None:
            uow.session.expunge(row)  # usable after the closing rollback
        return row


async def _groups(deps: ProvisioningDeps, cluster: Cluster) -> list[NodeGroup]:
    async with deps.uow() as uow:
        rows = await NodeGroups(uow.session).list(cluster.workspace_id, cluster.id)
        for row in rows:
            uow.session.expunge(row)
        return rows


async def _update(
    deps: ProvisioningDeps,
    cluster: Cluster,
    expected: Callable[[Cluster], bool],
    events: Sequence[CloudEvent] = (),
    command: CloudEvent | None = None,
    **fields: Any,
) -> Cluster:
    """Change the cluster if it is still as `expected` (else Overtaken); the events and
    the command commit with the change. Conditions follow a status change."""
    async with deps.uow() as uow:
        row = await Clusters(uow.session).get(cluster.workspace_id, cluster.id, for_update=True)
        if row is None or not expected(row):
            raise Overtaken
        before = row.status
        for key, value in fields.items():
            setattr(row, key, value)
        if row.status != before:
            row.conditions = conditions.for_cluster_status(
                row.conditions, row.status, row.status_reason, row.status_message, _now()
            )
        for event in events:
            uow.emit(event)
        if command is not None:
            uow.send(NETWORK_SERVICE, command)
        await uow.commit()
        await uow.session.refresh(row)
        uow.session.expunge(row)
        return row


def _is(status: Status, step: str | None) -> Callable[[Cluster], bool]:
    return lambda row: row.status == status and row.step == step


def _deadline(deps: ProvisioningDeps, step: str) -> datetime:
    return _now() + timedelta(seconds=deps.step_timeouts.get(step, deps.create_timeout))


def _progress(cluster: Cluster, step: str, progress: int, **extra: Any) -> CloudEvent:
    return _event(
        "ClusterProvisioning",
        cluster,
        {"step": step, "progress": progress, "cloud_id": cluster.cloud_id, **extra},
    )


def _command(name: str, cluster: Cluster, data: dict[str, Any]) -> CloudEvent:
    return new_event(
        name,
        {"cluster_id": str(cluster.id), **data},
        source=SOURCE,
        subject=str(cluster.id),
        workspace_id=str(cluster.workspace_id),
        correlation_id=str(cluster.id),
    )


def uses_network_service(cluster: Cluster) -> bool:
    """False when the provider config names the network itself."""
    if cluster.network_request:
        return True
    if cluster.provider == "aws":
        return not (cluster.aws_config or {}).get("subnet_ids")
    if cluster.provider == "gcp":
        config = cluster.gcp_config or {}
        return not (config.get("network") or config.get("subnetwork"))
    return True


# One decrypted credential per run of `_drive`: a create's steps follow one another in
# the same run and would otherwise ask the vault for the same secret at each step.
_run_secrets: ContextVar[dict[str, dict[str, Any]] | None] = ContextVar(
    "saga_run_secrets", default=None
)


async def _run_credential(deps: ProvisioningDeps, spec: ClusterSpec, reason: str) -> dict[str, Any]:
    secrets = _run_secrets.get()
    if secrets is None:
        return await _credential(deps, spec, reason)
    if spec.credential_id not in secrets:
        secrets[spec.credential_id] = await _credential(deps, spec, reason)
    return secrets[spec.credential_id]


def _forget_run_secrets() -> None:
    secrets = _run_secrets.get()
    if secrets is not None:
        secrets.clear()


# the cloud, with retries and deadlines --------------------------------------------------


async def _cloud(
    deps: ProvisioningDeps, deadline: datetime | None, what: str, call: Callable[[], Awaitable[T]]
) -> T:
    """`call`, retried with backoff while it fails transiently and the step has time; the
    last error is raised once the deadline has passed."""
    delay = deps.poll_interval
    while True:
        try:
            return await call()
        except SkyclustError as exc:
            if not transient(exc) or (deadline is not None and _now() >= deadline):
                raise
            log.info("transient cloud error, retrying", extra={"what": what, "code": exc.code})
            wait = delay
            if deadline is not None:
                wait = min(delay, (deadline - _now()).total_seconds() + 0.01)
            await asyncio.sleep(max(wait, 0.0))
            delay = min(delay * 2, 30.0)


async def _until(
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
        if await _cloud(deps, deadline, what, done):
            return
        if deadline is not None and _now() > deadline:
            raise ProviderError(
                f"{what} did not finish in time", code="STEP_DEADLINE_EXCEEDED", retryable=False
            )
        await asyncio.sleep(deps.poll_interval)
        current = await _read(deps, str(cluster.workspace_id), str(cluster.id))
        if current is None or not still(current):
            raise Overtaken


# entry points ---------------------------------------------------------------------------


async def advance(deps: ProvisioningDeps, workspace_id: str, cluster_id: str) -> None:
    """Drive the cluster as far as it can go now."""
    while True:
        async with deps.saga_runs, _run_lock(deps, cluster_id) as held:
            if not held:
                return  # the holder reads the state again before it lets go
            await _drive(deps, workspace_id, cluster_id)
        cluster = await _read(deps, workspace_id, cluster_id)
        if cluster is None or _waiting(cluster):
            return


def _waiting(cluster: Cluster) -> bool:
    """Nothing to do until another service replies, or nothing at all."""
    if cluster.status in (Status.READY, Status.FAILED, Status.DELETED):
        return True
    if cluster.step == NETWORK and cluster.network_state == REQUESTED:
        return not _overdue(cluster)
    if cluster.step == RELEASE_NETWORK and cluster.network_state == RELEASING:
        return not _overdue(cluster)
    return False


def _overdue(cluster: Cluster) -> bool:
    return cluster.step_deadline is not None and _now() > cluster.step_deadline


async def _drive(deps: ProvisioningDeps, workspace_id: str, cluster_id: str) -> None:
    token = _run_secrets.set({})
    try:
        await _drive_steps(deps, workspace_id, cluster_id)
    finally:
        _run_secrets.reset(token)


async def _drive_steps(deps: ProvisioningDeps, workspace_id: str, cluster_id: str) -> None:
    retry = _Retry(deps)
    passes = 0
    while passes < 100:  # every pass moves a step on; this only bounds a bug
        cluster = await _read(deps, workspace_id, cluster_id)
        if cluster is None or _waiting(cluster):
            return
        try:
            await _step(deps, cluster)
        except Overtaken:
            passes += 1
            continue
        except SkyclustError as exc:
            if transient(exc):
                # A dependency that is down, paused or busy: wait for it while the
                # step has time, then read the state again and retry the step (with the
                # secret asked for again: it may have been rotated meanwhile).
                _forget_run_secrets()
                if await retry.wait(cluster, exc):
                    continue
                exc = _out_of_time(cluster, exc)
            await _failed(deps, cluster, exc)
        passes += 1
        retry.reset()


class _Retry:
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
                self.until = _now() + timedelta(seconds=self.deps.create_timeout)
            until = self.until
        left = (until - _now()).total_seconds()
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


def _out_of_time(cluster: Cluster, error: SkyclustError) -> SkyclustError:
    return ProviderError(
        f"the {cluster.step or 'first'} step ran out of time while retrying "
        f"({error.code}: {error.message})",
        code="STEP_DEADLINE_EXCEEDED",
        retryable=False,
        details={"last_error": error.code},
    )


async def _step(deps: ProvisioningDeps, cluster: Cluster) -> None:
    status = Status(cluster.status)
    if status == Status.PENDING:
        await _start(deps, cluster)
    elif status == Status.PROVISIONING and cluster.failure is None:
        if cluster.step == NETWORK:
            if cluster.network_state in (READY, None):
                await _enter(deps, cluster, CONTROL_PLANE)
            else:  # overdue
                raise ProviderError(
                    "the network was not ready in time",
                    code="STEP_DEADLINE_EXCEEDED",
                    retryable=False,
                )
        elif cluster.step == CONTROL_PLANE:
            await _control_plane(deps, cluster)
        elif cluster.step == NODE_GROUPS:
            await _node_groups(deps, cluster)
        else:
            await _enter(deps, cluster, CONTROL_PLANE)
    elif status in (Status.PROVISIONING, Status.DELETING):
        await _teardown(deps, cluster)
    elif status == Status.UPDATING:
        if cluster.step == UPGRADE_NODE_GROUPS:
            await _upgrade_node_groups(deps, cluster)
        else:
            await _upgrade_control_plane(deps, cluster)


async def _failed(deps: ProvisioningDeps, cluster: Cluster, error: SkyclustError) -> None:
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
    status = Status(cluster.status)
    if status in (Status.PENDING, Status.PROVISIONING) and cluster.failure is None:
        await _update(
            deps,
            cluster,
            lambda row: row.status == cluster.status and row.failure is None,
            [_progress(cluster, COMPENSATING, cluster.progress)],
            failure={**failure, "operation": "create"},
            status=Status.PROVISIONING,
            status_reason=error.code,
            status_message=failure["message"],
            step=DELETE_NODE_GROUPS,
            step_deadline=_deadline(deps, DELETE_NODE_GROUPS),
        )
    elif status == Status.UPDATING:
        await _upgrade_failed(deps, cluster, failure)
    else:  # a failing teardown
        await _finish_teardown(deps, cluster, failure)


# create ---------------------------------------------------------------------------------


async def _start(deps: ProvisioningDeps, cluster: Cluster) -> None:
    if not uses_network_service(cluster):
        await _update(
            deps,
            cluster,
            _is(Status.PENDING, cluster.step),
            status=Status.PROVISIONING,
            conditions=conditions.set_condition(
                cluster.conditions,
                conditions.NETWORK_READY,
                "True",
                "ProviderConfig",
                "the provider config names the network",
                _now(),
            ),
            step=NETWORK,
            network_state=None,
        )
        return
    request = dict(cluster.network_request or {})
    options: dict[str, Any] = {k: v for k, v in request.items() if v}
    resource_group = (cluster.azure_config or {}).get("resource_group")
    if not request and cluster.provider == "azure" and resource_group:
        options["resource_group"] = resource_group
    if not request and cluster.tags:
        options["tags"] = dict(cluster.tags)
    command = _command(
        "ProvisionClusterNetwork",
        cluster,
        {
            "request_id": f"provision-{cluster.id}",
            "cluster_name": cluster.name,
            "provider": cluster.provider,
            "credential_id": str(cluster.credential_id),
            "region": cluster.region,
            **options,
        },
    )
    await _update(
        deps,
        cluster,
        _is(Status.PENDING, cluster.step),
        [_progress(cluster, NETWORK, PROGRESS[NETWORK])],
        command,
        status=Status.PROVISIONING,
        step=NETWORK,
        progress=PROGRESS[NETWORK],
        step_deadline=_deadline(deps, NETWORK),
        network_state=REQUESTED,
    )


async def _enter(deps: ProvisioningDeps, cluster: Cluster, step: str) -> None:
    await _update(
        deps,
        cluster,
        _is(Status(cluster.status), cluster.step),
        [_progress(cluster, step, PROGRESS[step])],
        step=step,
        progress=PROGRESS[step],
        step_deadline=_deadline(deps, step),
    )


def _creating(step: str) -> Callable[[Cluster], bool]:
    return lambda row: (
        row.status == Status.PROVISIONING and row.failure is None and row.step == step
    )


async def _control_plane(deps: ProvisioningDeps, cluster: Cluster) -> None:
    provider = _provider(deps, cluster)
    spec = cluster.spec()
    deadline = cluster.step_deadline
    credential = await _run_credential(deps, spec, "create cluster")
    cloud = await _cloud(
        deps, deadline, "cluster creation", lambda: provider.create(spec, credential)
    )
    if cluster.cloud_id != cloud.cloud_id:
        cluster = await _update(deps, cluster, _creating(CONTROL_PLANE), cloud_id=cloud.cloud_id)
    latest = [cloud]

    async def active() -> bool:
        current = await provider.describe(spec, credential)
        if current is None:
            raise ProviderError(
                "the cloud lost the cluster while it was being created",
                code="PROVIDER_RESOURCE_LOST",
            )
        if current.failed:
            raise ProviderError("the cloud reports the cluster failed", code="CLOUD_FAILED")
        latest[0] = current
        return current.active

    await _until(deps, cluster, _creating(CONTROL_PLANE), deadline, "cluster creation", active)
    ready = latest[0]
    await _update(
        deps,
        cluster,
        _creating(CONTROL_PLANE),
        [_progress(cluster, NODE_GROUPS, PROGRESS[NODE_GROUPS])],
        endpoint=ready.endpoint,
        cloud_id=ready.cloud_id,
        conditions=conditions.set_condition(
            cluster.conditions, conditions.CONTROL_PLANE_READY, "True", "Active", None, _now()
        ),
        step=NODE_GROUPS,
        progress=PROGRESS[NODE_GROUPS],
        step_deadline=_deadline(deps, NODE_GROUPS),
    )


async def _node_groups(deps: ProvisioningDeps, cluster: Cluster) -> None:
    provider = _provider(deps, cluster)
    spec = cluster.spec()
    deadline = cluster.step_deadline
    groups = [g for g in await _groups(deps, cluster) if g.status in ng.CREATING]
    credential = await _run_credential(deps, spec, "create node groups") if groups else {}
    for group in groups:
        gspec = group.spec()
        cloud = await _cloud(
            deps,
            deadline,
            "node group creation",
            lambda gspec=gspec: provider.create_node_group(spec, gspec, credential),  # type: ignore[misc]
        )
        if group.status == Status.PENDING or group.cloud_id != cloud.cloud_id:
            await ng._transition(
                deps,
                spec,
                gspec,
                ng.CREATING,
                Status.PROVISIONING,
                None,
                cloud_id=cloud.cloud_id,
            )
    for group in groups:
        gspec = group.spec()
        latest: list[CloudNodeGroup] = []

        async def active(
            gspec: NodeGroupSpec = gspec, latest: list[CloudNodeGroup] = latest
        ) -> bool:
            current = ng._checked(await provider.describe_node_group(spec, gspec, credential))
            latest[:] = [current]
            return current.active

        await _until(deps, cluster, _creating(NODE_GROUPS), deadline, "node group creation", active)
        await ng._transition(
            deps,
            spec,
            gspec,
            ng.CREATING,
            Status.READY,
            ng._event(
                "NodeGroupReady",
                spec,
                gspec,
                {"cloud_id": latest[0].cloud_id, **ng._sizes(gspec)},
            ),
            cloud_id=latest[0].cloud_id,
            version=latest[0].version or None,
        )
    await _update(
        deps,
        cluster,
        _creating(NODE_GROUPS),
        [
            _event(
                "ClusterReady",
                cluster,
                {
                    "version": cluster.version,
                    "region": cluster.region,
                    "endpoint": cluster.endpoint,
                    "cloud_id": cluster.cloud_id,
                },
            )
        ],
        status=Status.READY,
        status_reason=None,
        status_message=None,
        step=None,
        progress=100,
        step_deadline=None,
    )


# teardown: a delete, or a failed create rolled back ---------------------------------------


def _tearing_down(step: str) -> Callable[[Cluster], bool]:
    return lambda row: (
        (row.status == Status.DELETING or (row.status == Status.PROVISIONING and bool(row.failure)))
        and row.step == step
    )


async def _teardown(deps: ProvisioningDeps, cluster: Cluster) -> None:
    if cluster.step not in TEARDOWN:
        await _update(
            deps,
            cluster,
            lambda row: row.status == cluster.status and row.step == cluster.step,
            step=DELETE_NODE_GROUPS,
            step_deadline=_deadline(deps, DELETE_NODE_GROUPS),
        )
    elif cluster.step == DELETE_NODE_GROUPS:
        await _delete_node_groups(deps, cluster)
    elif cluster.step == DELETE_CONTROL_PLANE:
        await _delete_control_plane(deps, cluster)
    elif cluster.network_state == RELEASING:  # overdue
        raise ProviderError(
            "the network was not released in time", code="STEP_DEADLINE_EXCEEDED", retryable=False
        )
    else:
        await _finish_teardown(deps, cluster, None)


async def _delete_node_groups(deps: ProvisioningDeps, cluster: Cluster) -> None:
    spec = cluster.spec()
    deadline = cluster.step_deadline
    groups = [g for g in await _groups(deps, cluster) if g.status != Status.DELETED]
    provider = deps.providers.get(cluster.provider)
    if groups and provider is not None:
        credential = await _run_credential(deps, spec, "delete node groups")
        for group in groups:
            gspec = group.spec()
            await _cloud(
                deps,
                deadline,
                "node group deletion",
                lambda gspec=gspec: provider.delete_node_group(spec, gspec, credential),  # type: ignore[misc]
            )
        for group in groups:
            gspec = group.spec()

            async def gone(gspec: NodeGroupSpec = gspec) -> bool:
                return await provider.describe_node_group(spec, gspec, credential) is None

            await _until(
                deps,
                cluster,
                _tearing_down(DELETE_NODE_GROUPS),
                deadline,
                "node group deletion",
                gone,
            )
            await ng._transition(
                deps,
                spec,
                gspec,
                frozenset(Status) - {Status.DELETED},
                Status.DELETED,
                ng._event("NodeGroupDeleted", spec, gspec, {}),
            )
    await _update(
        deps,
        cluster,
        _tearing_down(DELETE_NODE_GROUPS),
        step=DELETE_CONTROL_PLANE,
        step_deadline=_deadline(deps, DELETE_CONTROL_PLANE),
    )


async def _delete_control_plane(deps: ProvisioningDeps, cluster: Cluster) -> None:
    spec = cluster.spec()
    deadline = cluster.step_deadline
    provider = deps.providers.get(cluster.provider)
    if provider is not None:
        credential = await _run_credential(deps, spec, "delete cluster")
        await _cloud(deps, deadline, "cluster deletion", lambda: provider.delete(spec, credential))

        async def gone() -> bool:
            return await provider.describe(spec, credential) is None

        await _until(
            deps, cluster, _tearing_down(DELETE_CONTROL_PLANE), deadline, "cluster deletion", gone
        )
        # Once more, now that it is gone: a provider removes what it made around the
        # cluster (AKS: the resource group it created for it).
        await _cloud(deps, deadline, "cluster deletion", lambda: provider.delete(spec, credential))
    release = cluster.network_state in (REQUESTED, READY)
    await _update(
        deps,
        cluster,
        _tearing_down(DELETE_CONTROL_PLANE),
        command=_command(
            "ReleaseClusterNetwork", cluster, {"request_id": f"release-{uuid.uuid4().hex}"}
        )
        if release
        else None,
        conditions=conditions.set_condition(
            cluster.conditions,
            conditions.CONTROL_PLANE_READY,
            "False",
            "Deleted",
            None,
            _now(),
        ),
        step=RELEASE_NETWORK,
        step_deadline=_deadline(deps, RELEASE_NETWORK),
        network_state=RELEASING if release else cluster.network_state,
    )


async def _finish_teardown(
    deps: ProvisioningDeps, cluster: Cluster, error: dict[str, Any] | None
) -> None:
    """The end of a teardown: DELETED, or FAILED with the reason the create failed, or
    FAILED because the teardown itself failed (`error`), which a delete can retry."""
    still = lambda row: row.status == cluster.status and row.step == cluster.step  # noqa: E731
    if cluster.status == Status.DELETING and error is None:
        await _update(
            deps,
            cluster,
            still,
            [_event("ClusterDeleted", cluster, {})],
            status=Status.DELETED,
            step=None,
            step_deadline=None,
        )
        return
    failure = dict(cluster.failure or {})
    if error is not None:
        operation = "delete" if cluster.status == Status.DELETING else "create"
        if failure:
            message = f"{failure['message']} (cleaning up failed too: {error['message']})"
            failure = {**failure, "message": message[:2000]}
        else:
            failure = {**error, "operation": operation}
    await _update(
        deps,
        cluster,
        still,
        [
            _event(
                "ClusterFailed",
                cluster,
                {
                    "code": failure["code"],
                    "message": failure["message"],
                    "retryable": bool(failure.get("retryable")),
                    "operation": failure.get("operation", "create"),
                },
            )
        ],
        status=Status.FAILED,
        status_reason=failure["code"],
        status_message=failure["message"],
        failure=None,
        step=None,
        step_deadline=None,
    )


# upgrade ---------------------------------------------------------------------------------


def _upgrading(step: str) -> Callable[[Cluster], bool]:
    return lambda row: row.status == Status.UPDATING and row.step == step


async def _upgrade_control_plane(deps: ProvisioningDeps, cluster: Cluster) -> None:
    provider = _provider(deps, cluster)
    target = cluster.target_version or cluster.version
    spec = cluster.spec()
    deadline = cluster.step_deadline
    credential = await _run_credential(deps, spec, "upgrade cluster")
    await _cloud(
        deps, deadline, "control plane upgrade", lambda: provider.upgrade(spec, target, credential)
    )

    async def upgraded() -> bool:
        current = await provider.describe(spec, credential)
        if current is None:
            raise ProviderError(
                "the cloud lost the cluster during the upgrade", code="PROVIDER_RESOURCE_LOST"
            )
        if current.failed:
            raise ProviderError("the cloud reports the upgrade failed", code="CLOUD_FAILED")
        return current.active and same_minor(current.version, target)

    await _until(
        deps,
        cluster,
        _upgrading(cluster.step or UPGRADE_CONTROL_PLANE),
        deadline,
        "control plane upgrade",
        upgraded,
    )
    await _update(
        deps,
        cluster,
        _upgrading(cluster.step or UPGRADE_CONTROL_PLANE),
        [_progress(cluster, UPGRADE_NODE_GROUPS, PROGRESS[UPGRADE_NODE_GROUPS])],
        version=target,
        step=UPGRADE_NODE_GROUPS,
        progress=PROGRESS[UPGRADE_NODE_GROUPS],
        step_deadline=_deadline(deps, UPGRADE_NODE_GROUPS),
    )


async def _upgrade_node_groups(deps: ProvisioningDeps, cluster: Cluster) -> None:
    provider = _provider(deps, cluster)
    target = cluster.target_version or cluster.version
    spec = cluster.spec()
    deadline = cluster.step_deadline
    groups = [
        g
        for g in await _groups(deps, cluster)
        if g.status in (Status.READY, Status.UPDATING) and not same_minor(g.version or "", target)
    ]
    credential = await _run_credential(deps, spec, "upgrade node groups") if groups else {}
    for group in groups:
        gspec = group.spec()
        await ng._transition(
            deps, spec, gspec, frozenset({Status.READY, Status.UPDATING}), Status.UPDATING, None
        )
        await _cloud(
            deps,
            deadline,
            "node group upgrade",
            lambda gspec=gspec: provider.upgrade_node_group(spec, gspec, target, credential),  # type: ignore[misc]
        )

        async def upgraded(gspec: NodeGroupSpec = gspec) -> bool:
            current = ng._checked(await provider.describe_node_group(spec, gspec, credential))
            return current.active and same_minor(current.version, target)

        await _until(
            deps,
            cluster,
            _upgrading(UPGRADE_NODE_GROUPS),
            deadline,
            "node group upgrade",
            upgraded,
        )
        await ng._transition(deps, spec, gspec, ng.UPDATING, Status.READY, None, version=target)
    await _update(
        deps,
        cluster,
        _upgrading(UPGRADE_NODE_GROUPS),
        [_event("ClusterUpgraded", cluster, {"version": target})],
        status=Status.READY,
        status_reason=None,
        status_message=None,
        target_version=None,
        step=None,
        progress=100,
        step_deadline=None,
    )


async def _upgrade_failed(
    deps: ProvisioningDeps, cluster: Cluster, failure: dict[str, Any]
) -> None:
    """The cluster stays READY on whatever the cloud runs; the node groups the upgrade
    had taken go back to READY."""
    spec = cluster.spec()
    for group in await _groups(deps, cluster):
        if group.status == Status.UPDATING:
            await ng._transition(deps, spec, group.spec(), ng.UPDATING, Status.READY, None)
    await _update(
        deps,
        cluster,
        lambda row: row.status == Status.UPDATING,
        [
            _event(
                "ClusterUpgradeFailed",
                cluster,
                {"to_version": cluster.target_version or cluster.version, **failure},
            )
        ],
        status=Status.READY,
        status_reason=failure["code"],
        status_message=failure["message"],
        target_version=None,
        step=None,
        step_deadline=None,
    )


# replies of the network service ----------------------------------------------------------


def _provider(deps: ProvisioningDeps, cluster: Cluster) -> ClusterProvider:
    provider = deps.providers.get(cluster.provider)
    if provider is None:
        raise ProviderError(f"{cluster.provider} is not supported", code="PROVIDER_NOT_SUPPORTED")
    return provider


async def _cluster_of(deps: ProvisioningDeps, event: CloudEvent) -> Cluster | None:
    try:
        return await _read(deps, event.workspaceid or "", event.data["cluster_id"])
    except ValueError:
        return None


async def on_network_ready(deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery) -> None:
    cluster = await _cluster_of(deps, event)
    if cluster is None:
        return
    if cluster.step == NETWORK and cluster.network_state == REQUESTED:
        data = event.data
        network = {
            "vpc_id": data["vpc"]["id"],
            "generated": data["generated"],
            "vpc_cloud_id": data["vpc"]["cloud_id"],
            "resource_group": data["vpc"]["resource_group"],
            "cidr_block": data["vpc"]["cidr_block"],
            "subnet_ids": [s["id"] for s in data["subnets"]],
            "subnet_cloud_ids": [s["cloud_id"] for s in data["subnets"]],
            "security_group_cloud_ids": [g["cloud_id"] for g in data["security_groups"]],
        }
        try:
            await _update(
                deps,
                cluster,
                lambda row: row.step == NETWORK and row.network_state == REQUESTED,
                network=network,
                network_state=READY,
                conditions=conditions.set_condition(
                    cluster.conditions,
                    conditions.NETWORK_READY,
                    "True",
                    "Generated" if data["generated"] else "Provided",
                    data["vpc"]["name"],
                    _now(),
                ),
            )
        except Overtaken:
            return
    await advance(deps, str(cluster.workspace_id), str(cluster.id))


async def on_network_failed(deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery) -> None:
    cluster = await _cluster_of(deps, event)
    if cluster is None:
        return
    data = event.data
    error = {"code": data["code"], "message": data["message"], "retryable": data["retryable"]}
    try:
        if data["operation"] == "provision" and cluster.network_state == REQUESTED:
            # The network service removed what it had made: nothing to release.
            cluster = await _update(
                deps,
                cluster,
                lambda row: row.network_state == REQUESTED,
                network_state=RELEASED,
                conditions=conditions.set_condition(
                    cluster.conditions,
                    conditions.NETWORK_READY,
                    "False",
                    data["code"],
                    data["message"],
                    _now(),
                ),
            )
            if cluster.step == NETWORK and cluster.failure is None:
                await _failed(
                    deps,
                    cluster,
                    ProviderError(data["message"], code=data["code"], retryable=data["retryable"]),
                )
        elif data["operation"] == "release" and cluster.network_state == RELEASING:
            cluster = await _update(
                deps,
                cluster,
                lambda row: row.network_state == RELEASING,
                network_state=READY,
            )
            await _finish_teardown(deps, cluster, error)
    except Overtaken:
        pass
    await advance(deps, str(cluster.workspace_id), str(cluster.id))


async def on_network_released(
    deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery
) -> None:
    cluster = await _cluster_of(deps, event)
    if cluster is None:
        return
    if cluster.network_state == RELEASING:
        try:
            await _update(
                deps,
                cluster,
                lambda row: row.network_state == RELEASING,
                network_state=RELEASED,
                conditions=conditions.set_condition(
                    cluster.conditions, conditions.NETWORK_READY, "False", "Released", None, _now()
                ),
            )
        except Overtaken:
            return
    await advance(deps, str(cluster.workspace_id), str(cluster.id))


async def on_cluster_event(deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery) -> None:
    """ClusterRequested, ClusterDeleteRequested, ClusterUpgradeRequested: drive it."""
    cluster = await _cluster_of(deps, event)
    if cluster is not None:
        await advance(deps, str(cluster.workspace_id), str(cluster.id))
