"""The network service's store in memory, for the unit lane: the repositories of
`repositories.py` over the per-transaction tables of `FakeUnitOfWork`, with the unique
indexes and advisory locks of the real schema, so handlers run on it as on PostgreSQL."""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from skyclust_common.contracts import ContractRegistry
from skyclust_common.fake_uow import FakeDatabase, FakeUnitOfWork

from ..domain.cidr import Sibling
from ..domain.errors import UniqueViolation
from ..domain.model import Status
from .db import ClusterLink, ClusterNetwork, KnownCredential, SecurityGroup, Subnet, Vpc
from .repositories import Filter

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_TICKS = itertools.count()
_GONE = (Status.DELETED, Status.FAILED)


def _stamp(row: Any) -> None:
    """What the database fills in: distinct, increasing creation times, so rows sort in
    the order they were added, as `ORDER BY created_at` does."""
    now = _EPOCH + timedelta(microseconds=next(_TICKS))
    if getattr(row, "created_at", None) is None:
        row.created_at = now
    if hasattr(type(row), "updated_at") and getattr(row, "updated_at", None) is None:
        row.updated_at = now


def _counted(row: Vpc | Subnet) -> bool:
    return row.status != Status.DELETED and (
        row.status != Status.FAILED or row.cloud_id is not None
    )


def _ordered(rows: Iterable[Any]) -> list[Any]:
    return sorted(rows, key=lambda r: (r.created_at, str(r.id)))


def _where(rows: Iterable[Any], **wanted: Any) -> Iterable[Any]:
    """Rows whose fields equal every wanted value."""
    return (r for r in rows if all(getattr(r, k) == v for k, v in wanted.items()))


@dataclass(eq=False)
class FakeNetworkDatabase(FakeDatabase):
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)


class _Table:
    def __init__(self, uow: FakeNetworkUnitOfWork, name: str) -> None:
        self._uow = uow
        self._name = name

    @property
    def rows(self) -> dict[Any, Any]:
        return self._uow.table(self._name)


class _Resources(_Table):
    """What networks, subnets and security groups are asked alike."""

    async def get(
        self, workspace_id: uuid.UUID, row_id: uuid.UUID, *, for_update: bool = False
    ) -> Any:
        row = self.rows.get(row_id)
        return row if row is not None and row.workspace_id == workspace_id else None

    async def search(self, workspace_id: uuid.UUID, where: Filter = Filter()) -> list[Any]:
        found = _where(self.rows.values(), workspace_id=workspace_id, **where.fields())
        return _ordered(r for r in found if r.status != Status.DELETED)

    def add(self, row: Any) -> None:
        _stamp(row)
        self.rows[row.id] = row


class FakeVpcs(_Resources):
    async def live_by_name(
        self, workspace_id: uuid.UUID, provider: str, region: str, name: str
    ) -> Vpc | None:
        found = _where(
            self.rows.values(),
            workspace_id=workspace_id,
            provider=provider,
            region=region,
            name=name,
        )
        return next((r for r in found if r.managed and r.status not in _GONE), None)

    async def planned(self, workspace_id: uuid.UUID, exclude: uuid.UUID | None = None) -> list[Vpc]:
        found = _where(self.rows.values(), workspace_id=workspace_id)
        return _ordered(r for r in found if _counted(r) and r.id != exclude)

    async def discoverable_scopes(self) -> list[tuple[uuid.UUID, str, uuid.UUID, str]]:
        scopes = {
            (r.workspace_id, r.provider, r.credential_id, r.region)
            for r in self.rows.values()
            if r.status != Status.DELETED
        }
        return sorted(scopes, key=str)


class _Members(_Resources):
    async def of_vpc(self, vpc_id: uuid.UUID) -> list[Any]:
        return _ordered(
            r for r in _where(self.rows.values(), vpc_id=vpc_id) if r.status != Status.DELETED
        )


class FakeSubnets(_Members):
    async def siblings(self, vpc_id: uuid.UUID, exclude: uuid.UUID | None = None) -> list[Sibling]:
        return [
            Sibling(str(s.id), s.name, ipaddress.IPv4Network(s.cidr_block))
            for s in _where(self.rows.values(), vpc_id=vpc_id)
            if _counted(s) and s.id != exclude
        ]

    async def by_cloud_ids(self, workspace_id: uuid.UUID, cloud_ids: Sequence[str]) -> list[Subnet]:
        wanted = set(cloud_ids)
        return [
            s
            for s in _where(self.rows.values(), workspace_id=workspace_id)
            if s.cloud_id in wanted and s.status != Status.DELETED
        ]


class FakeSecurityGroups(_Members):
    async def live_by_name(self, vpc_id: uuid.UUID, name: str) -> SecurityGroup | None:
        found = _where(self.rows.values(), vpc_id=vpc_id, name=name)
        return next((g for g in found if g.status not in _GONE), None)

    async def rule_counts(self, vpc_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        counts: dict[uuid.UUID, int] = {}
        for group in self.rows.values():
            if group.vpc_id in vpc_ids and group.status != Status.DELETED:
                counts[group.vpc_id] = counts.get(group.vpc_id, 0) + len(group.rules or [])
        return counts


class FakeClusterNetworks(_Table):
    async def get(
        self, cluster_id: uuid.UUID, *, for_update: bool = False
    ) -> ClusterNetwork | None:
        row: ClusterNetwork | None = self.rows.get(cluster_id)
        return row

    def add(self, row: ClusterNetwork) -> None:
        _stamp(row)
        self.rows[row.cluster_id] = row


class FakeClusterLinks(_Table):
    async def of_vpc(self, vpc_id: uuid.UUID) -> list[ClusterLink]:
        links = _where(self.rows.values(), vpc_id=vpc_id)
        return sorted(links, key=lambda link: link.created_at)

    async def link(
        self, workspace_id: uuid.UUID, cluster_id: uuid.UUID, vpc_id: uuid.UUID, name: str
    ) -> None:
        row = ClusterLink(
            cluster_id=cluster_id, vpc_id=vpc_id, workspace_id=workspace_id, cluster_name=name
        )
        _stamp(row)
        self.rows.setdefault((cluster_id, vpc_id), row)

    async def unlink(self, cluster_id: uuid.UUID) -> None:
        for key in [k for k in self.rows if k[0] == cluster_id]:
            del self.rows[key]


class FakeCredentials(_Table):
    async def remember(
        self, workspace_id: uuid.UUID, credential_id: uuid.UUID, provider: str, region: str | None
    ) -> None:
        row = KnownCredential(
            credential_id=credential_id, workspace_id=workspace_id, provider=provider, region=region
        )
        self.rows.setdefault(credential_id, row)

    async def forget(self, credential_id: uuid.UUID) -> None:
        self.rows.pop(credential_id, None)

    async def all(self) -> list[KnownCredential]:
        return list(self.rows.values())


# The partial unique indexes of the schema: a key per live row; two equal keys clash.
_UNIQUE: dict[str, list[Callable[[Any], tuple[Any, ...] | None]]] = {
    "vpcs": [
        lambda v: (
            (v.workspace_id, v.provider, v.region, v.name)
            if v.managed and v.status not in _GONE
            else None
        ),
        lambda v: (
            (v.workspace_id, v.provider, v.credential_id, v.cloud_id)
            if v.cloud_id is not None and v.status != Status.DELETED
            else None
        ),
    ],
    "subnets": [lambda s: (s.vpc_id, s.name) if s.status not in _GONE else None],
    "security_groups": [lambda g: (g.vpc_id, g.name) if g.status not in _GONE else None],
}


class FakeNetworkUnitOfWork(FakeUnitOfWork):
    def __init__(
        self, db: FakeNetworkDatabase | None = None, registry: ContractRegistry | None = None
    ) -> None:
        super().__init__(db if db is not None else FakeNetworkDatabase(), registry)
        self._held: list[asyncio.Lock] = []

    @property
    def vpcs(self) -> FakeVpcs:
        return FakeVpcs(self, "vpcs")

    @property
    def subnets(self) -> FakeSubnets:
        return FakeSubnets(self, "subnets")

    @property
    def security_groups(self) -> FakeSecurityGroups:
        return FakeSecurityGroups(self, "security_groups")

    @property
    def cluster_networks(self) -> FakeClusterNetworks:
        return FakeClusterNetworks(self, "cluster_networks")

    @property
    def cluster_links(self) -> FakeClusterLinks:
        return FakeClusterLinks(self, "cluster_links")

    @property
    def credentials(self) -> FakeCredentials:
        return FakeCredentials(self, "credentials")

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._release()
        await super().__aexit__(*exc)

    async def _lock(self, key: str) -> None:
        assert isinstance(self.db, FakeNetworkDatabase)
        lock = self.db.locks.setdefault(key, asyncio.Lock())
        await lock.acquire()
        self._held.append(lock)

    def _release(self) -> None:
        for lock in self._held:
            lock.release()
        self._held = []

    async def lock_plan(self, workspace_id: uuid.UUID) -> None:
        await self._lock(f"network-plan:{workspace_id}")

    async def lock_subnets(self, vpc_id: uuid.UUID) -> None:
        await self._lock(f"network-subnets:{vpc_id}")

    async def lock_cluster(self, cluster_id: uuid.UUID) -> None:
        await self._lock(f"cluster-network:{cluster_id}")

    async def flush(self) -> None:
        return None

    async def refresh(self, row: Any) -> None:
        return None

    def detach(self, row: Any) -> Any:
        return row

    async def commit(self) -> None:
        for table, keys in _UNIQUE.items():
            for key_of in keys:
                live = [k for k in map(key_of, self.table(table).values()) if k is not None]
                if len(live) != len(set(live)):
                    raise UniqueViolation()
        await super().commit()
        # Advisory transaction locks go with the transaction.
        self._release()
