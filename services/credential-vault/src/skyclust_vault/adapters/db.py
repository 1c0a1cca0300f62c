"""The vault's tables. They are queried only by the repositories in `repositories.py`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from skyclust_common.db import service_metadata

metadata = service_metadata("credential_vault")


class Base(DeclarativeBase):
    metadata = metadata


class Credential(Base):
    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_credentials_ws_name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(index=True)
    provider: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    masked: Mapped[dict[str, Any]] = mapped_column(JSONB)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    key_nonce: Mapped[bytes] = mapped_column(LargeBinary)
    key_version: Mapped[str] = mapped_column(String(32), index=True)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(16), server_default=text("'unverified'"))
    status_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status_message: Mapped[str | None] = mapped_column(String(300), nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_validated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class CredentialUser(Base):
    """A cluster or network using a credential, learnt from events. A row whose
    `released_at` is set is a tombstone: the resource is gone, and a late or redelivered
    "requested" event for it must not bring it back."""

    __tablename__ = "credential_users"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    resource_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    credential_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True, index=True)
    workspace_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    name: Mapped[str] = mapped_column(String(100))
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RetiredKey(Base):
    __tablename__ = "retired_key_versions"

    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    retired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    retired_by: Mapped[str | None] = mapped_column(String(128), nullable=True)


class KeyActivation(Base):
    """When each key version first became active somewhere. The most recent one is
    where the background rewrap moves credentials: an instance still running with an
    older active version (during a rolling restart) leaves the rewrap alone instead of
    moving credentials back."""

    __tablename__ = "key_activations"

    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    activated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
