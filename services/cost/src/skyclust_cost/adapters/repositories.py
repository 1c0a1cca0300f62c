"""What the handlers may ask of the store, as protocols: the SQL repositories in
`sql.py` and the fakes in `fake_uow.py` both answer them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self

from skyclust_common.envelope import CloudEvent

from ..domain.periods import Scope
from ..domain.records import CostRow, CostWarning
from .budget_store import Budgets, Crossings
from .price_cache import PriceCache


class CostRecords(Protocol):
    async def upsert(self, workspace_id: uuid.UUID, rows: Sequence[CostRow]) -> int: ...

    async def replace_estimates(
        self, workspace_id: uuid.UUID, provider: str, start: date, rows: Sequence[CostRow]
    ) -> int: ...

    async def daily(self, scope: Scope) -> list[tuple[date, str, Decimal]]:
        """(day, provider, amount) for each day and provider with cost."""
        ...

    async def grouped(
        self, scope: Scope, dimension: str, tag: str | None
    ) -> list[tuple[str, Decimal]]:
        """(key, amount) per value of the dimension, largest first."""
        ...


class CollectionStatuses(Protocol):
    async def record(
        self, workspace_id: uuid.UUID, provider: str, rows: int, warning: CostWarning | None
    ) -> None: ...

    async def warnings(
        self, workspace_id: uuid.UUID, provider: str | None
    ) -> list[CostWarning]: ...


class Credentials(Protocol):
    async def remember(
        self, workspace_id: uuid.UUID, credential_id: uuid.UUID, provider: str
    ) -> None: ...

    async def forget(self, credential_id: uuid.UUID) -> None: ...

    async def of_workspace(self, workspace_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]: ...

    async def workspaces(self) -> list[uuid.UUID]: ...


class Run(Protocol):
    cluster_id: uuid.UUID
    node_group_id: str
    node_group_name: str
    provider: str
    region: str
    instance_type: str
    count: int
    since: datetime
    until: datetime | None


class Inventory(Protocol):
    async def know_cluster(
        self, workspace_id: uuid.UUID, cluster_id: uuid.UUID, provider: str, region: str, name: str
    ) -> None: ...

    async def cluster_region(self, cluster_id: uuid.UUID) -> str | None: ...

    async def know_node_group(
        self, cluster_id: uuid.UUID, node_group_id: str, instance_type: str
    ) -> None: ...

    async def instance_type(self, node_group_id: str) -> str | None: ...

    async def open(
        self,
        workspace_id: uuid.UUID,
        cluster_id: uuid.UUID,
        node_group_id: str,
        node_group_name: str,
        provider: str,
        region: str,
        instance_type: str,
        count: int,
        since: datetime,
    ) -> None: ...

    async def close(
        self, cluster_id: uuid.UUID, node_group_id: str | None, until: datetime
    ) -> list[Run]:
        """End the open runs of a node group (or of the whole cluster with None)."""
        ...

    async def overlapping(
        self, workspace_id: uuid.UUID, provider: str | None, start: datetime, end: datetime
    ) -> list[Run]: ...


class CostUnitOfWork(Protocol):
    # Read-only: each unit of work hands out its repositories as properties.
    @property
    def records(self) -> CostRecords: ...

    @property
    def statuses(self) -> CollectionStatuses: ...

    @property
    def credentials(self) -> Credentials: ...

    @property
    def inventory(self) -> Inventory: ...

    @property
    def budgets(self) -> Budgets: ...

    @property
    def crossings(self) -> Crossings: ...

    @property
    def prices(self) -> PriceCache: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def read_only(self) -> Self: ...

    async def seen(self, consumer: str, message_id: str) -> bool: ...

    def emit(self, event: CloudEvent) -> None: ...

    async def commit(self) -> None: ...
