"""The network service's tables and the queries on them."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Sequence
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
    and_,
    delete,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from skyclust_common.db import advisory_xact_lock, service_metadata

from ..domain.cidr import KnownNetwork, Sibling
from ..domain.model import Rule, SecurityGroupSpec, Status, SubnetSpec, VpcSpec

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


def counted() -> Any:
    """Rows the planner counts: anything that may hold address space in a cloud."""
    return and_(
        Vpc.status != Status.DELETED,
        or_(Vpc.status != Status.FAILED, Vpc.cloud_id.is_not(None)),
    )


async def lock_workspace_plan(session: AsyncSession, workspace_id: uuid.UUID) -> None:
    """Serialises check-then-insert of address space within a workspace, until commit."""
    await advisory_xact_lock(session, f"network-plan:{workspace_id}")


class Vpcs:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, workspace_id: uuid.UUID, vpc_id: uuid.UUID, *, for_update: bool = False
    ) -> Vpc | None:
        query = select(Vpc).where(Vpc.id == vpc_id, Vpc.workspace_id == workspace_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def live_by_name(
        self, workspace_id: uuid.UUID, provider: str, region: str, name: str
    ) -> Vpc | None:
        query = select(Vpc).where(
            Vpc.workspace_id == workspace_id,
            Vpc.provider == provider,
            Vpc.region == region,
            Vpc.name == name,
            Vpc.managed.is_(True),
            Vpc.status.not_in([Status.DELETED, Status.FAILED]),
        )
        return (await self.session.execute(query)).scalars().first()

    async def by_cloud_id(
        self, workspace_id: uuid.UUID, provider: str, credential_id: uuid.UUID, cloud_id: str
    ) -> Vpc | None:
        query = select(Vpc).where(
            Vpc.workspace_id == workspace_id,
            Vpc.provider == provider,
            Vpc.credential_id == credential_id,
            Vpc.cloud_id == cloud_id,
            Vpc.status != Status.DELETED,
        )
        return (await self.session.execute(query)).scalars().first()

    async def search(
        self,
        workspace_id: uuid.UUID,
        *,
        provider: str | None = None,
        region: str | None = None,
        credential_id: uuid.UUID | None = None,
        managed: bool | None = None,
    ) -> list[Vpc]:
        query = select(Vpc).where(Vpc.workspace_id == workspace_id, Vpc.status != Status.DELETED)
        if provider:
            query = query.where(Vpc.provider == provider)
        if region:
            query = query.where(Vpc.region == region)
        if credential_id:
            query = query.where(Vpc.credential_id == credential_id)
        if managed is not None:
            query = query.where(Vpc.managed.is_(managed))
        result = await self.session.execute(query.order_by(Vpc.created_at, Vpc.id))
        return list(result.scalars())

    async def planned(self, workspace_id: uuid.UUID, exclude: uuid.UUID | None = None) -> list[Vpc]:
        query = select(Vpc).where(Vpc.workspace_id == workspace_id, counted())
        if exclude is not None:
            query = query.where(Vpc.id != exclude)
        return list((await self.session.execute(query)).scalars())

    async def discoverable_scopes(self) -> list[tuple[uuid.UUID, str, uuid.UUID, str]]:
        """(workspace, provider, credential, region) of every network SkyClust knows."""
        query = (
            select(Vpc.workspace_id, Vpc.provider, Vpc.credential_id, Vpc.region)
            .where(Vpc.status != Status.DELETED)
            .distinct()
        )
        return [(r[0], r[1], r[2], r[3]) for r in (await self.session.execute(query)).all()]


class Subnets:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, workspace_id: uuid.UUID, subnet_id: uuid.UUID, *, for_update: bool = False
    ) -> Subnet | None:
        query = select(Subnet).where(Subnet.id == subnet_id, Subnet.workspace_id == workspace_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def of_vpc(self, vpc_id: uuid.UUID, *, live_only: bool = True) -> list[Subnet]:
        query = select(Subnet).where(Subnet.vpc_id == vpc_id)
        if live_only:
            query = query.where(Subnet.status != Status.DELETED)
        result = await self.session.execute(query.order_by(Subnet.created_at, Subnet.id))
        return list(result.scalars())

    async def siblings(self, vpc_id: uuid.UUID, exclude: uuid.UUID | None = None) -> list[Sibling]:
        query = select(Subnet).where(
            Subnet.vpc_id == vpc_id,
            Subnet.status != Status.DELETED,
            or_(Subnet.status != Status.FAILED, Subnet.cloud_id.is_not(None)),
        )
        if exclude is not None:
            query = query.where(Subnet.id != exclude)
        return [
            Sibling(str(s.id), s.name, ipaddress.IPv4Network(s.cidr_block))
            for s in (await self.session.execute(query)).scalars()
        ]

    async def by_cloud_ids(self, workspace_id: uuid.UUID, cloud_ids: Sequence[str]) -> list[Subnet]:
        if not cloud_ids:
            return []
        query = select(Subnet).where(
            Subnet.workspace_id == workspace_id,
            Subnet.cloud_id.in_(list(cloud_ids)),
            Subnet.status != Status.DELETED,
        )
        return list((await self.session.execute(query)).scalars())

    async def search(
        self,
        workspace_id: uuid.UUID,
        *,
        provider: str | None = None,
        vpc_id: uuid.UUID | None = None,
        region: str | None = None,
        credential_id: uuid.UUID | None = None,
    ) -> list[Subnet]:
        query = select(Subnet).where(
            Subnet.workspace_id == workspace_id, Subnet.status != Status.DELETED
        )
        if provider:
            query = query.where(Subnet.provider == provider)
        if vpc_id:
            query = query.where(Subnet.vpc_id == vpc_id)
        if region:
            query = query.where(Subnet.region == region)
        if credential_id:
            query = query.where(Subnet.credential_id == credential_id)
        result = await self.session.execute(query.order_by(Subnet.created_at, Subnet.id))
        return list(result.scalars())


class SecurityGroups:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, workspace_id: uuid.UUID, group_id: uuid.UUID, *, for_update: bool = False
    ) -> SecurityGroup | None:
        query = select(SecurityGroup).where(
            SecurityGroup.id == group_id, SecurityGroup.workspace_id == workspace_id
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def of_vpc(self, vpc_id: uuid.UUID) -> list[SecurityGroup]:
        query = select(SecurityGroup).where(
            SecurityGroup.vpc_id == vpc_id, SecurityGroup.status != Status.DELETED
        )
        result = await self.session.execute(query.order_by(SecurityGroup.created_at))
        return list(result.scalars())

    async def live_by_name(self, vpc_id: uuid.UUID, name: str) -> SecurityGroup | None:
        query = select(SecurityGroup).where(
            SecurityGroup.vpc_id == vpc_id,
            SecurityGroup.name == name,
            SecurityGroup.status.not_in([Status.DELETED, Status.FAILED]),
        )
        return (await self.session.execute(query)).scalars().first()

    async def rule_counts(self, vpc_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not vpc_ids:
            return {}
        query = (
            select(SecurityGroup.vpc_id, func.sum(func.jsonb_array_length(SecurityGroup.rules)))
            .where(SecurityGroup.vpc_id.in_(list(vpc_ids)), SecurityGroup.status != Status.DELETED)
            .group_by(SecurityGroup.vpc_id)
        )
        return {row[0]: int(row[1] or 0) for row in (await self.session.execute(query)).all()}

    async def search(
        self,
        workspace_id: uuid.UUID,
        *,
        provider: str | None = None,
        vpc_id: uuid.UUID | None = None,
        region: str | None = None,
        credential_id: uuid.UUID | None = None,
    ) -> list[SecurityGroup]:
        query = select(SecurityGroup).where(
            SecurityGroup.workspace_id == workspace_id, SecurityGroup.status != Status.DELETED
        )
        if provider:
            query = query.where(SecurityGroup.provider == provider)
        if vpc_id:
            query = query.where(SecurityGroup.vpc_id == vpc_id)
        if region:
            query = query.where(SecurityGroup.region == region)
        if credential_id:
            query = query.where(SecurityGroup.credential_id == credential_id)
        result = await self.session.execute(
            query.order_by(SecurityGroup.created_at, SecurityGroup.id)
        )
        return list(result.scalars())


class ClusterNetworks:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, cluster_id: uuid.UUID, *, for_update: bool = False
    ) -> ClusterNetwork | None:
        query = select(ClusterNetwork).where(ClusterNetwork.cluster_id == cluster_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()


class ClusterLinks:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_vpc(self, vpc_id: uuid.UUID) -> list[ClusterLink]:
        query = select(ClusterLink).where(ClusterLink.vpc_id == vpc_id)
        return list((await self.session.execute(query.order_by(ClusterLink.created_at))).scalars())

    async def link(
        self, workspace_id: uuid.UUID, cluster_id: uuid.UUID, vpc_id: uuid.UUID, name: str
    ) -> None:
        existing = await self.session.get(ClusterLink, (cluster_id, vpc_id))
        if existing is None:
            self.session.add(
                ClusterLink(
                    cluster_id=cluster_id,
                    vpc_id=vpc_id,
                    workspace_id=workspace_id,
                    cluster_name=name,
                )
            )

    async def unlink(self, cluster_id: uuid.UUID) -> None:
        await self.session.execute(delete(ClusterLink).where(ClusterLink.cluster_id == cluster_id))


class KnownCredentials:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def remember(
        self, workspace_id: uuid.UUID, credential_id: uuid.UUID, provider: str, region: str | None
    ) -> None:
        if await self.session.get(KnownCredential, credential_id) is None:
            self.session.add(
                KnownCredential(
                    credential_id=credential_id,
                    workspace_id=workspace_id,
                    provider=provider,
                    region=region,
                )
            )

    async def forget(self, credential_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(KnownCredential).where(KnownCredential.credential_id == credential_id)
        )

    async def all(self) -> list[KnownCredential]:
        return list((await self.session.execute(select(KnownCredential))).scalars())
