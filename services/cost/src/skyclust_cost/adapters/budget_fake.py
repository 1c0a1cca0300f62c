"""The budget repositories in memory, over the fake unit of work's per-transaction
tables, with the real tables' keys."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ..domain.budgets import Budget, Scope
from .budget_store import CrossingKey, StoredBudget


class FakeBudgets:
    def __init__(self, rows: dict[Any, Any], cost_rows: dict[Any, Any]) -> None:
        self.rows = rows
        self.cost_rows = cost_rows

    async def add(self, budget: Budget) -> StoredBudget:
        now = datetime.now(UTC)
        stored = StoredBudget(budget, now, now)
        self.rows[budget.budget_id] = stored
        return stored

    async def replace(self, budget: Budget) -> StoredBudget | None:
        old = self.rows.get(budget.budget_id)
        if old is None or old.budget.workspace_id != budget.workspace_id:
            return None
        self.rows[budget.budget_id] = replace(old, budget=budget, updated_at=datetime.now(UTC))
        return self.rows[budget.budget_id]

    async def get(self, workspace_id: uuid.UUID, budget_id: uuid.UUID) -> StoredBudget | None:
        found = self.rows.get(str(budget_id))
        if found is None or found.budget.workspace_id != str(workspace_id):
            return None
        return found

    async def of_workspace(self, workspace_id: uuid.UUID) -> list[StoredBudget]:
        mine = [s for s in self.rows.values() if s.budget.workspace_id == str(workspace_id)]
        return sorted(mine, key=lambda s: (s.budget.name, s.budget.budget_id))

    async def all(self) -> list[StoredBudget]:
        return [self.rows[k] for k in sorted(self.rows)]

    async def delete(self, workspace_id: uuid.UUID, budget_id: uuid.UUID) -> bool:
        if await self.get(workspace_id, budget_id) is None:
            return False
        del self.rows[str(budget_id)]
        return True

    async def daily_spend(
        self, workspace_id: uuid.UUID, scope: Scope, start: date, end: date
    ) -> list[tuple[date, Decimal]]:
        sums: dict[date, Decimal] = defaultdict(Decimal)
        for key, row in self.cost_rows.items():
            if key[0] != workspace_id or not start <= row.day <= end:
                continue
            if scope.covers(row.provider, row.cluster_id, row.tags):
                sums[row.day] += row.amount
        return sorted(sums.items())


class FakeCrossings:
    def __init__(self, rows: dict[Any, Any], budgets: dict[Any, Any]) -> None:
        self.rows = rows  # key -> open
        self.budgets = budgets

    async def open_keys(self, budget_id: str) -> list[CrossingKey]:
        return sorted(k for k, is_open in self.rows.items() if k[0] == budget_id and is_open)

    async def open(self, keys: Sequence[CrossingKey]) -> list[CrossingKey]:
        opened = []
        for key in keys:
            if key[0] not in self.budgets:
                raise LookupError(f"crossing of unknown budget {key[0]}")
            if not self.rows.get(key, False):
                self.rows[key] = True
                opened.append(key)
        return sorted(opened)

    async def close(self, keys: Sequence[CrossingKey]) -> list[CrossingKey]:
        closed = []
        for key in keys:
            if self.rows.get(key, False):
                self.rows[key] = False
                closed.append(key)
        return sorted(closed)
