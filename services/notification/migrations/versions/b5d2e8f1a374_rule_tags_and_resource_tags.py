"""rules filter by tags; the resources' tags as their events announce them

Revision ID: b5d2e8f1a374
Revises: 9c4e1b7d2f63
Create Date: 2026-12-04 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b5d2e8f1a374"
down_revision: str | None = "9c4e1b7d2f63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notification"


def upgrade() -> None:
    op.add_column(
        "rules",
        sa.Column(
            "tags",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "resource_tags",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.String(length=128), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("tags", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "resource_id", name=op.f("pk_resource_tags")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("resource_tags", schema=SCHEMA)
    op.drop_column("rules", "tags", schema=SCHEMA)
