"""The one lifecycle of networks, subnets and security groups: a request moves the row
to PENDING, UPDATING or DELETING and emits ...Requested, ...UpdateRequested or
...DeleteRequested; the saga step for that event does the cloud's part and moves the
row to READY or DELETED (or FAILED) with its closing event. Each resource module gives
a `Kind`: its repository, its events' data and its cloud calls."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import Conflict, NotFound, SkyclustError
from skyclust_common.messaging import Delivery

from ..adapters.db import SecurityGroup, Subnet, Vpc
from ..adapters.providers.base import Credential, NetworkProvider
from ..adapters.repositories import NetworkUnitOfWork
from ..domain.errors import (
    GeneratedForCluster,
    NetworkNotManaged,
    ProviderUnavailable,
    VpcNotReady,
)
from ..domain.lifecycle import STAGES, Failure, Operation, Outcome, after_failure, should_step
from ..domain.model import Status
from .common import NetworkDeps, failed_event, provider_of, resource_event, secret, transient

R = TypeVar("R", Vpc, Subnet, SecurityGroup)
Step = Callable[[NetworkDeps, CloudEvent, Delivery], Awaitable[None]]
# (deps, provider, credential, row, its network) -> fields to set on the row, if any
CloudCall = Callable[
    [NetworkDeps, NetworkProvider, Credential, Any, Vpc], Awaitable[dict[str, Any] | None]
]
Exists = Callable[[NetworkProvider, Credential, Any, Vpc], Awaitable[bool]]


@dataclass(frozen=True)
class Kind(Generic[R]):
    prefix: str  # of its events: VpcReady, SubnetReady, SecurityGroupReady
    label: str  # in codes: VPC_NOT_FOUND, SUBNET_BUSY
    noun: str  # in messages: "the cloud still shows the security group"
    id_field: str  # in its events' data
    repository: Callable[[NetworkUnitOfWork], Any]
    missing: type[NotFound]  # its not-found error
    busy: type[Conflict]  # the error for a change it cannot take now
    # The data of its events past the common head, by the event's suffix.
    data: Callable[[R, str], dict[str, Any]]
    cloud: dict[Operation, CloudCall]
    exists: Exists

    def event(self, suffix: str, row: R, **kw: Any) -> CloudEvent:
        return resource_event(f"{self.prefix}{suffix}", row, self.data(row, suffix), **kw)

    @property
    def what(self) -> str:
        return self.label.replace("_", " ")


async def get_or_404(
    uow: NetworkUnitOfWork,
    kind: Kind[R],
    workspace_id: uuid.UUID,
    row_id: uuid.UUID,
    provider: str | None = None,
    *,
    for_update: bool = False,
) -> R:
    """The row a request names (its workspace, the kind's id), not deleted, and of the
    provider the request names if it names one (the gateway's path does)."""
    row: R | None = await kind.repository(uow).get(workspace_id, row_id, for_update=for_update)
    if row is None or row.status == Status.DELETED or provider not in (None, row.provider):
        raise kind.missing(f"{kind.what} not found")
    return row


def require_ours(label: str, row: Vpc | Subnet | SecurityGroup) -> None:
    """Only SkyClust's own rows, not generated for a cluster, are changed by request."""
    if isinstance(row, Vpc) and not row.managed:
        raise NetworkNotManaged(
            f"network '{row.name}' was not created by SkyClust; an admin can adopt it first",
        )
    if row.cluster_id is not None:
        raise GeneratedForCluster(
            f"{label} '{row.name}' belongs to the network of cluster {row.cluster_id}; "
            "release the cluster's network instead",
            details={"cluster_id": str(row.cluster_id)},
        )


def require_changeable(kind: Kind[R], row: R, allowed: frozenset[Status]) -> None:
    require_ours(kind.label, row)
    if row.status not in allowed:
        raise kind.busy(f"a {kind.what} that is {row.status} cannot be changed now")


def require_ready_network(vpc: Vpc, members: str) -> None:
    """A network `members` (subnets, groups) can be added to: SkyClust's, and READY."""
    require_ours("vpc", vpc)
    if vpc.status != Status.READY or vpc.cloud_id is None:
        raise VpcNotReady(
            f"network '{vpc.name}' is {vpc.status}; {members} can be added once it is READY"
        )


def request(
    uow: NetworkUnitOfWork, kind: Kind[R], row: R, operation: Operation, actor: str
) -> None:
    """Hand the change to the saga: the row shows it under way, the event asks for it."""
    stage = STAGES[operation]
    row.status = stage.working
    row.status_reason = row.status_message = None
    uow.emit(kind.event(stage.requested, row, actor_id=actor))


async def transition(
    deps: NetworkDeps,
    kind: Kind[R],
    workspace_id: str,
    row_id: str,
    allowed: frozenset[Status],
    status: Status,
    make_events: Callable[[R], Sequence[CloudEvent]] = lambda row: (),
    **fields: Any,
) -> bool:
    """Move a row to `status` if it is still in one of `allowed`; its events commit with
    the change."""
    async with deps.uow() as uow:
        row: R | None = await kind.repository(uow).get(
            uuid.UUID(workspace_id), uuid.UUID(row_id), for_update=True
        )
        if row is None or row.status not in allowed:
            return False
        row.status = status
        for key, value in fields.items():
            setattr(row, key, value)
        for event in make_events(row):
            uow.emit(event)
        await uow.commit()
        return True


async def fail(
    deps: NetworkDeps,
    kind: Kind[R],
    workspace_id: str,
    row_id: str,
    allowed: frozenset[Status],
    error: SkyclustError,
    operation: str,
) -> None:
    await transition(
        deps,
        kind,
        workspace_id,
        row_id,
        allowed,
        Status.FAILED,
        lambda row: [failed_event(kind.prefix, row, error, operation)],
        status_reason=error.code[:64],
        status_message=error.message[:2000],
    )


async def _load(deps: NetworkDeps, kind: Kind[R], event: CloudEvent) -> tuple[R, Vpc] | None:
    async with deps.uow() as uow:
        row: R | None = await kind.repository(uow).get(
            uuid.UUID(event.workspaceid or ""), uuid.UUID(event.data[kind.id_field])
        )
        if row is None:
            return None
        if isinstance(row, Vpc):
            return uow.detach(row), row
        vpc = await uow.vpcs.get(row.workspace_id, row.vpc_id)
        assert vpc is not None  # a foreign key
        return uow.detach(row), uow.detach(vpc)


def _failure(error: SkyclustError) -> Failure:
    if isinstance(error, NotFound):
        return Failure.NOT_FOUND
    return Failure.CONFLICT if isinstance(error, Conflict) else Failure.OTHER


def saga_step(kind: Kind[R], operation: Operation) -> Step:
    """The consumer of the kind's event that requests `operation`. Every step re-reads the
    persisted state, so a redelivery after a crash resumes, and one that finds the row
    moved on does nothing."""
    stage = STAGES[operation]
    working = frozenset({stage.working})

    async def step(deps: NetworkDeps, event: CloudEvent, delivery: Delivery) -> None:
        loaded = await _load(deps, kind, event)
        if loaded is None:
            return
        row, vpc = loaded
        if not should_step(operation, row.status, row.cluster_id is not None):
            return
        ws, row_id = str(row.workspace_id), str(row.id)
        try:
            if operation is Operation.CREATE and row is not vpc and vpc.cloud_id is None:
                raise VpcNotReady(f"network '{vpc.name}' does not exist in the cloud")
            provider = provider_of(deps, row.provider)
            reason = f"{operation} {kind.noun}"
            credential = await secret(deps, ws, str(row.credential_id), reason, row_id)
            fields = await kind.cloud[operation](deps, provider, credential, row, vpc) or {}
            if operation is Operation.DELETE and await kind.exists(provider, credential, row, vpc):
                raise ProviderUnavailable(
                    f"the cloud still shows the {kind.noun}",
                    retryable=True,
                )
            await transition(
                deps,
                kind,
                ws,
                row_id,
                working,
                stage.done,
                lambda r: [kind.event(stage.finished, r)],
                **fields,
            )
        except SkyclustError as exc:
            outcome = after_failure(
                operation,
                _failure(exc),
                retryable=transient(exc),
                attempt=delivery.num_delivered,
                max_attempts=deps.max_attempts,
            )
            if outcome is Outcome.RETRY:
                raise
            await fail(deps, kind, ws, row_id, working, exc, operation)

    step.__name__ = f"on_{kind.label}_{stage.requested.lower()}"
    return step
