from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, String, Text, func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from skyclust_common.db import service_metadata

from ..domain.cluster import ClusterSpec

metadata = service_metadata("provisioning")


class Base(DeclarativeBase):
    metadata = metadata


class Cluster(Base):
    __tablename__ = "clusters"
    __table_args__ = (
        # One live cluster of a name per workspace, provider and region.
        Index(
            "uq_clusters_live_name",
            "workspace_id",
            "provider",
            "region",
            "name",
            unique=True,
            postgresql_where=text("status NOT IN ('DELETED', 'FAILED')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(index=True)
    provider: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(64))
    credential_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    endpoint: Mapped[str | None] = mapped_column(String(512), nullable=True)
    cloud_id: Mapped[str | None] = mapped_column(String(512), nullable=True)
    tags: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    aws_config: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    gcp_config: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    azure_config: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    def spec(self) -> ClusterSpec:
        return ClusterSpec(
            cluster_id=str(self.id),
            workspace_id=str(self.workspace_id),
            provider=self.provider,
            name=self.name,
            version=self.version,
            region=self.region,
            credential_id=str(self.credential_id),
            tags=dict(self.tags or {}),
            aws_config=self.aws_config,
            gcp_config=self.gcp_config,
            azure_config=self.azure_config,
        )


class Clusters:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, workspace_id: uuid.UUID, cluster_id: uuid.UUID, *, for_update: bool = False
    ) -> Cluster | None:
        query = select(Cluster).where(
            Cluster.id == cluster_id, Cluster.workspace_id == workspace_id
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def live_by_name(
        self, workspace_id: uuid.UUID, provider: str, region: str, name: str
    ) -> Cluster | None:
        query = select(Cluster).where(
            Cluster.workspace_id == workspace_id,
            Cluster.provider == provider,
            Cluster.region == region,
            Cluster.name == name,
            Cluster.status.not_in(["DELETED", "FAILED"]),
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def list(self, workspace_id: uuid.UUID, provider: str | None) -> list[Cluster]:
        query = select(Cluster).where(
            Cluster.workspace_id == workspace_id, Cluster.status != "DELETED"
        )
        if provider:
            query = query.where(Cluster.provider == provider)
        return list((await self.session.execute(query.order_by(Cluster.created_at))).scalars())
