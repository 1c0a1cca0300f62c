"""What both cluster-network runs share: one run per cluster at a time, the record of
the cluster's network and the rows made for it, the replies, and the teardown of a
generated network.

Each step persists its result before the next starts, and one run per cluster holds a
lock for its whole length, so a redelivered or repeated command resumes where the last
run stopped and never creates anything twice."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import SkyclustError
from skyclust_common.messaging import Delivery

from ...adapters.db import ClusterNetwork, SecurityGroup, Subnet, Vpc
from ...domain.cluster_network import Progress, Record, State, try_again
from ...domain.errors import ProviderUnavailable
from ...domain.model import Status
from .. import security_groups, subnets, vpcs
from ..common import SOURCE, NetworkDeps, failed_event, provider_of, transient
from ..lifecycle import Kind, transition

LIVE = frozenset(set(Status) - {Status.DELETED})


@dataclass
class Snapshot:
    """The cluster's record and the rows of its network, read in one transaction."""

    row: ClusterNetwork | None
    vpc: Vpc | None = None
    subnets: list[Subnet] = field(default_factory=list)
    groups: list[SecurityGroup] = field(default_factory=list)

    def record(self) -> Record | None:
        if self.row is None:
            return None
        return Record(State(self.row.status), self.row.request_id, str(self.row.workspace_id))

    def progress(self) -> Progress:
        return Progress(
            network=None if self.vpc is None else Status(self.vpc.status),
            subnets=tuple(Status(s.status) for s in self.subnets),
            groups=tuple(Status(g.status) for g in self.groups),
        )


def reply(name: str, command: CloudEvent, cluster_id: str, data: dict[str, Any]) -> CloudEvent:
    return new_event(
        name,
        {"request_id": command.data["request_id"], "cluster_id": cluster_id, **data},
        source=SOURCE,
        subject=cluster_id,
        workspace_id=command.workspaceid,
        correlation_id=command.correlationid or cluster_id,
        causation_id=command.id,
    )


def failed_reply(
    command: CloudEvent, row: ClusterNetwork, code: str, message: str, **kw: Any
) -> CloudEvent:
    data = {"provider": row.provider, "code": code, "message": message, "retryable": False}
    return reply("ClusterNetworkFailed", command, str(row.cluster_id), {**data, **kw})


def ready_data(snapshot: Snapshot) -> dict[str, Any]:
    row, vpc = snapshot.row, snapshot.vpc
    assert row is not None and vpc is not None
    return {
        "provider": row.provider,
        "credential_id": str(row.credential_id),
        "region": row.region,
        "generated": row.generated,
        "vpc": {
            "id": str(vpc.id),
            "name": vpc.name,
            "cloud_id": vpc.cloud_id,
            "cidr_block": vpc.cidr_block,
            "resource_group": vpc.resource_group,
        },
        "subnets": [
            {
                "id": str(s.id),
                "name": s.name,
                "cloud_id": s.cloud_id,
                "cidr_block": s.cidr_block,
                "region": s.region,
                "availability_zone": s.availability_zone,
            }
            for s in snapshot.subnets
        ],
        "security_groups": [
            {"id": str(g.id), "name": g.name, "cloud_id": g.cloud_id} for g in snapshot.groups
        ],
    }


@asynccontextmanager
async def exclusive(deps: NetworkDeps, cluster_id: uuid.UUID) -> AsyncIterator[None]:
    """One run per cluster at a time: the lock lives in a transaction held open for the
    run and is released when it ends, even if the process dies."""
    async with deps.uow() as guard:
        await guard.lock_cluster(cluster_id)
        yield


async def load(deps: NetworkDeps, cluster_id: uuid.UUID) -> Snapshot:
    # Without BEGIN and ROLLBACK (two of its six round trips, at every step of a run):
    # under READ COMMITTED a transaction of plain reads gives its statements no common
    # snapshot either, so each statement sees the same rows as it would inside one.
    async with deps.uow().read_only() as uow:
        row = await uow.cluster_networks.get(cluster_id)
        if row is None:
            return Snapshot(None)
        snapshot = Snapshot(row)
        if row.vpc_id is not None:
            snapshot.vpc = await uow.vpcs.get(row.workspace_id, row.vpc_id)
            snapshot.subnets = await uow.subnets.of_vpc(row.vpc_id)
            snapshot.groups = await uow.security_groups.of_vpc(row.vpc_id)
        for item in [row, snapshot.vpc, *snapshot.subnets, *snapshot.groups]:
            if item is not None:
                uow.detach(item)
        return snapshot


async def record(
    deps: NetworkDeps, cluster_id: uuid.UUID, events: list[CloudEvent], **fields: Any
) -> None:
    """Change the cluster's record; `events` commit with the change."""
    async with deps.uow() as uow:
        row = await uow.cluster_networks.get(cluster_id, for_update=True)
        assert row is not None
        for key, value in fields.items():
            setattr(row, key, value)
        for event in events:
            uow.emit(event)
        await uow.commit()


def should_retry(
    deps: NetworkDeps, command: CloudEvent, delivery: Delivery, exc: SkyclustError
) -> bool:
    return try_again(
        retryable=transient(exc),
        attempt=delivery.num_delivered,
        max_attempts=deps.max_attempts,
        sent_at=command.time,
        now=datetime.now(UTC),
        window=deps.retry_window,
    )


def _ended(kind: Kind[Any], error: SkyclustError | None, *also: Any) -> Any:
    """The closing events of a row torn down: ...Deleted, after ...Failed naming `error`
    when the row never reached the cloud."""

    def events(row: Any) -> list[CloudEvent]:
        if row.cloud_id is None and error is not None:
            return [failed_event(kind.prefix, row, error, "create"), *(e(row) for e in also)]
        return [kind.event("Deleted", row)]

    return events


async def tear_down(
    deps: NetworkDeps,
    cluster_id: uuid.UUID,
    credential: dict[str, Any],
    error: SkyclustError | None,
) -> None:
    """Delete in the cloud everything generated for the cluster, groups and subnets first,
    the network last; each row is marked deleted as soon as its cloud resource is gone.
    Rows that never reached the cloud end with a ...Failed event naming `error`; the
    network's row is gone all the same, so it also ends with VpcDeleted, which is what
    releases its claim on the credential (credential-vault counts networks by it)."""
    snapshot = await load(deps, cluster_id)
    row, vpc = snapshot.row, snapshot.vpc
    if row is None or vpc is None or not row.generated:
        return
    provider = provider_of(deps, row.provider)
    ws = str(row.workspace_id)
    group_kind, subnet_kind, vpc_kind = security_groups.KIND, subnets.KIND, vpcs.KIND
    for group in snapshot.groups:
        await provider.delete_security_group(credential, vpc.spec(), group.spec())
        ended = _ended(group_kind, error)
        await transition(deps, group_kind, ws, str(group.id), LIVE, Status.DELETED, ended)
    for subnet in snapshot.subnets:
        await provider.delete_subnet(credential, vpc.spec(), subnet.spec())
        ended = _ended(subnet_kind, error)
        await transition(deps, subnet_kind, ws, str(subnet.id), LIVE, Status.DELETED, ended)
    if vpc.status != Status.DELETED:
        await provider.delete_vpc(credential, vpc.spec())
        if await provider.get_vpc(credential, vpc.spec()) is not None:
            raise ProviderUnavailable("the cloud still shows the network", retryable=True)
        ended = _ended(vpc_kind, error, lambda r: vpc_kind.event("Deleted", r))
        await transition(deps, vpc_kind, ws, str(vpc.id), LIVE, Status.DELETED, ended)
