from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, LargeBinary, String, UniqueConstraint, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
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
    key_version: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Credentials:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, workspace_id: uuid.UUID, credential_id: uuid.UUID) -> Credential | None:
        result = await self.session.execute(
            select(Credential).where(
                Credential.id == credential_id, Credential.workspace_id == workspace_id
            )
        )
        return result.scalar_one_or_none()

    async def by_name(self, workspace_id: uuid.UUID, name: str) -> Credential | None:
        result = await self.session.execute(
            select(Credential).where(
                Credential.workspace_id == workspace_id, Credential.name == name
            )
        )
        return result.scalar_one_or_none()

    async def list(self, workspace_id: uuid.UUID) -> list[Credential]:
        result = await self.session.execute(
            select(Credential)
            .where(Credential.workspace_id == workspace_id)
            .order_by(Credential.created_at)
        )
        return list(result.scalars())
