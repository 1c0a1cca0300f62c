"""The network service's tables. The queries on them are in `sql.py`, behind the
repositories of `repositories.py`."""

from __future__ import annotations

import ipaddress
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from skyclust_common.db import service_metadata

from ..domain.cidr import KnownNetwork
from ..domain.model import Rule, SecurityGroupSpec, SubnetSpec, VpcSpec

metadata = service_metadata("network")

_LIVE_NAME = text("status NOT IN ('DELETED', 'FAILED')")


class Base(DeclarativeBase):
    metadata = metadata


class _Lifecycle:
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    cloud_id: Mapped[str | None] = mapped_column(String(512), nullable=True)
    tags: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    cluster_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True, index=True)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Vpc(_Lifecycle, Base):
    __tablename__ = "vpcs"
    __table_args__ = (
        Index(
            "uq_vpcs_live_name",
            "workspace_id",
            "provider",
            "region",
            "name",
            unique=True,
            postgresql_where=text("managed AND status NOT IN ('DELETED', 'FAILED')"),
        ),
        # One row per cloud network: discovery and creation can never both add it.
        Index(
            "uq_vpcs_cloud_id",
            "workspace_id",
            "provider",
            "credential_id",
            "cloud_id",
            unique=True,
            postgresql_where=text("cloud_id IS NOT NULL AND status <> 'DELETED'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(index=True)
    provider: Mapped[str] = mapped_column(String(16))
    credential_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(64))
    cidr_block: Mapped[str | None] = mapped_column(String(43), nullable=True)
    # Every range the network holds (secondary blocks, a GCP network's subnet ranges):
    # what the planner counts.
    address_space: Mapped[list[str]] = mapped_column(JSONB, default=list)
    resource_group: Mapped[str | None] = mapped_column(String(90), nullable=True)
    managed: Mapped[bool] = mapped_column(Boolean, default=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_overlap: Mapped[bool] = mapped_column(Boolean, default=False)
    network_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    routing_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    mtu: Mapped[int | None] = mapped_column(Integer, nullable=True)
    auto_subnets: Mapped[bool | None] = mapped_column(Boolean, nullable=True)

    def spec(self) -> VpcSpec:
        return VpcSpec(
            vpc_id=str(self.id),
            workspace_id=str(self.workspace_id),
            provider=self.provider,
            name=self.name,
            region=self.region,
            cidr=self.cidr_block,
            tags=dict(self.tags or {}),
            resource_group=self.resource_group,
            routing_mode=self.routing_mode,
            mtu=self.mtu,
            cloud_id=self.cloud_id,
            cluster_id=str(self.cluster_id) if self.cluster_id else None,
        )

    def known(self) -> KnownNetwork:
        ranges = list(self.address_space or []) or ([self.cidr_block] if self.cidr_block else [])
        return KnownNetwork(
            id=str(self.id),
            name=self.name,
            provider=self.provider,
            region=self.region,
            cidrs=tuple(ipaddress.IPv4Network(r) for r in dict.fromkeys(ranges)),
            managed=self.managed,
        )


class Subnet(_Lifecycle, Base):
    __tablename__ = "subnets"
    __table_args__ = (
        Index("uq_subnets_live_name", "vpc_id", "name", unique=True, postgresql_where=_LIVE_NAME),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(index=True)
    vpc_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vpcs.id"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    credential_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(64))
    availability_zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cidr_block: Mapped[str] = mapped_column(String(43))
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)

    def spec(self) -> SubnetSpec:
        return SubnetSpec(
            subnet_id=str(self.id),
            name=self.name,
            cidr=self.cidr_block,
            region=self.region,
            zone=self.availability_zone,
            is_public=self.is_public,
            tags=dict(self.tags or {}),
            cloud_id=self.cloud_id,
            cluster_id=str(self.cluster_id) if self.cluster_id else None,
        )


class SecurityGroup(_Lifecycle, Base):
    __tablename__ = "security_groups"
    __table_args__ = (
        Index(
            "uq_security_groups_live_name",
            "vpc_id",
            "name",
            unique=True,
            postgresql_where=_LIVE_NAME,
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(index=True)
    vpc_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vpcs.id"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    credential_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(255), default="")
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)

    def spec(self) -> SecurityGroupSpec:
        return SecurityGroupSpec(
            group_id=str(self.id),
            name=self.name,
            description=self.description,
            rules=tuple(Rule.from_dict(r) for r in self.rules or []),
            tags=dict(self.tags or {}),
            cloud_id=self.cloud_id,
            cluster_id=str(self.cluster_id) if self.cluster_id else None,
        )


class ClusterNetwork(Base):
    """The network a cluster asked for: which request, what state, which network."""

    __tablename__ = "cluster_networks"

    cluster_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(index=True)
    request_id: Mapped[str] = mapped_column(String(128))
    provider: Mapped[str] = mapped_column(String(16))
    credential_id: Mapped[uuid.UUID]
    region: Mapped[str] = mapped_column(String(64))
    cluster_name: Mapped[str] = mapped_column(String(100))
    vpc_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    generated: Mapped[bool] = mapped_column(Boolean, default=True)
    # PROVISIONING, READY, COMPENSATING, FAILED, RELEASING, RELEASED
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ClusterLink(Base):
    """A cluster known to run in a network (from cluster events), so the network is not
    deleted from under it."""

    __tablename__ = "cluster_links"

    cluster_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    vpc_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(index=True)
    cluster_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class KnownCredential(Base):
    """A workspace's cloud credentials, learned from the vault's events: what periodic
    discovery looks through."""

    __tablename__ = "credentials"

    credential_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(index=True)
    provider: Mapped[str] = mapped_column(String(16))
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    discovered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
