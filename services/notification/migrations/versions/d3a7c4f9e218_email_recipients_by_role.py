"""email channels' recipients by role

Revision ID: d3a7c4f9e218
Revises: b5d2e8f1a374
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d3a7c4f9e218"
down_revision: str | None = "b5d2e8f1a374"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notification"


def upgrade() -> None:
    op.add_column(
        "channels",
        sa.Column(
            "recipient_roles",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("channels", "recipient_roles", schema=SCHEMA)
