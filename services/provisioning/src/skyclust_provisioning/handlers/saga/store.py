"""The saga's state as the cluster row keeps it: read it, and change it only if it is
still as the step found it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.observability import current_traceparent

from ...adapters.db import Cluster, NodeGroup
from ...domain import conditions
from ...domain.cluster import Status
from ...domain.saga import SagaState, Step
from ..shared import SOURCE, ProvisioningDeps, cluster_event

NETWORK_SERVICE = "network"


class Overtaken(Exception):
    """The cluster moved on (a delete overtook a create): go back and read it again."""


def now() -> datetime:
    return datetime.now(UTC)


def state_of(cluster: Cluster) -> SagaState:
    return SagaState(
        status=Status(cluster.status),
        step=cluster.step,
        network_state=cluster.network_state,
        rolling_back=cluster.failure is not None,
        step_deadline=cluster.step_deadline,
    )


@asynccontextmanager
async def run_lock(deps: ProvisioningDeps, cluster_id: str) -> AsyncIterator[bool]:
    """True when this run may drive the cluster. The lock belongs to a transaction kept
    open for the run; it goes when the run ends, or when its connection dies."""
    async with deps.uow() as guard:
        yield await guard.clusters.try_saga_lock(cluster_id)


async def read(deps: ProvisioningDeps, workspace_id: str, cluster_id: str) -> Cluster | None:
    # One statement, so no transaction around it: every saga pass reads the cluster, and
    # BEGIN and ROLLBACK were two of its three round trips.
    async with deps.uow().read_only() as uow:
        row = await uow.clusters.get(uuid.UUID(workspace_id), uuid.UUID(cluster_id))
        if row is not None:
            uow.clusters.detach(row)
        return row


async def groups(deps: ProvisioningDeps, cluster: Cluster) -> list[NodeGroup]:
    async with deps.uow().read_only() as uow:
        rows = await uow.node_groups.list(cluster.workspace_id, cluster.id)
        uow.node_groups.detach(*rows)
        return rows


async def update(
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
        row = await uow.clusters.get(cluster.workspace_id, cluster.id, for_update=True)
        if row is None or not expected(row):
            raise Overtaken
        before = row.status
        for key, value in fields.items():
            setattr(row, key, value)
        row.traceparent = current_traceparent() or row.traceparent
        if row.status != before:
            row.conditions = conditions.for_cluster_status(
                row.conditions, row.status, row.status_reason, row.status_message, now()
            )
        for event in events:
            uow.emit(event)
        if command is not None:
            uow.send(NETWORK_SERVICE, command)
        await uow.clusters.refresh(row)
        await uow.commit()
        uow.clusters.detach(row)
        return row


# What a step expects the row to still be when it moves it on.


def at(status: Status, step: str | None) -> Callable[[Cluster], bool]:
    return lambda row: row.status == status and row.step == step


def unchanged(cluster: Cluster) -> Callable[[Cluster], bool]:
    return at(Status(cluster.status), cluster.step)


def creating(step: Step) -> Callable[[Cluster], bool]:
    return lambda row: state_of(row).creating and row.step == step


def tearing_down(step: Step) -> Callable[[Cluster], bool]:
    return lambda row: state_of(row).tearing_down and row.step == step


def upgrading(step: str) -> Callable[[Cluster], bool]:
    return at(Status.UPDATING, step)


def deadline(deps: ProvisioningDeps, step: Step) -> datetime:
    return now() + timedelta(seconds=deps.step_timeouts.get(step, deps.create_timeout))


def progress(cluster: Cluster, step: Step, percent: int, **extra: Any) -> CloudEvent:
    return cluster_event(
        "ClusterProvisioning",
        cluster,
        {"step": step, "progress": percent, "cloud_id": cluster.cloud_id, **extra},
    )


def command(name: str, cluster: Cluster, data: dict[str, Any]) -> CloudEvent:
    """A command to the network service about this cluster."""
    return new_event(
        name,
        {"cluster_id": str(cluster.id), **data},
        source=SOURCE,
        subject=str(cluster.id),
        workspace_id=str(cluster.workspace_id),
        correlation_id=str(cluster.id),
    )
