"""The cost store in memory, for the unit lane: the repositories of `repositories.py`
over the per-transaction tables of `FakeUnitOfWork`, with the real schema's natural key,
so handlers run on it as on PostgreSQL."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from skyclust_common.fake_uow import FakeDatabase, FakeUnitOfWork

from ..domain.periods import Scope
from ..domain.records import ESTIMATE, CostRow, CostWarning
from .budget_fake import FakeBudgets, FakeCrossings
from .price_cache import FakePriceCache
from .repositories import Run


def _in(scope: Scope, workspace_id: uuid.UUID, row: CostRow) -> bool:
    return (
        workspace_id == scope.workspace_id
        and scope.start <= row.day <= scope.end
        and row.resource_type in scope.resource_types
        and (not scope.provider or row.provider == scope.provider)
    )


class FakeCostRecords:
    def __init__(self, rows: dict[Any, Any]) -> None:
        self.rows = rows

    async def upsert(self, workspace_id: uuid.UUID, rows: Sequence[CostRow]) -> int:
        unique = {(workspace_id, *row.key()): row for row in rows}
        self.rows.update(unique)
        return len(unique)

    async def replace_estimates(
        self, workspace_id: uuid.UUID, provider: str, start: date, rows: Sequence[CostRow]
    ) -> int:
        for key, row in list(self.rows.items()):
            if (
                key[0] == workspace_id
                and row.provider == provider
                and row.source == ESTIMATE
                and row.day >= start
            ):
                del self.rows[key]
        return await self.upsert(workspace_id, rows)

    async def daily(self, scope: Scope) -> list[tuple[date, str, Decimal]]:
        sums: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
        for key, row in self.rows.items():
            if _in(scope, key[0], row):
                sums[(row.day, row.provider)] += row.amount
        return sorted((d, p, a) for (d, p), a in sums.items())

    async def grouped(
        self, scope: Scope, dimension: str, tag: str | None
    ) -> list[tuple[str, Decimal]]:
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for key, row in self.rows.items():
            if not _in(scope, key[0], row):
                continue
            if dimension == "tag":
                value = row.tags.get(tag or "", "")
            else:
                value = {
                    "service": row.service,
                    "provider": row.provider,
                    "region": row.region,
                    "cluster": row.cluster_id,
                    "node_group": row.node_group,
                }[dimension]
            sums[value] += row.amount
        return sorted(sums.items(), key=lambda kv: (-kv[1], kv[0]))


class FakeCollectionStatuses:
    def __init__(self, rows: dict[Any, Any]) -> None:
        self.rows = rows

    async def record(
        self, workspace_id: uuid.UUID, provider: str, rows: int, warning: CostWarning | None
    ) -> None:
        self.rows[(workspace_id, provider)] = warning

    async def warnings(self, workspace_id: uuid.UUID, provider: str | None) -> list[CostWarning]:
        return [
            w
            for (ws, p), w in sorted(self.rows.items(), key=lambda kv: kv[0][1])
            if ws == workspace_id and w is not None and (not provider or p == provider)
        ]


class FakeCredentials:
    def __init__(self, rows: dict[Any, Any]) -> None:
        self.rows = rows

    async def remember(
        self, workspace_id: uuid.UUID, credential_id: uuid.UUID, provider: str
    ) -> None:
        self.rows.setdefault(credential_id, (workspace_id, provider))

    async def forget(self, credential_id: uuid.UUID) -> None:
        self.rows.pop(credential_id, None)

    async def of_workspace(self, workspace_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
        found = [(c, p) for c, (ws, p) in self.rows.items() if ws == workspace_id]
        return sorted(found, key=lambda cp: (cp[1], cp[0]))

    async def workspaces(self) -> list[uuid.UUID]:
        return sorted({ws for ws, _ in self.rows.values()})


@dataclass
class FakeRun:
    workspace_id: uuid.UUID
    cluster_id: uuid.UUID
    node_group_id: str
    node_group_name: str
    provider: str
    region: str
    instance_type: str
    count: int
    since: datetime
    until: datetime | None = None


class FakeInventory:
    def __init__(
        self, rows: dict[Any, Any], clusters: dict[Any, Any], node_groups: dict[Any, Any]
    ) -> None:
        self.rows = rows
        self.clusters = clusters
        self.node_groups = node_groups

    async def know_cluster(
        self, workspace_id: uuid.UUID, cluster_id: uuid.UUID, provider: str, region: str, name: str
    ) -> None:
        self.clusters.setdefault(cluster_id, region)

    async def cluster_region(self, cluster_id: uuid.UUID) -> str | None:
        region: str | None = self.clusters.get(cluster_id)
        return region

    async def know_node_group(
        self, cluster_id: uuid.UUID, node_group_id: str, instance_type: str
    ) -> None:
        self.node_groups[node_group_id] = instance_type

    async def instance_type(self, node_group_id: str) -> str | None:
        kind: str | None = self.node_groups.get(node_group_id)
        return kind

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
    ) -> None:
        run = FakeRun(
            workspace_id,
            cluster_id,
            node_group_id,
            node_group_name,
            provider,
            region,
            instance_type,
            count,
            since,
        )
        self.rows[len(self.rows)] = run

    async def close(
        self, cluster_id: uuid.UUID, node_group_id: str | None, until: datetime
    ) -> list[Run]:
        closed: list[Run] = []
        for key, run in self.rows.items():
            if run.cluster_id != cluster_id or run.until is not None:
                continue
            if node_group_id is not None and run.node_group_id != node_group_id:
                continue
            self.rows[key] = replace(run, until=until)
            closed.append(run)
        return closed

    async def overlapping(
        self, workspace_id: uuid.UUID, provider: str | None, start: datetime, end: datetime
    ) -> list[Run]:
        return [
            run
            for _, run in sorted(self.rows.items())
            if run.workspace_id == workspace_id
            and (not provider or run.provider == provider)
            and run.since < end
            and (run.until is None or run.until > start)
        ]


class FakeCostUnitOfWork(FakeUnitOfWork):
    @property
    def records(self) -> FakeCostRecords:
        return FakeCostRecords(self.table("cost_records"))

    @property
    def statuses(self) -> FakeCollectionStatuses:
        return FakeCollectionStatuses(self.table("collection_status"))

    @property
    def credentials(self) -> FakeCredentials:
        return FakeCredentials(self.table("known_credentials"))

    @property
    def inventory(self) -> FakeInventory:
        return FakeInventory(
            self.table("inventory_runs"),
            self.table("known_clusters"),
            self.table("known_node_groups"),
        )

    @property
    def budgets(self) -> FakeBudgets:
        return FakeBudgets(self.table("budgets"), self.table("cost_records"))

    @property
    def crossings(self) -> FakeCrossings:
        return FakeCrossings(self.table("budget_crossings"), self.table("budgets"))

    @property
    def prices(self) -> FakePriceCache:
        return FakePriceCache(
            self.table("prices"), self.table("price_refreshes"), self.table("known_credentials")
        )


def fake_uow_factory(db: FakeDatabase | None = None) -> tuple[FakeDatabase, Any]:
    shared = db if db is not None else FakeDatabase()
    return shared, lambda: FakeCostUnitOfWork(shared)
