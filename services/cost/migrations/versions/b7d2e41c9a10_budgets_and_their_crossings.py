"""budgets and their crossings

Revision ID: b7d2e41c9a10
Revises: f09f1dcd3c7a
Create Date: 2026-12-04 01:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b7d2e41c9a10"
down_revision: str | None = "f09f1dcd3c7a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "budgets",
        sa.Column("budget_id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("scope_kind", sa.String(length=16), nullable=False),
        sa.Column("scope_value", sa.String(length=400), nullable=True),
        sa.Column("thresholds", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("fail_closed", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("budget_id", name=op.f("pk_budgets")),
        schema="cost",
    )
    op.create_index(
        op.f("ix_cost_budgets_workspace_id"), "budgets", ["workspace_id"], unique=False, schema="cost"
    )
    op.create_table(
        "budget_crossings",
        sa.Column("budget_id", sa.Uuid(), nullable=False),
        sa.Column("threshold", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period_key", sa.String(length=8), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["cost.budgets.budget_id"],
            name=op.f("fk_budget_crossings_budget_id_budgets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "budget_id", "threshold", "kind", "period_key", name=op.f("pk_budget_crossings")
        ),
        schema="cost",
    )


def downgrade() -> None:
    op.drop_table("budget_crossings", schema="cost")
    op.drop_index(op.f("ix_cost_budgets_workspace_id"), table_name="budgets", schema="cost")
    op.drop_table("budgets", schema="cost")
