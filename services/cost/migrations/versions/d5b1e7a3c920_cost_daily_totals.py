"""cost daily totals

Revision ID: d5b1e7a3c920
Revises: c3a8f0d2b6e1
Create Date: 2026-12-04 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d5b1e7a3c920"
down_revision: str | None = "c3a8f0d2b6e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cost_daily_totals",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("resource_type", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "day", "provider", "resource_type", name=op.f("pk_cost_daily_totals")
        ),
        schema="cost",
    )
    # The rows already stored.
    op.execute(
        "INSERT INTO cost.cost_daily_totals (workspace_id, day, provider, resource_type, amount) "
        "SELECT workspace_id, day, provider, resource_type, sum(amount) FROM cost.cost_records "
        "GROUP BY workspace_id, day, provider, resource_type"
    )


def downgrade() -> None:
    op.drop_table("cost_daily_totals", schema="cost")
