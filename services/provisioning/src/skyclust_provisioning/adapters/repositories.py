"""What the use cases ask of storage: the unit of work and its repositories. The
database ones are in db.py and uow.py, the in-memory ones in fake_uow.py."""

from __future__ import annotations

import uuid
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from skyclust_common.envelope import CloudEvent

from ..domain.budgets import FailClosedBudget, KnownBudgetState
from .db import Cluster, ClusterFields, NodeGroup


class ClusterRepository(Protocol):
    async def get(
        self, workspace_id: uuid.UUID, cluster_id: uuid.UUID, *, for_update: bool = False
    ) -> Cluster | None: ...

    async def live_by_name(
        self, workspace_id: uuid.UUID, provider: str, region: str, name: str
    ) -> Cluster | None: ...

    async def add(self, cluster: Cluster) -> None: ...

    async def try_saga_lock(self, cluster_id: str) -> bool: ...

    async def unfinished_since(
        self, cutoff: datetime, limit: int
    ) -> list[tuple[uuid.UUID, uuid.UUID, str | None]]: ...

    async def due_for_drift(
        self, now: datetime, limit: int
    ) -> list[tuple[uuid.UUID, uuid.UUID]]: ...

    async def tracked_cloud_ids(self, workspace_id: uuid.UUID) -> dict[str, uuid.UUID]: ...

    async def ready_counts(self) -> dict[tuple[str, str], int]: ...

    async def refresh(self, row: Any) -> None: ...

    def detach(self, *rows: Any) -> None: ...

    async def list(self, workspace_id: uuid.UUID, provider: str | None) -> list[ClusterFields]: ...


class NodeGroupRepository(Protocol):
    async def get(
        self,
        workspace_id: uuid.UUID,
        cluster_id: uuid.UUID,
        node_group_id: uuid.UUID,
        *,
        for_update: bool = False,
    ) -> NodeGroup | None: ...

    async def live_by_name(self, cluster_id: uuid.UUID, name: str) -> NodeGroup | None: ...

    def add(self, group: NodeGroup) -> None: ...

    async def refresh_conditions(self, workspace_id: uuid.UUID, cluster_id: uuid.UUID) -> None: ...

    async def refresh(self, row: Any) -> None: ...

    def detach(self, *rows: Any) -> None: ...

    async def list(self, workspace_id: uuid.UUID, cluster_id: uuid.UUID) -> list[NodeGroup]: ...


class KnownBudgetRepository(Protocol):
    async def record(self, budget: KnownBudgetState) -> None: ...

    async def fail_closed(self, workspace_id: uuid.UUID) -> list[FailClosedBudget]: ...


class ProvisioningUoW(Protocol):
    """One transaction: what a use case changes, the events it emits and the inbox mark
    commit together, or nothing does."""

    @property
    def clusters(self) -> ClusterRepository: ...

    @property
    def node_groups(self) -> NodeGroupRepository: ...

    @property
    def budgets(self) -> KnownBudgetRepository: ...

    def read_only(self) -> Self: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def emit(self, event: CloudEvent) -> None: ...

    def send(self, service: str, command: CloudEvent) -> None: ...

    async def seen(self, consumer: str, message_id: str) -> bool: ...

    async def commit(self) -> None: ...
