"""What the budget use cases ask of the store, as protocols: `budget_sql.py` answers
them on PostgreSQL and `budget_fake.py` in memory."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from ..domain.budgets import Budget, Scope

CrossingKey = tuple[str, str, str, str]  # budget id, threshold, kind, period key


@dataclass(frozen=True)
class StoredBudget:
    budget: Budget
    created_at: datetime
    updated_at: datetime


class Budgets(Protocol):
    async def add(self, budget: Budget) -> StoredBudget: ...

    async def replace(self, budget: Budget) -> StoredBudget | None: ...

    async def get(self, workspace_id: uuid.UUID, budget_id: uuid.UUID) -> StoredBudget | None: ...

    async def of_workspace(self, workspace_id: uuid.UUID) -> list[StoredBudget]: ...

    async def all(self) -> list[StoredBudget]: ...

    async def delete(self, workspace_id: uuid.UUID, budget_id: uuid.UUID) -> bool: ...

    async def daily_spend(
        self, workspace_id: uuid.UUID, scope: Scope, start: date, end: date
    ) -> list[tuple[date, Decimal]]:
        """The scope's cost per day from `start` to `end` (both included), every
        resource type and source, as the cost summary counts them."""
        ...


class Crossings(Protocol):
    async def open_keys(self, budget_id: str) -> list[CrossingKey]: ...

    async def open(self, keys: Sequence[CrossingKey]) -> list[CrossingKey]:
        """Record the keys as crossed; answer those that were not open before (new, or
        reopened after a recovery). Two checks racing answer each key to one of them."""
        ...

    async def close(self, keys: Sequence[CrossingKey]) -> list[CrossingKey]:
        """Mark the keys recovered; answer those that were open."""
        ...
