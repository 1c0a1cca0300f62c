"""The budget repositories on PostgreSQL. A crossing is opened with one
INSERT .. ON CONFLICT .. WHERE NOT open RETURNING, so whichever of two concurrent checks
gets the row back is the one that announces it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.budgets import Budget, Scope
from .budget_db import BudgetCrossingRow, BudgetRow
from .budget_store import CrossingKey, StoredBudget
from .db import CostRecord


def _values(b: Budget) -> dict[str, object]:
    return {
        "workspace_id": uuid.UUID(b.workspace_id),
        "name": b.name,
        "amount": b.amount,
        "currency": b.currency,
        "period": b.period,
        "scope_kind": b.scope.kind,
        "scope_value": b.scope.value,
        "thresholds": [format(t.normalize(), "f") for t in b.thresholds],
        "mode": b.mode,
        "fail_closed": b.fail_closed,
    }


def _stored(row: BudgetRow) -> StoredBudget:
    budget = Budget(
        budget_id=str(row.budget_id),
        workspace_id=str(row.workspace_id),
        name=row.name,
        amount=row.amount,
        currency=row.currency,
        period=row.period,
        scope=Scope(row.scope_kind, row.scope_value),
        thresholds=tuple(Decimal(t) for t in row.thresholds),
        mode=row.mode,
        fail_closed=row.fail_closed,
    )
    return StoredBudget(budget, row.created_at, row.updated_at)


def _scope_filter(scope: Scope) -> list[ColumnElement[bool]]:
    if scope.kind == "provider":
        return [CostRecord.provider == scope.value]
    if scope.kind == "cluster":
        return [CostRecord.cluster_id == scope.value]
    if scope.kind == "tag":
        key, _, value = (scope.value or "").partition("=")
        return [CostRecord.tags[key].astext == value]
    return []


class SqlBudgets:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, budget: Budget) -> StoredBudget:
        row = BudgetRow(budget_id=uuid.UUID(budget.budget_id), **_values(budget))
        self.session.add(row)
        await self.session.flush()
        await self.session.refresh(row)
        return _stored(row)

    async def replace(self, budget: Budget) -> StoredBudget | None:
        row = (
            await self.session.execute(
                update(BudgetRow)
                .where(
                    BudgetRow.budget_id == uuid.UUID(budget.budget_id),
                    BudgetRow.workspace_id == uuid.UUID(budget.workspace_id),
                )
                .values(**_values(budget), updated_at=func.now())
                .returning(BudgetRow)
            )
        ).scalar_one_or_none()
        return _stored(row) if row is not None else None

    async def get(self, workspace_id: uuid.UUID, budget_id: uuid.UUID) -> StoredBudget | None:
        row = await self.session.scalar(
            select(BudgetRow).where(
                BudgetRow.budget_id == budget_id, BudgetRow.workspace_id == workspace_id
            )
        )
        return _stored(row) if row is not None else None

    async def of_workspace(self, workspace_id: uuid.UUID) -> list[StoredBudget]:
        rows = await self.session.scalars(
            select(BudgetRow)
            .where(BudgetRow.workspace_id == workspace_id)
            .order_by(BudgetRow.name, BudgetRow.budget_id)
        )
        return [_stored(r) for r in rows]

    async def all(self) -> list[StoredBudget]:
        rows = await self.session.scalars(select(BudgetRow).order_by(BudgetRow.budget_id))
        return [_stored(r) for r in rows]

    async def delete(self, workspace_id: uuid.UUID, budget_id: uuid.UUID) -> bool:
        gone = await self.session.execute(
            delete(BudgetRow)
            .where(BudgetRow.budget_id == budget_id, BudgetRow.workspace_id == workspace_id)
            .returning(BudgetRow.budget_id)
        )
        return gone.first() is not None

    async def daily_spend(
        self, workspace_id: uuid.UUID, scope: Scope, start: date, end: date
    ) -> list[tuple[date, Decimal]]:
        rows = await self.session.execute(
            select(CostRecord.day, func.sum(CostRecord.amount))
            .where(
                CostRecord.workspace_id == workspace_id,
                CostRecord.day >= start,
                CostRecord.day <= end,
                *_scope_filter(scope),
            )
            .group_by(CostRecord.day)
            .order_by(CostRecord.day)
        )
        return [(day, Decimal(amount)) for day, amount in rows]


def _key(row: BudgetCrossingRow) -> CrossingKey:
    return (str(row.budget_id), row.threshold, row.kind, row.period_key)


class SqlCrossings:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_keys(self, budget_id: str) -> list[CrossingKey]:
        rows = await self.session.scalars(
            select(BudgetCrossingRow).where(
                BudgetCrossingRow.budget_id == uuid.UUID(budget_id), BudgetCrossingRow.open
            )
        )
        return sorted(_key(r) for r in rows)

    async def open(self, keys: Sequence[CrossingKey]) -> list[CrossingKey]:
        if not keys:
            return []
        values = [
            {"budget_id": uuid.UUID(b), "threshold": t, "kind": k, "period_key": p, "open": True}
            for b, t, k, p in keys
        ]
        statement = (
            insert(BudgetCrossingRow)
            .values(values)
            .on_conflict_do_update(
                index_elements=["budget_id", "threshold", "kind", "period_key"],
                set_={"open": True, "changed_at": func.now()},
                where=BudgetCrossingRow.open.is_(False),
            )
            .returning(BudgetCrossingRow)
        )
        rows = await self.session.scalars(statement)
        return sorted(_key(r) for r in rows)

    async def close(self, keys: Sequence[CrossingKey]) -> list[CrossingKey]:
        if not keys:
            return []
        wanted = [(uuid.UUID(b), t, k, p) for b, t, k, p in keys]
        rows = await self.session.scalars(
            update(BudgetCrossingRow)
            .where(
                tuple_(
                    BudgetCrossingRow.budget_id,
                    BudgetCrossingRow.threshold,
                    BudgetCrossingRow.kind,
                    BudgetCrossingRow.period_key,
                ).in_(wanted),
                BudgetCrossingRow.open,
            )
            .values(open=False, changed_at=func.now())
            .returning(BudgetCrossingRow)
        )
        return sorted(_key(r) for r in rows)
