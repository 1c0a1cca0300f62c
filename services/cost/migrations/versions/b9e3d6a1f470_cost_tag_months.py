"""cost tag months: the tag breakdown's monthly rollup

Revision ID: b9e3d6a1f470
Revises: a4f2c8d1e6b3
Create Date: 2026-12-04 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b9e3d6a1f470"
down_revision: str | None = "a4f2c8d1e6b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cost_tag_months",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("resource_type", sa.String(length=16), nullable=False),
        sa.Column("tag_key", sa.Text(), nullable=False),
        sa.Column("tag_value", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id",
            "month",
            "provider",
            "resource_type",
            "tag_key",
            "tag_value",
            name=op.f("pk_cost_tag_months"),
        ),
        schema="cost",
    )
    # The rows already stored, summed as the repository sums them (adapters/rollups.py).
    op.execute(
        "INSERT INTO cost.cost_tag_months "
        "(workspace_id, month, provider, resource_type, tag_key, tag_value, amount, row_count) "
        "SELECT r.workspace_id, date_trunc('month', r.day)::date, r.provider, r.resource_type, "
        "t.key, t.value, sum(r.amount), count(*) FROM cost.cost_records AS r "
        "CROSS JOIN LATERAL (SELECT '' AS key, '' AS value UNION ALL "
        "SELECT e.key, e.value FROM jsonb_each_text(r.tags) AS e "
        "WHERE e.key <> '' AND coalesce(e.value, '') <> '') AS t "
        "GROUP BY 1, 2, 3, 4, 5, 6"
    )


def downgrade() -> None:
    op.drop_table("cost_tag_months", schema="cost")
