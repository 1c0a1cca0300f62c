"""Drift: a periodic pass compares each READY managed cluster with what the cloud runs.

A difference in a field SkyClust manages (the control plane's version; each node group's
presence, sizes, labels and taints) is recorded on the cluster, shown by its `Drifted`
condition and announced once by `ClusterDriftDetected`; nothing is changed in the cloud
until a user asks (`ReconcileCluster`). When the cloud answers with errors the pass backs
off for that cluster and records nothing: an error is never taken to mean "gone" and
never makes drift appear or disappear."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import SkyclustError
from skyclust_common.messages.events import CredentialDeleted, CredentialRotated
from skyclust_common.messages.rpc import ReconcileClusterRequest
from skyclust_common.messaging import Delivery, RpcContext

from ..adapters.db import Cluster, NodeGroup
from ..adapters.providers.base import ClusterProvider, same_minor
from ..domain import conditions
from ..domain.cluster import Status
from ..domain.errors import (
    ClusterBusy,
    ClusterNotFound,
)
from .clusters import found, read_only, view
from .shared import (
    ProvisioningDeps,
    cluster_credential,
    cluster_event,
    node_group_event,
    sizes,
)

log = logging.getLogger(__name__)

Drift = list[dict[str, Any]]


@dataclass(frozen=True)
class Snapshot:
    """What was compared: the cluster and node groups as they were read."""

    cluster: Cluster
    groups: tuple[NodeGroup, ...]

    def stamp(self) -> tuple[Any, ...]:
        return (
            self.cluster.version,
            self.cluster.status,
            tuple((g.id, g.status, g.updated_at) for g in self.groups),
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _taints(items: Sequence[Any]) -> list[dict[str, str]]:
    return sorted(
        ({"key": t.key, "value": t.value, "effect": t.effect} for t in items),
        key=lambda t: (t["key"], t["effect"], t["value"]),
    )


async def compare(
    provider: ClusterProvider, snapshot: Snapshot, credential: dict[str, Any]
) -> Drift:
    """The managed fields whose cloud value differs from the desired one. Raises the
    cloud's error when it cannot tell."""
    cluster = snapshot.cluster
    spec = cluster.spec()
    cloud = await provider.describe(spec, credential)
    if cloud is None:
        return [{"field": "cluster", "desired": "present", "actual": "absent"}]
    drift: Drift = []
    if cloud.version and not same_minor(cloud.version, cluster.version):
        drift.append({"field": "version", "desired": cluster.version, "actual": cloud.version})
    for group in snapshot.groups:
        if group.status != Status.READY:
            continue
        gspec = group.spec()
        name = f"node_groups.{group.name}"
        current = await provider.describe_node_group(spec, gspec, credential)
        if current is None:
            drift.append({"field": name, "desired": "present", "actual": "absent"})
            continue
        for field in ("min_size", "max_size", "desired_size"):
            desired, actual = getattr(gspec, field), getattr(current, field)
            if desired != actual:
                drift.append({"field": f"{name}.{field}", "desired": desired, "actual": actual})
        if dict(gspec.labels) != dict(current.labels):
            drift.append(
                {"field": f"{name}.labels", "desired": dict(gspec.labels), "actual": current.labels}
            )
        if _taints(gspec.taints) != _taints(current.taints):
            drift.append(
                {
                    "field": f"{name}.taints",
                    "desired": _taints(gspec.taints),
                    "actual": _taints(current.taints),
                }
            )
    return drift


async def _snapshot(
    deps: ProvisioningDeps, workspace_id: uuid.UUID, cluster_id: uuid.UUID
) -> Snapshot | None:
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(workspace_id, cluster_id)
        if cluster is None:
            return None
        groups = await uow.node_groups.list(workspace_id, cluster_id)
        uow.clusters.detach(cluster, *groups)
        return Snapshot(cluster, tuple(groups))


def _checkable(snapshot: Snapshot) -> bool:
    return (
        snapshot.cluster.status == Status.READY
        and snapshot.cluster.managed
        and all(g.status in (Status.READY, Status.FAILED) for g in snapshot.groups)
    )


async def check_cluster(
    deps: ProvisioningDeps,
    workspace_id: uuid.UUID,
    cluster_id: uuid.UUID,
    interval: float,
    backoff_max: float,
) -> Drift | None:
    """Compare one cluster and record the outcome; None when nothing was recorded (the
    cluster is busy, changed meanwhile, or the cloud answered with an error)."""
    snapshot = await _snapshot(deps, workspace_id, cluster_id)
    if snapshot is None or not _checkable(snapshot):
        return None
    provider = deps.providers.get(snapshot.cluster.provider)
    if provider is None:
        return None
    spec = snapshot.cluster.spec()
    try:
        credential = await deps.drift_credentials.get(
            spec.workspace_id,
            spec.credential_id,
            lambda: cluster_credential(deps, spec, "check drift"),
        )
        drift = await compare(provider, snapshot, credential)
    except SkyclustError as exc:
        # The secret may have been rotated: the next pass reads it again.
        deps.drift_credentials.forget(spec.credential_id)
        await _backoff(deps, snapshot.cluster, interval, backoff_max, exc)
        return None
    return drift if await record(deps, snapshot, drift, interval) else None


async def _backoff(
    deps: ProvisioningDeps,
    cluster: Cluster,
    interval: float,
    backoff_max: float,
    error: SkyclustError,
) -> None:
    async with deps.uow() as uow:
        row = await uow.clusters.get(cluster.workspace_id, cluster.id, for_update=True)
        if row is None:
            return
        row.drift_failures = (row.drift_failures or 0) + 1
        wait = min(interval * 2 ** min(row.drift_failures, 16), backoff_max)
        row.drift_next_check_at = _now() + timedelta(seconds=wait)
        await uow.commit()
    log.info(
        "drift check failed; backing off",
        extra={"cluster_id": str(cluster.id), "code": error.code, "wait_seconds": wait},
    )


async def record(deps: ProvisioningDeps, snapshot: Snapshot, drift: Drift, interval: float) -> bool:
    """Store the comparison unless the cluster or a node group changed since it was read
    (then the comparison may be stale: the next pass looks again)."""
    before = snapshot.cluster
    async with deps.uow() as uow:
        row = await uow.clusters.get(before.workspace_id, before.id, for_update=True)
        if row is None:
            return False
        groups = await uow.node_groups.list(before.workspace_id, before.id)
        if Snapshot(row, tuple(groups)).stamp() != snapshot.stamp():
            return False
        now = _now()
        row.drift_failures = 0
        row.drift_checked_at = now
        row.drift_next_check_at = now + timedelta(seconds=interval)
        if drift != list(row.drift or []):
            if drift:
                fields = ", ".join(d["field"] for d in drift)
                row.conditions = conditions.set_condition(
                    row.conditions, conditions.DRIFTED, "True", "Drifted", fields[:1000], now
                )
                uow.emit(cluster_event("ClusterDriftDetected", row, {"drift": drift[:200]}))
            else:
                row.conditions = conditions.set_condition(
                    row.conditions, conditions.DRIFTED, "False", "InSync", None, now
                )
                uow.emit(cluster_event("ClusterDriftResolved", row, {}))
            row.drift = drift
        elif not drift:
            row.conditions = conditions.set_condition(
                row.conditions, conditions.DRIFTED, "False", "InSync", None, now
            )
        await uow.commit()
        return True


async def pass_once(deps: ProvisioningDeps, interval: float, backoff_max: float) -> int:
    """Check every READY managed cluster that is due; returns how many were due."""
    now = _now()
    async with deps.uow() as uow:
        due = await uow.clusters.due_for_drift(now, limit=200)
    for workspace_id, cluster_id in due:
        try:
            await check_cluster(deps, workspace_id, cluster_id, interval, backoff_max)
        except Exception:
            log.exception("drift check crashed", extra={"cluster_id": str(cluster_id)})
    return len(due)


def wake_interval(interval: float) -> float:
    """The drift pass wakes often enough to honour each cluster's own schedule."""
    return max(0.5, min(interval, 30.0) / 2)


# reconcile -------------------------------------------------------------------------------


async def reconcile_cluster(
    deps: ProvisioningDeps, req: ReconcileClusterRequest, ctx: RpcContext
) -> dict[str, Any]:
    """Compare now, then put back the desired state field by field: a node group's sizes,
    labels and taints are restored, a missing node group is created again, a version the
    cloud moved ahead is accepted (Kubernetes cannot go back). Nothing else is touched."""
    workspace_id, cluster_id = req.workspace_id, req.cluster_id
    snapshot = await _snapshot(deps, workspace_id, cluster_id)
    if snapshot is None or not found(snapshot.cluster, req.provider):
        raise ClusterNotFound("cluster not found")
    if not snapshot.cluster.managed:
        raise read_only()
    if not _checkable(snapshot):
        raise ClusterBusy(
            "the cluster or one of its node groups is busy; reconcile when it is READY"
        )
    provider = deps.providers[snapshot.cluster.provider]
    credential = await cluster_credential(deps, snapshot.cluster.spec(), "reconcile cluster")
    drift = await compare(provider, snapshot, credential)
    actions = await _apply(deps, snapshot, drift, req.actor_id)
    async with deps.uow() as uow:
        row = await uow.clusters.get(workspace_id, cluster_id, for_update=True)
        assert row is not None
        row.drift_next_check_at = _now()  # look again as soon as the changes land
        await uow.clusters.refresh(row)
        await uow.commit()
        return {"cluster": view(row), "actions": actions}


async def _apply(
    deps: ProvisioningDeps, snapshot: Snapshot, drift: Drift, actor_id: str
) -> list[dict[str, str]]:
    cluster = snapshot.cluster
    spec = cluster.spec()
    by_name = {g.name: g for g in snapshot.groups if g.status == Status.READY}
    actions: list[dict[str, str]] = []
    restored: set[str] = set()
    for item in drift:
        field = item["field"]
        if field == "cluster":
            actions.append({"field": field, "action": "none: the cluster is gone from the cloud"})
        elif field == "version":
            actions.append(await _accept_version(deps, cluster, str(item["actual"])))
        elif field.startswith("node_groups."):
            name = field.removeprefix("node_groups.").split(".")[0]
            group = by_name.get(name)
            if group is None or name in restored:
                continue
            restored.add(name)
            if item["actual"] == "absent" and field == f"node_groups.{name}":
                await _restart(deps, spec, group, Status.PENDING, "NodeGroupRequested", actor_id)
                actions.append({"field": field, "action": "recreate"})
            else:
                await _restart(
                    deps, spec, group, Status.UPDATING, "NodeGroupUpdateRequested", actor_id
                )
                actions.append({"field": f"node_groups.{name}", "action": "restore"})
    return actions


async def _accept_version(deps: ProvisioningDeps, cluster: Cluster, actual: str) -> dict[str, str]:
    minor = ".".join(actual.split(".")[:2])
    have = tuple(int(p) for p in cluster.version.split(".")[:2])
    if tuple(int(p) for p in minor.split(".")[:2]) < have:
        return {"field": "version", "action": f"none: the cloud runs an older {actual}"}
    async with deps.uow() as uow:
        row = await uow.clusters.get(cluster.workspace_id, cluster.id, for_update=True)
        if row is not None and row.status == Status.READY:
            row.version = minor
            await uow.commit()
    return {"field": "version", "action": f"accept {minor}: Kubernetes cannot be downgraded"}


async def _restart(
    deps: ProvisioningDeps,
    spec: Any,
    group: NodeGroup,
    status: Status,
    event: str,
    actor_id: str,
) -> None:
    """Hand the node group to its own saga again, which converges it on its spec."""
    gspec = group.spec()
    async with deps.uow() as uow:
        row = await uow.node_groups.get(
            group.workspace_id, group.cluster_id, group.id, for_update=True
        )
        if row is None or row.status != Status.READY:
            return
        row.status = status
        if status == Status.PENDING:
            row.cloud_id = None
        await uow.node_groups.refresh_conditions(row.workspace_id, row.cluster_id)
        uow.emit(
            node_group_event(
                event,
                spec,
                gspec,
                {
                    **({"instance_type": gspec.instance_type} if status == Status.PENDING else {}),
                    **sizes(gspec),
                },
                actor_id=actor_id,
            )
        )
        await uow.commit()


async def on_credential_changed(
    deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery
) -> None:
    """CredentialRotated, CredentialDeleted: the drift job stops using what it kept."""
    changed = (
        CredentialRotated.from_event(event)
        if event.name == "CredentialRotated"
        else CredentialDeleted.from_event(event)
    )
    deps.drift_credentials.forget(str(changed.credential_id))
