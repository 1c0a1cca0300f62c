"""The repositories on PostgreSQL: every query of the network service."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.cidr import Sibling
from ..domain.model import Status
from .db import ClusterLink, ClusterNetwork, KnownCredential, SecurityGroup, Subnet, Vpc
from .repositories import Filter

R = TypeVar("R", Vpc, Subnet, SecurityGroup)
M = TypeVar("M", Subnet, SecurityGroup)


def counted(model: type[Vpc] | type[Subnet]) -> Any:
    """Rows the planner counts: anything that may hold address space in a cloud."""
    return and_(
        model.status != Status.DELETED,
        or_(model.status != Status.FAILED, model.cloud_id.is_not(None)),
    )


class _Resources(Generic[R]):
    """What networks, subnets and security groups are asked alike."""

    model: type[R]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: R) -> None:
        self.session.add(row)

    async def get(
        self, workspace_id: uuid.UUID, row_id: uuid.UUID, *, for_update: bool = False
    ) -> R | None:
        model = self.model
        query = select(model).where(model.id == row_id, model.workspace_id == workspace_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def search(self, workspace_id: uuid.UUID, where: Filter = Filter()) -> list[R]:
        model = self.model
        query = select(model).where(
            model.workspace_id == workspace_id, model.status != Status.DELETED
        )
        for name, value in where.fields().items():
            query = query.where(getattr(model, name) == value)
        result = await self.session.execute(query.order_by(model.created_at, model.id))
        return list(result.scalars())

    async def _all(self, *conditions: Any) -> list[R]:
        model = self.model
        query = select(model).where(*conditions).order_by(model.created_at, model.id)
        return list((await self.session.execute(query)).scalars())


class Vpcs(_Resources[Vpc]):
    model = Vpc

    async def live_by_name(
        self, workspace_id: uuid.UUID, provider: str, region: str, name: str
    ) -> Vpc | None:
        found = await self._all(
            Vpc.workspace_id == workspace_id,
            Vpc.provider == provider,
            Vpc.region == region,
            Vpc.name == name,
            Vpc.managed.is_(True),
            Vpc.status.not_in([Status.DELETED, Status.FAILED]),
        )
        return found[0] if found else None

    async def planned(self, workspace_id: uuid.UUID, exclude: uuid.UUID | None = None) -> list[Vpc]:
        return await self._all(Vpc.workspace_id == workspace_id, counted(Vpc), Vpc.id != exclude)

    async def discoverable_scopes(self) -> list[tuple[uuid.UUID, str, uuid.UUID, str]]:
        query = (
            select(Vpc.workspace_id, Vpc.provider, Vpc.credential_id, Vpc.region)
            .where(Vpc.status != Status.DELETED)
            .distinct()
        )
        return [(r[0], r[1], r[2], r[3]) for r in (await self.session.execute(query)).all()]


class _Members(_Resources[M]):
    async def of_vpc(self, vpc_id: uuid.UUID) -> list[M]:
        model = self.model
        return await self._all(model.vpc_id == vpc_id, model.status != Status.DELETED)


class Subnets(_Members[Subnet]):
    model = Subnet

    async def siblings(self, vpc_id: uuid.UUID, exclude: uuid.UUID | None = None) -> list[Sibling]:
        rows = await self._all(Subnet.vpc_id == vpc_id, counted(Subnet), Subnet.id != exclude)
        return [Sibling(str(s.id), s.name, ipaddress.IPv4Network(s.cidr_block)) for s in rows]

    async def by_cloud_ids(self, workspace_id: uuid.UUID, cloud_ids: Sequence[str]) -> list[Subnet]:
        if not cloud_ids:
            return []
        return await self._all(
            Subnet.workspace_id == workspace_id,
            Subnet.cloud_id.in_(list(cloud_ids)),
            Subnet.status != Status.DELETED,
        )


class SecurityGroups(_Members[SecurityGroup]):
    model = SecurityGroup

    async def live_by_name(self, vpc_id: uuid.UUID, name: str) -> SecurityGroup | None:
        found = await self._all(
            SecurityGroup.vpc_id == vpc_id,
            SecurityGroup.name == name,
            SecurityGroup.status.not_in([Status.DELETED, Status.FAILED]),
        )
        return found[0] if found else None

    async def rule_counts(self, vpc_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not vpc_ids:
            return {}
        query = (
            select(SecurityGroup.vpc_id, func.sum(func.jsonb_array_length(SecurityGroup.rules)))
            .where(SecurityGroup.vpc_id.in_(list(vpc_ids)), SecurityGroup.status != Status.DELETED)
            .group_by(SecurityGroup.vpc_id)
        )
        return {row[0]: int(row[1] or 0) for row in (await self.session.execute(query)).all()}


async def _add_once(session: AsyncSession, row: Any, key: Any) -> None:
    """Insert `row` unless a row of its key is there already."""
    if await session.get(type(row), key) is None:
        session.add(row)


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
        row = ClusterLink(
            cluster_id=cluster_id, vpc_id=vpc_id, workspace_id=workspace_id, cluster_name=name
        )
        await _add_once(self.session, row, (cluster_id, vpc_id))

    async def unlink(self, cluster_id: uuid.UUID) -> None:
        await self.session.execute(delete(ClusterLink).where(ClusterLink.cluster_id == cluster_id))


class KnownCredentials:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def remember(
        self, workspace_id: uuid.UUID, credential_id: uuid.UUID, provider: str, region: str | None
    ) -> None:
        row = KnownCredential(
            credential_id=credential_id, workspace_id=workspace_id, provider=provider, region=region
        )
        await _add_once(self.session, row, credential_id)

    async def forget(self, credential_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(KnownCredential).where(KnownCredential.credential_id == credential_id)
        )

    async def all(self) -> list[KnownCredential]:
        return list((await self.session.execute(select(KnownCredential))).scalars())
