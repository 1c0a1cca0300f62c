"""The repositories on PostgreSQL: every query of the network service."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.cidr import Sibling
from ..domain.model import Status
from .db import ClusterLink, ClusterNetwork, KnownCredential, SecurityGroup, Subnet, Vpc


def counted() -> Any:
    """Rows the planner counts: anything that may hold address space in a cloud."""
    return and_(
        Vpc.status != Status.DELETED,
        or_(Vpc.status != Status.FAILED, Vpc.cloud_id.is_not(None)),
    )


class Vpcs:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, vpc: Vpc) -> None:
        self.session.add(vpc)

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

    def add(self, subnet: Subnet) -> None:
        self.session.add(subnet)

    async def get(
        self, workspace_id: uuid.UUID, subnet_id: uuid.UUID, *, for_update: bool = False
    ) -> Subnet | None:
        query = select(Subnet).where(Subnet.id == subnet_id, Subnet.workspace_id == workspace_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def of_vpc(self, vpc_id: uuid.UUID) -> list[Subnet]:
        query = select(Subnet).where(Subnet.vpc_id == vpc_id, Subnet.status != Status.DELETED)
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

    def add(self, group: SecurityGroup) -> None:
        self.session.add(group)

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

    def add(self, row: ClusterNetwork) -> None:
        self.session.add(row)

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
