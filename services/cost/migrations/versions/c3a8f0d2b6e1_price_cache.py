"""price cache

Revision ID: c3a8f0d2b6e1
Revises: b7d2e41c9a10
Create Date: 2026-12-04 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3a8f0d2b6e1"
down_revision: str | None = "b7d2e41c9a10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prices",
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("hourly", sa.Numeric(precision=18, scale=10), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", "kind", "name", "region", name=op.f("pk_prices")),
        schema="cost",
    )
    op.create_table(
        "price_refreshes",
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("warning_code", sa.String(length=64), nullable=True),
        sa.Column("warning_message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("provider", name=op.f("pk_price_refreshes")),
        schema="cost",
    )


def downgrade() -> None:
    op.drop_table("price_refreshes", schema="cost")
    op.drop_table("prices", schema="cost")
