"""cost records index covering the breakdowns

Revision ID: e7c4a9b2d815
Revises: d5b1e7a3c920
Create Date: 2026-12-04 03:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e7c4a9b2d815"
down_revision: str | None = "d5b1e7a3c920"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ["provider", "resource_type", "amount"]
AFTER = [*BEFORE, "service", "region", "cluster_id", "node_group"]


def _index(include: list[str]) -> None:
    op.drop_index("ix_cost_records_workspace_day", table_name="cost_records", schema="cost")
    op.create_index(
        "ix_cost_records_workspace_day",
        "cost_records",
        ["workspace_id", "day"],
        unique=False,
        schema="cost",
        postgresql_include=include,
    )


def upgrade() -> None:
    _index(AFTER)


def downgrade() -> None:
    _index(BEFORE)
