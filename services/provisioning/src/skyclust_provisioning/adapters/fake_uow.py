"""An in-memory unit of work for provisioning, with repositories of the same interface
as the database's (repositories.py): the unit lane runs use cases and saga steps on it.

Rows are the ORM classes used as plain objects. A repository hands out one object per
row and transaction; at commit every object handed out is written back, so a change to
a row that is not committed is lost, as in the database. The unique live names and the
saga's advisory lock behave as Postgres's do."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import inspect

from skyclust_common.fake_uow import FakeDatabase, FakeUnitOfWork

from ..domain import conditions
from ..domain.budgets import FailClosedBudget, KnownBudgetState
from ..domain.cluster import Status
from ..domain.errors import NameTaken
from .db import UNFINISHED, Cluster, ClusterFields, NodeGroup

# The columns the database fills in itself (server defaults).
_SERVER_DEFAULTS: dict[str, Any] = {
    "progress": 0,
    "managed": True,
    "drift_failures": 0,
}
_SERVER_DEFAULT_FACTORIES = {"conditions": list, "drift": list}


def _columns(row: Any) -> dict[str, Any]:
    return {attr.key: getattr(row, attr.key) for attr in inspect(type(row)).column_attrs}


def _with_defaults(row: Any) -> None:
    now = datetime.now(UTC)
    for attr in inspect(type(row)).column_attrs:
        if getattr(row, attr.key) is not None:
            continue
        column = attr.columns[0]
        if column.default is not None and column.default.is_scalar:
            setattr(row, attr.key, column.default.arg)
        elif column.default is not None and column.default.is_callable:
            setattr(row, attr.key, column.default.arg(None))
        elif attr.key in _SERVER_DEFAULTS:
            setattr(row, attr.key, _SERVER_DEFAULTS[attr.key])
        elif attr.key in _SERVER_DEFAULT_FACTORIES:
            setattr(row, attr.key, _SERVER_DEFAULT_FACTORIES[attr.key]())
        elif attr.key in ("created_at", "updated_at"):
            setattr(row, attr.key, now)


class FakeProvisioningDatabase(FakeDatabase):
    """Also the advisory locks held by open transactions."""

    def __init__(self) -> None:
        super().__init__()
        self.locks: set[str] = set()


class _FakeRows:
    table = ""
    model: type[Any] = object

    def __init__(self, uow: FakeProvisioningUnitOfWork) -> None:
        self.uow = uow

    def _rows(self) -> dict[uuid.UUID, dict[str, Any]]:
        return self.uow.table(self.table)

    def _object(self, row_id: uuid.UUID) -> Any:
        """The one object of the row in this transaction."""
        handed = self.uow.handed_out.setdefault(self.table, {})
        if row_id not in handed:
            handed[row_id] = self.model(**copy.deepcopy(self._rows()[row_id]))
        return handed[row_id]

    def _all(self) -> list[Any]:
        return [self._object(row_id) for row_id in list(self._rows())]

    def _insert(self, row: Any) -> None:
        _with_defaults(row)
        self._rows()[row.id] = _columns(row)
        self.uow.handed_out.setdefault(self.table, {})[row.id] = row

    async def refresh(self, row: Any) -> None:
        return None

    def detach(self, *rows: Any) -> None:
        for row in rows:
            self.uow.handed_out.get(self.table, {}).pop(row.id, None)


class FakeClusters(_FakeRows):
    table = "clusters"
    model = Cluster

    async def get(
        self, workspace_id: uuid.UUID, cluster_id: uuid.UUID, *, for_update: bool = False
    ) -> Cluster | None:
        row = self._rows().get(cluster_id)
        if row is None or row["workspace_id"] != workspace_id:
            return None
        found: Cluster = self._object(cluster_id)
        return found

    async def live_by_name(
        self, workspace_id: uuid.UUID, provider: str, region: str, name: str
    ) -> Cluster | None:
        for row in self._all():
            if (row.workspace_id, row.provider, row.region, row.name) == (
                workspace_id,
                provider,
                region,
                name,
            ) and row.status not in (Status.DELETED, Status.FAILED):
                found: Cluster = row
                return found
        return None

    async def add(self, cluster: Cluster) -> None:
        if await self.live_by_name(
            cluster.workspace_id, cluster.provider, cluster.region, cluster.name
        ):
            raise NameTaken
        self._insert(cluster)

    async def try_saga_lock(self, cluster_id: str) -> bool:
        return self.uow.lock(f"cluster-saga:{cluster_id}")

    async def unfinished_since(
        self, cutoff: datetime, limit: int
    ) -> list[tuple[uuid.UUID, uuid.UUID, str | None]]:
        rows = [c for c in self._all() if c.status in UNFINISHED and c.updated_at < cutoff]
        rows.sort(key=lambda c: c.updated_at)
        return [(c.workspace_id, c.id, c.traceparent) for c in rows[:limit]]

    async def due_for_drift(self, now: datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
        rows = [
            c
            for c in self._all()
            if c.status == Status.READY
            and c.managed
            and (c.drift_next_check_at is None or c.drift_next_check_at <= now)
        ]
        rows.sort(key=lambda c: (c.drift_next_check_at is not None, c.drift_next_check_at))
        return [(c.workspace_id, c.id) for c in rows[:limit]]

    async def tracked_cloud_ids(self, workspace_id: uuid.UUID) -> dict[str, uuid.UUID]:
        return {
            c.cloud_id: c.id
            for c in self._all()
            if c.workspace_id == workspace_id and c.status != Status.DELETED and c.cloud_id
        }

    async def ready_counts(self) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        for c in self._all():
            if c.status == Status.READY:
                counts[(c.provider, c.region)] = counts.get((c.provider, c.region), 0) + 1
        return counts

    async def list(self, workspace_id: uuid.UUID, provider: str | None) -> list[ClusterFields]:
        rows = [
            c
            for c in self._all()
            if c.workspace_id == workspace_id
            and c.status != Status.DELETED
            and (not provider or c.provider == provider)
        ]
        return sorted(rows, key=lambda c: c.created_at)


class FakeKnownBudgets:
    """The last BudgetChanged of each budget, the later change winning, as in the
    database's upsert."""

    def __init__(self, uow: FakeProvisioningUnitOfWork) -> None:
        self.uow = uow

    async def record(self, budget: KnownBudgetState) -> None:
        rows = self.uow.table("known_budgets")
        kept = rows.get(budget.budget_id)
        if kept is None or kept.changed_at <= budget.changed_at:
            rows[budget.budget_id] = budget

    async def fail_closed(self, workspace_id: uuid.UUID) -> list[FailClosedBudget]:
        rows = self.uow.table("known_budgets").values()
        return [
            FailClosedBudget(str(b.budget_id), b.name, b.scope, b.scope_value)
            for b in sorted(rows, key=lambda b: b.name)
            if b.workspace_id == workspace_id and b.fail_closed and not b.deleted
        ]


class FakeNodeGroups(_FakeRows):
    table = "node_groups"
    model = NodeGroup

    async def get(
        self,
        workspace_id: uuid.UUID,
        cluster_id: uuid.UUID,
        node_group_id: uuid.UUID,
        *,
        for_update: bool = False,
    ) -> NodeGroup | None:
        row = self._rows().get(node_group_id)
        if row is None or (row["workspace_id"], row["cluster_id"]) != (workspace_id, cluster_id):
            return None
        found: NodeGroup = self._object(node_group_id)
        return found

    async def live_by_name(self, cluster_id: uuid.UUID, name: str) -> NodeGroup | None:
        for row in self._all():
            if (row.cluster_id, row.name) == (cluster_id, name) and row.status not in (
                Status.DELETED,
                Status.FAILED,
            ):
                found: NodeGroup = row
                return found
        return None

    def add(self, group: NodeGroup) -> None:
        self._insert(group)

    async def refresh_conditions(self, workspace_id: uuid.UUID, cluster_id: uuid.UUID) -> None:
        cluster = await self.uow.clusters.get(workspace_id, cluster_id)
        if cluster is None:
            return
        groups = await self.list(workspace_id, cluster_id)
        cluster.conditions = conditions.for_node_groups(
            cluster.conditions, [(g.name, g.status) for g in groups], datetime.now(UTC)
        )

    async def list(self, workspace_id: uuid.UUID, cluster_id: uuid.UUID) -> list[NodeGroup]:
        rows = [
            g
            for g in self._all()
            if (g.workspace_id, g.cluster_id) == (workspace_id, cluster_id)
            and g.status != Status.DELETED
        ]
        return sorted(rows, key=lambda g: g.created_at)


class FakeProvisioningUnitOfWork(FakeUnitOfWork):
    db: FakeProvisioningDatabase

    def __init__(self, db: FakeProvisioningDatabase, **kw: Any) -> None:
        super().__init__(db, **kw)
        self.handed_out: dict[str, dict[uuid.UUID, Any]] = {}
        self._locks: set[str] = set()

    @property
    def clusters(self) -> FakeClusters:
        return FakeClusters(self)

    @property
    def node_groups(self) -> FakeNodeGroups:
        return FakeNodeGroups(self)

    @property
    def budgets(self) -> FakeKnownBudgets:
        return FakeKnownBudgets(self)

    def lock(self, key: str) -> bool:
        if key in self.db.locks:
            return key in self._locks
        self.db.locks.add(key)
        self._locks.add(key)
        return True

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.handed_out = {}
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.db.locks -= self._locks
        self._locks = set()
        self.handed_out = {}
        await super().__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        now = datetime.now(UTC)
        for table, objects in self.handed_out.items():
            rows = self.table(table)
            for row_id, row in objects.items():
                values = _columns(row)
                if values != rows.get(row_id):
                    values["updated_at"] = now
                    row.updated_at = now
                rows[row_id] = values
        self._check_unique_names()
        await super().commit()
        self.db.locks -= self._locks
        self._locks = set()

    def _check_unique_names(self) -> None:
        live = [
            (c["workspace_id"], c["provider"], c["region"], c["name"])
            for c in self.table("clusters").values()
            if c["status"] not in (Status.DELETED, Status.FAILED)
        ]
        groups = [
            (g["cluster_id"], g["name"])
            for g in self.table("node_groups").values()
            if g["status"] not in (Status.DELETED, Status.FAILED)
        ]
        if len(set(live)) != len(live) or len(set(groups)) != len(groups):
            raise NameTaken
