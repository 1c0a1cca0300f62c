"""The budgets' tables: the budgets, and each crossing recorded under its unique key so
that a check running twice (or a redelivered message) cannot announce one twice."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Numeric, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base


class BudgetRow(Base):
    __tablename__ = "budgets"

    budget_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3))
    period: Mapped[str] = mapped_column(String(16))
    scope_kind: Mapped[str] = mapped_column(String(16))
    scope_value: Mapped[str | None] = mapped_column(String(400), nullable=True)
    # Percentages as decimal strings, so "80" stays "80" and not 80.0.
    thresholds: Mapped[list[str]] = mapped_column(JSONB)
    mode: Mapped[str] = mapped_column(String(16))
    fail_closed: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class BudgetCrossingRow(Base):
    """One (budget, threshold, kind, period) crossing. `open` is false once it recovered;
    crossing again reopens the same row, which is the only way it is announced again."""

    __tablename__ = "budget_crossings"

    budget_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cost.budgets.budget_id", ondelete="CASCADE"), primary_key=True
    )
    threshold: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    period_key: Mapped[str] = mapped_column(String(8), primary_key=True)
    open: Mapped[bool]
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
