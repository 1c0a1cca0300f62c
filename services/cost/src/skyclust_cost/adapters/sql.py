"""The repositories on PostgreSQL. Sums are taken by the database (one GROUP BY over the
workspace/day index, the daily totals or the monthly rollups of `rollups.py`), never by
loading rows into Python."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.periods import Scope
from ..domain.records import ESTIMATE, CostRow, CostWarning
from .db import (
    CollectionStatus,
    CostRecord,
    DailyTotal,
    KnownCluster,
    KnownCredential,
    KnownNodeGroup,
    NodeGroupRun,
)
from .repositories import Run
from .rollups import by_dimension, by_tag, reroll

# Postgres takes at most 65535 bound parameters a statement; 13 a row.
_UPSERT_BATCH = 2000
_KEY = [
    "workspace_id",
    "provider",
    "account",
    "day",
    "service",
    "region",
    "cluster_id",
    "node_group",
    "resource_type",
    "source",
]


def _values(workspace_id: uuid.UUID, row: CostRow) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "day": row.day,
        "provider": row.provider,
        "account": row.account,
        "service": row.service,
        "region": row.region,
        "cluster_id": row.cluster_id,
        "node_group": row.node_group,
        "resource_type": row.resource_type,
        "source": row.source,
        "tags": row.tags,
        "amount": row.amount,
        "currency": row.currency,
    }


def _totals_where(scope: Scope) -> list[ColumnElement[bool]]:
    conditions = [
        DailyTotal.workspace_id == scope.workspace_id,
        DailyTotal.day >= scope.start,
        DailyTotal.day <= scope.end,
        DailyTotal.resource_type.in_(sorted(scope.resource_types)),
    ]
    if scope.provider:
        conditions.append(DailyTotal.provider == scope.provider)
    return conditions


class SqlCostRecords:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _lock(self, workspace_id: uuid.UUID) -> None:
        # One writer of a workspace's rows at a time, so each recomputes the daily totals
        # from rows no concurrent transaction is still changing.
        await self.session.execute(
            select(func.pg_advisory_xact_lock(func.hashtextextended(str(workspace_id), 0)))
        )

    async def _retotal(
        self, workspace_id: uuid.UUID, providers: set[str], start: date, end: date | None
    ) -> None:
        """The daily totals of these providers' days from `start` (to `end`) again."""
        days = [DailyTotal.day >= start] + ([DailyTotal.day <= end] if end else [])
        await self.session.execute(
            delete(DailyTotal).where(
                DailyTotal.workspace_id == workspace_id,
                DailyTotal.provider.in_(sorted(providers)),
                *days,
            )
        )
        rows = [CostRecord.day >= start] + ([CostRecord.day <= end] if end else [])
        sums = (
            select(
                CostRecord.workspace_id,
                CostRecord.day,
                CostRecord.provider,
                CostRecord.resource_type,
                func.sum(CostRecord.amount),
            )
            .where(
                CostRecord.workspace_id == workspace_id,
                CostRecord.provider.in_(sorted(providers)),
                *rows,
            )
            .group_by(
                CostRecord.workspace_id,
                CostRecord.day,
                CostRecord.provider,
                CostRecord.resource_type,
            )
        )
        await self.session.execute(
            insert(DailyTotal).from_select(
                ["workspace_id", "day", "provider", "resource_type", "amount"], sums
            )
        )

    async def upsert(self, workspace_id: uuid.UUID, rows: Sequence[CostRow]) -> int:
        # Two rows of one key in one statement would make ON CONFLICT fail: the later wins.
        unique = list({row.key(): row for row in rows}.values())
        if not unique:
            return 0
        await self._lock(workspace_id)
        for i in range(0, len(unique), _UPSERT_BATCH):
            stmt = insert(CostRecord).values(
                [_values(workspace_id, row) for row in unique[i : i + _UPSERT_BATCH]]
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=_KEY,
                set_={
                    "amount": stmt.excluded.amount,
                    "tags": stmt.excluded.tags,
                    "currency": stmt.excluded.currency,
                    "collected_at": func.now(),
                },
            )
            await self.session.execute(stmt)
        days = [row.day for row in unique]
        providers = {row.provider for row in unique}
        await self._retotal(workspace_id, providers, min(days), max(days))
        await reroll(self.session, workspace_id, providers, min(days), max(days))
        return len(unique)

    async def replace_estimates(
        self, workspace_id: uuid.UUID, provider: str, start: date, rows: Sequence[CostRow]
    ) -> int:
        await self._lock(workspace_id)
        await self.session.execute(
            delete(CostRecord).where(
                CostRecord.workspace_id == workspace_id,
                CostRecord.provider == provider,
                CostRecord.source == ESTIMATE,
                CostRecord.day >= start,
            )
        )
        await self._retotal(workspace_id, {provider}, start, None)
        await reroll(self.session, workspace_id, {provider}, start, None)
        return await self.upsert(workspace_id, rows) if rows else 0

    async def daily(self, scope: Scope) -> list[tuple[date, str, Decimal]]:
        # From the daily totals: the same sums as over the rows, a few thousand a year.
        stmt = (
            select(DailyTotal.day, DailyTotal.provider, func.sum(DailyTotal.amount))
            .where(*_totals_where(scope))
            .group_by(DailyTotal.day, DailyTotal.provider)
            .order_by(DailyTotal.day, DailyTotal.provider)
        )
        return [(d, p, Decimal(a)) for d, p, a in (await self.session.execute(stmt)).all()]

    async def grouped(
        self, scope: Scope, dimension: str, tag: str | None
    ) -> list[tuple[str, Decimal]]:
        if dimension == "provider":
            # The daily totals hold it: a few thousand rows a year instead of every row.
            by = DailyTotal.provider.label("key")
            summed = func.sum(DailyTotal.amount).label("total")
            query = (
                select(by, summed)
                .where(*_totals_where(scope))
                .group_by(by)
                .order_by(summed.desc(), by)
            )
            return [(k, Decimal(a)) for k, a in (await self.session.execute(query)).all()]
        if dimension == "tag" and tag is not None:
            return await by_tag(self.session, scope, tag)
        return await by_dimension(self.session, scope, dimension)


class SqlCollectionStatuses:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self, workspace_id: uuid.UUID, provider: str, rows: int, warning: CostWarning | None
    ) -> None:
        values = {
            "ok": warning is None,
            "warning_code": warning.code if warning else None,
            "warning_message": warning.message if warning else None,
            "resource_type": warning.resource_type if warning else None,
            "rows": rows,
            "collected_at": func.now(),
        }
        stmt = insert(CollectionStatus).values(
            workspace_id=workspace_id, provider=provider, **values
        )
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=["workspace_id", "provider"], set_=values)
        )

    async def warnings(self, workspace_id: uuid.UUID, provider: str | None) -> list[CostWarning]:
        stmt = select(CollectionStatus).where(
            CollectionStatus.workspace_id == workspace_id, CollectionStatus.ok.is_(False)
        )
        if provider:
            stmt = stmt.where(CollectionStatus.provider == provider)
        rows = (await self.session.execute(stmt.order_by(CollectionStatus.provider))).scalars()
        return [
            CostWarning(
                r.warning_code or "", r.warning_message or "", r.provider, r.resource_type or "all"
            )
            for r in rows
        ]


class SqlCredentials:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def remember(
        self, workspace_id: uuid.UUID, credential_id: uuid.UUID, provider: str
    ) -> None:
        stmt = insert(KnownCredential).values(
            credential_id=credential_id, workspace_id=workspace_id, provider=provider
        )
        await self.session.execute(stmt.on_conflict_do_nothing())

    async def forget(self, credential_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(KnownCredential).where(KnownCredential.credential_id == credential_id)
        )

    async def of_workspace(self, workspace_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
        stmt = (
            select(KnownCredential.credential_id, KnownCredential.provider)
            .where(KnownCredential.workspace_id == workspace_id)
            .order_by(KnownCredential.provider, KnownCredential.credential_id)
        )
        return [(c, p) for c, p in (await self.session.execute(stmt)).all()]

    async def workspaces(self) -> list[uuid.UUID]:
        stmt = select(KnownCredential.workspace_id).distinct()
        return list((await self.session.execute(stmt)).scalars())


class SqlInventory:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def know_cluster(
        self, workspace_id: uuid.UUID, cluster_id: uuid.UUID, provider: str, region: str, name: str
    ) -> None:
        stmt = insert(KnownCluster).values(
            cluster_id=cluster_id,
            workspace_id=workspace_id,
            provider=provider,
            region=region,
            name=name,
        )
        await self.session.execute(stmt.on_conflict_do_nothing())

    async def cluster_region(self, cluster_id: uuid.UUID) -> str | None:
        stmt = select(KnownCluster.region).where(KnownCluster.cluster_id == cluster_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def know_node_group(
        self, cluster_id: uuid.UUID, node_group_id: str, instance_type: str
    ) -> None:
        stmt = insert(KnownNodeGroup).values(
            node_group_id=node_group_id, cluster_id=cluster_id, instance_type=instance_type
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["node_group_id"], set_={"instance_type": instance_type}
            )
        )

    async def instance_type(self, node_group_id: str) -> str | None:
        stmt = select(KnownNodeGroup.instance_type).where(
            KnownNodeGroup.node_group_id == node_group_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

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
        self.session.add(
            NodeGroupRun(
                workspace_id=workspace_id,
                cluster_id=cluster_id,
                node_group_id=node_group_id,
                node_group_name=node_group_name,
                provider=provider,
                region=region,
                instance_type=instance_type,
                count=count,
                since=since,
            )
        )
        await self.session.flush()

    async def close(
        self, cluster_id: uuid.UUID, node_group_id: str | None, until: datetime
    ) -> list[Run]:
        conditions = [NodeGroupRun.cluster_id == cluster_id, NodeGroupRun.until.is_(None)]
        if node_group_id is not None:
            conditions.append(NodeGroupRun.node_group_id == node_group_id)
        rows = list((await self.session.execute(select(NodeGroupRun).where(*conditions))).scalars())
        await self.session.execute(update(NodeGroupRun).where(*conditions).values(until=until))
        return list(rows)

    async def overlapping(
        self, workspace_id: uuid.UUID, provider: str | None, start: datetime, end: datetime
    ) -> list[Run]:
        stmt = select(NodeGroupRun).where(
            NodeGroupRun.workspace_id == workspace_id,
            NodeGroupRun.since < end,
            or_(NodeGroupRun.until.is_(None), NodeGroupRun.until > start),
        )
        if provider:
            stmt = stmt.where(and_(NodeGroupRun.provider == provider))
        return list((await self.session.execute(stmt.order_by(NodeGroupRun.id))).scalars())
