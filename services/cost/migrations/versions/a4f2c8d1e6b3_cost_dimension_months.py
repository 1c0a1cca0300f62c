"""cost dimension months: the breakdowns' monthly rollup

Revision ID: a4f2c8d1e6b3
Revises: e7c4a9b2d815
Create Date: 2026-12-04 04:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a4f2c8d1e6b3"
down_revision: str | None = "e7c4a9b2d815"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cost_dimension_months",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("resource_type", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=6), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id",
            "dimension",
            "month",
            "provider",
            "resource_type",
            "key",
            name=op.f("pk_cost_dimension_months"),
        ),
        schema="cost",
    )
    # The rows already stored, summed as the repository sums them (adapters/sql.py).
    op.execute(
        "INSERT INTO cost.cost_dimension_months "
        "(workspace_id, dimension, month, provider, resource_type, key, amount) "
        "SELECT r.workspace_id, d.dimension, date_trunc('month', r.day)::date, r.provider, "
        "r.resource_type, d.key, sum(r.amount) FROM cost.cost_records AS r "
        "CROSS JOIN LATERAL (VALUES ('service', r.service), ('region', r.region), "
        "('cluster', r.cluster_id), ('node_group', r.node_group)) AS d(dimension, key) "
        "GROUP BY 1, 2, 3, 4, 5, 6"
    )


def downgrade() -> None:
    op.drop_table("cost_dimension_months", schema="cost")
