"""The notification service's tables (SQLAlchemy Core: the repositories map rows to the
domain's frozen dataclasses)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from skyclust_common.db import service_metadata

metadata = service_metadata("notification")

notifications = Table(
    "notifications",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("workspace_id", Uuid(), nullable=False),
    Column("user_id", Uuid(), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("event_id", String(128), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text(), nullable=False),
    Column("resource_type", String(64), nullable=True),
    Column("resource_id", String(128), nullable=True),
    Column("link", String(500), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("read_at", DateTime(timezone=True), nullable=True),
    # One notification per user and event, whatever redelivers the event.
    Index("uq_notifications_user_event", "user_id", "event_id", unique=True),
    # The inbox listing, newest first.
    Index("ix_notifications_inbox", "workspace_id", "user_id", "created_at", "id"),
    Index(
        "ix_notifications_unread",
        "workspace_id",
        "user_id",
        postgresql_where=text("read_at IS NULL"),
    ),
)

channels = Table(
    "channels",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("workspace_id", Uuid(), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("type", String(16), nullable=False, server_default=text("'webhook'")),
    # An email channel has no URL and no secret.
    Column("url", String(2000), nullable=True),
    Column("recipients", JSONB(), nullable=False, server_default=text("'[]'::jsonb")),
    Column("recipient_roles", JSONB(), nullable=False, server_default=text("'[]'::jsonb")),
    Column("event_types", JSONB(), nullable=False),
    Column("secret", String(200), nullable=True),
    Column("previous_secret", String(200), nullable=True),
    Column("previous_until", DateTime(timezone=True), nullable=True),
    Column("enabled", Boolean(), nullable=False, server_default=text("true")),
    Column("disabled_reason", String(200), nullable=True),
    Column("failing_since", DateTime(timezone=True), nullable=True),
    Column("created_by", Uuid(), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("channel_id", Uuid(), ForeignKey(channels.c.id, ondelete="CASCADE"), nullable=False),
    Column("workspace_id", Uuid(), nullable=False),
    Column("event_id", String(128), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("payload", Text(), nullable=False),
    Column("status", String(16), nullable=False),
    # Every attempt: time, response code, latency, error.
    Column("attempts", JSONB(), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    # The address of an email channel's delivery; '' for a webhook's.
    Column("recipient", String(320), nullable=False, server_default=text("''")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # One delivery per channel, event and recipient, whatever redelivers the event.
    Index("uq_deliveries_channel_event", "channel_id", "event_id", "recipient", unique=True),
    Index("ix_deliveries_log", "channel_id", "created_at"),
    Index(
        "ix_deliveries_due",
        "next_attempt_at",
        postgresql_where=text("status = 'pending'"),
    ),
)

rules = Table(
    "rules",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("workspace_id", Uuid(), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("event_types", JSONB(), nullable=False),
    Column("min_severity", String(16), nullable=False),
    Column("resource_ids", JSONB(), nullable=False),
    Column("channel_ids", JSONB(), nullable=False),
    Column("in_app_roles", JSONB(), nullable=False),
    Column("in_app_user_ids", JSONB(), nullable=False),
    Column("enabled", Boolean(), nullable=False, server_default=text("true")),
    Column("created_by", Uuid(), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("tags", JSONB(), nullable=False, server_default=text("'{}'::jsonb")),
)

# The tags each resource last announced (ClusterRequested, VpcUpdated, ...), for rules
# that filter by tag: the events that notify mostly carry none.
resource_tags = Table(
    "resource_tags",
    metadata,
    Column("workspace_id", Uuid(), primary_key=True),
    Column("resource_id", String(128), primary_key=True),
    Column("resource_type", String(32), nullable=False),
    Column("tags", JSONB(), nullable=False),
    # The announcing event's time: an older one redelivered late does not win.
    Column("as_of", DateTime(timezone=True), nullable=False),
)

# The event types each user has muted in-app, per workspace.
mutes = Table(
    "mutes",
    metadata,
    Column("workspace_id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), primary_key=True),
    Column("event_types", JSONB(), nullable=False),
)
