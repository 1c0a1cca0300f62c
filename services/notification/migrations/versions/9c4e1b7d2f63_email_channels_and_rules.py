"""email channels, deliveries per recipient, notification rules, users' mutes

Revision ID: 9c4e1b7d2f63
Revises: 7a3d5e2c9b41
Create Date: 2026-12-04 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9c4e1b7d2f63"
down_revision: str | None = "7a3d5e2c9b41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notification"


def upgrade() -> None:
    op.add_column(
        "channels",
        sa.Column("type", sa.String(length=16), server_default=sa.text("'webhook'"), nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "channels",
        sa.Column(
            "recipients",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        schema=SCHEMA,
    )
    op.alter_column("channels", "url", existing_type=sa.String(length=2000), nullable=True, schema=SCHEMA)
    op.alter_column("channels", "secret", existing_type=sa.String(length=200), nullable=True, schema=SCHEMA)
    op.add_column(
        "deliveries",
        sa.Column("recipient", sa.String(length=320), server_default=sa.text("''"), nullable=False),
        schema=SCHEMA,
    )
    op.drop_index("uq_deliveries_channel_event", table_name="deliveries", schema=SCHEMA)
    op.create_index(
        "uq_deliveries_channel_event",
        "deliveries",
        ["channel_id", "event_id", "recipient"],
        unique=True,
        schema=SCHEMA,
    )
    op.create_table(
        "rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("event_types", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("min_severity", sa.String(length=16), nullable=False),
        sa.Column("resource_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("channel_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("in_app_roles", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("in_app_user_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules")),
        schema=SCHEMA,
    )
    op.create_index(op.f("ix_rules_workspace_id"), "rules", ["workspace_id"], schema=SCHEMA)
    op.create_table(
        "mutes",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("event_types", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "user_id", name=op.f("pk_mutes")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("mutes", schema=SCHEMA)
    op.drop_table("rules", schema=SCHEMA)
    op.drop_index("uq_deliveries_channel_event", table_name="deliveries", schema=SCHEMA)
    op.execute(f"DELETE FROM {SCHEMA}.deliveries WHERE recipient <> ''")
    op.create_index(
        "uq_deliveries_channel_event", "deliveries", ["channel_id", "event_id"], unique=True, schema=SCHEMA
    )
    op.drop_column("deliveries", "recipient", schema=SCHEMA)
    op.execute(f"DELETE FROM {SCHEMA}.channels WHERE type <> 'webhook'")
    op.alter_column("channels", "secret", existing_type=sa.String(length=200), nullable=False, schema=SCHEMA)
    op.alter_column("channels", "url", existing_type=sa.String(length=2000), nullable=False, schema=SCHEMA)
    op.drop_column("channels", "recipients", schema=SCHEMA)
    op.drop_column("channels", "type", schema=SCHEMA)
