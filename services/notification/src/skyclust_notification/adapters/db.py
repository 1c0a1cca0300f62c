"""The notification service's tables (SQLAlchemy Core: the repositories map rows to the
domain's frozen dataclasses)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, String, Table, Text, Uuid, func, text

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
