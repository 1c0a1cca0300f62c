from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from skyclust_common.db import advisory_xact_lock, service_metadata

from ..domain import conditions
from ..domain.budgets import FailClosedBudget, KnownBudgetState
from ..domain.cluster import ClusterSpec, Status
from ..domain.errors import NameTaken
from ..domain.node_group import NodeGroupSpec, taints_from

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
    # NetworkReady, ControlPlaneReady, NodeGroupsReady, Drifted (domain/conditions.py)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    # The saga: the step running now, how far along, and when the step must be done by.
    step: Mapped[str | None] = mapped_column(String(32), nullable=True)
    progress: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    step_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # What the user asked for ({"vpc_id", "subnet_ids"}), what the network service gave
    # (domain.cluster.ClusterSpec.network plus vpc_id and generated), and where that
    # exchange stands: requested, ready, releasing, released; None when the provider
    # config names the network and the network service is not involved.
    network_request: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    network: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    network_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Why a create is being rolled back: {code, message, retryable, operation}.
    failure: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    target_version: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # False for a cluster adopted read-only.
    managed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    drift: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    drift_checked_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    drift_failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    drift_next_check_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The W3C traceparent of the last work that moved the saga (the request that started
    # the operation, then each step): a run the sweep resumes continues that trace.
    traceparent: Mapped[str | None] = mapped_column(String(55), nullable=True)
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
            network=cloud_network(self.network),
        )


def cloud_network(network: dict[str, Any] | None) -> dict[str, Any] | None:
    """The part of the stored network a cloud adapter needs."""
    if not network:
        return None
    keys = ("vpc_cloud_id", "resource_group", "subnet_cloud_ids", "security_group_cloud_ids")
    return {k: network.get(k) for k in keys}


class _Rows:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def refresh(self, row: Base) -> None:
        """Read back what the database sets itself (created_at, updated_at), as this
        transaction wrote it: before the commit, so that no other transaction's later
        change shows. NameTaken when writing it meets a live name."""
        try:
            await self.session.flush()  # a refresh alone would drop unflushed changes
        except IntegrityError:
            raise NameTaken from None
        await self.session.refresh(row)

    def detach(self, *rows: Base) -> None:
        """Keep the rows usable after the transaction ends (its closing rollback would
        expire them)."""
        for row in rows:
            self.session.expunge(row)


UNFINISHED = (Status.PENDING, Status.PROVISIONING, Status.UPDATING, Status.DELETING)


class Clusters(_Rows):
    async def add(self, cluster: Cluster) -> None:
        """Insert now, so its node groups can refer to it; NameTaken when a live
        cluster of its name exists."""
        self.session.add(cluster)
        try:
            await self.session.flush()
        except IntegrityError:
            raise NameTaken from None

    async def try_saga_lock(self, cluster_id: str) -> bool:
        """The lock of the cluster's saga run, for the rest of this transaction; False
        when another run holds it."""
        return await advisory_xact_lock(self.session, f"cluster-saga:{cluster_id}", wait=False)

    async def unfinished_since(
        self, cutoff: datetime, limit: int
    ) -> list[tuple[uuid.UUID, uuid.UUID, str | None]]:
        """(workspace_id, id, traceparent) of clusters mid-saga and untouched since
        `cutoff`, the longest untouched first."""
        query = (
            select(Cluster.workspace_id, Cluster.id, Cluster.traceparent)
            .where(Cluster.status.in_(list(UNFINISHED)), Cluster.updated_at < cutoff)
            .order_by(Cluster.updated_at)
            .limit(limit)
        )
        return [(w, c, t) for w, c, t in (await self.session.execute(query)).all()]

    async def due_for_drift(self, now: datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(workspace_id, id) of READY managed clusters whose drift check is due."""
        query = (
            select(Cluster.workspace_id, Cluster.id)
            .where(
                Cluster.status == Status.READY,
                Cluster.managed.is_(True),
                or_(Cluster.drift_next_check_at.is_(None), Cluster.drift_next_check_at <= now),
            )
            .order_by(Cluster.drift_next_check_at.nulls_first())
            .limit(limit)
        )
        return [(w, c) for w, c in (await self.session.execute(query)).all()]

    async def tracked_cloud_ids(self, workspace_id: uuid.UUID) -> dict[str, uuid.UUID]:
        """The cloud id of each cluster the workspace tracks, to its id."""
        query = select(Cluster.cloud_id, Cluster.id).where(
            Cluster.workspace_id == workspace_id,
            Cluster.status != Status.DELETED,
            Cluster.cloud_id.is_not(None),
        )
        rows = (await self.session.execute(query)).all()
        return {cloud_id: cid for cloud_id, cid in rows if cloud_id is not None}

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

    async def ready_counts(self) -> dict[tuple[str, str], int]:
        """READY clusters by (provider, region), every workspace's: the gauge's count."""
        query = (
            select(Cluster.provider, Cluster.region, func.count())
            .where(Cluster.status == Status.READY)
            .group_by(Cluster.provider, Cluster.region)
        )
        return {(p, r): n for p, r, n in (await self.session.execute(query)).all()}

    async def list(self, workspace_id: uuid.UUID, provider: str | None) -> list[ClusterFields]:
        """The workspace's live clusters, oldest first, as read-only rows of the columns a
        view shows. A listing builds no ORM objects and its statement is built once: the
        ORM's loading and the statement's construction were about half of what an uncached
        `ListClusters` cost provisioning."""
        statement = _LIST_BY_PROVIDER if provider else _LIST
        params = {"workspace_id": workspace_id, "provider": provider}
        return cast(list[ClusterFields], (await self.session.execute(statement, params)).all())


class ClusterFields(Protocol):
    """What a cluster's view is made of: a `Cluster`, or a row of a listing."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def workspace_id(self) -> uuid.UUID: ...
    @property
    def provider(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def credential_id(self) -> uuid.UUID: ...
    @property
    def status(self) -> str: ...
    @property
    def status_reason(self) -> str | None: ...
    @property
    def status_message(self) -> str | None: ...
    @property
    def endpoint(self) -> str | None: ...
    @property
    def cloud_id(self) -> str | None: ...
    @property
    def tags(self) -> dict[str, str]: ...
    @property
    def aws_config(self) -> dict[str, Any] | None: ...
    @property
    def gcp_config(self) -> dict[str, Any] | None: ...
    @property
    def azure_config(self) -> dict[str, Any] | None: ...
    @property
    def conditions(self) -> list[dict[str, Any]]: ...
    @property
    def step(self) -> str | None: ...
    @property
    def progress(self) -> int: ...
    @property
    def network(self) -> dict[str, Any] | None: ...
    @property
    def managed(self) -> bool: ...
    @property
    def target_version(self) -> str | None: ...
    @property
    def drift(self) -> list[dict[str, Any]]: ...
    @property
    def drift_checked_at(self) -> datetime | None: ...
    @property
    def created_by(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


# The columns of ClusterFields, in its order.
VIEWED_COLUMNS = tuple(
    name for name, value in vars(ClusterFields).items() if isinstance(value, property)
)


def _listing(by_provider: bool) -> Select[Any]:
    table = Cluster.__table__.c
    query = select(*(table[name] for name in VIEWED_COLUMNS)).where(
        table.workspace_id == bindparam("workspace_id"), table.status != Status.DELETED
    )
    if by_provider:
        query = query.where(table.provider == bindparam("provider"))
    return query.order_by(table.created_at)


_LIST = _listing(by_provider=False)
_LIST_BY_PROVIDER = _listing(by_provider=True)


class NodeGroup(Base):
    __tablename__ = "node_groups"
    __table_args__ = (
        # One live node group of a name per cluster.
        Index(
            "uq_node_groups_live_name",
            "cluster_id",
            "name",
            unique=True,
            postgresql_where=text("status NOT IN ('DELETED', 'FAILED')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(index=True)
    cluster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clusters.id"), index=True)
    name: Mapped[str] = mapped_column(String(63))
    instance_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    min_size: Mapped[int] = mapped_column(Integer)
    max_size: Mapped[int] = mapped_column(Integer)
    desired_size: Mapped[int] = mapped_column(Integer)
    labels: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    taints: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    cloud_id: Mapped[str | None] = mapped_column(String(512), nullable=True)
    # The nodes' Kubernetes version as last seen (None: the cluster's).
    version: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    def spec(self) -> NodeGroupSpec:
        return NodeGroupSpec(
            node_group_id=str(self.id),
            cluster_id=str(self.cluster_id),
            name=self.name,
            instance_type=self.instance_type,
            min_size=self.min_size,
            max_size=self.max_size,
            desired_size=self.desired_size,
            labels=dict(self.labels or {}),
            taints=taints_from(self.taints),
        )


class NodeGroups(_Rows):
    def add(self, group: NodeGroup) -> None:
        self.session.add(group)

    async def refresh_conditions(self, workspace_id: uuid.UUID, cluster_id: uuid.UUID) -> None:
        """NodeGroupsReady follows every change of a node group's status, in the same
        transaction (node group row locked first, then the cluster's)."""
        cluster = await Clusters(self.session).get(workspace_id, cluster_id, for_update=True)
        if cluster is None:
            return
        groups = await self.list(workspace_id, cluster_id)
        cluster.conditions = conditions.for_node_groups(
            cluster.conditions, [(g.name, g.status) for g in groups], datetime.now(UTC)
        )

    async def get(
        self,
        workspace_id: uuid.UUID,
        cluster_id: uuid.UUID,
        node_group_id: uuid.UUID,
        *,
        for_update: bool = False,
    ) -> NodeGroup | None:
        query = select(NodeGroup).where(
            NodeGroup.id == node_group_id,
            NodeGroup.cluster_id == cluster_id,
            NodeGroup.workspace_id == workspace_id,
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def live_by_name(self, cluster_id: uuid.UUID, name: str) -> NodeGroup | None:
        query = select(NodeGroup).where(
            NodeGroup.cluster_id == cluster_id,
            NodeGroup.name == name,
            NodeGroup.status.not_in(["DELETED", "FAILED"]),
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def list(self, workspace_id: uuid.UUID, cluster_id: uuid.UUID) -> list[NodeGroup]:
        query = select(NodeGroup).where(
            NodeGroup.workspace_id == workspace_id,
            NodeGroup.cluster_id == cluster_id,
            NodeGroup.status != "DELETED",
        )
        return list((await self.session.execute(query.order_by(NodeGroup.created_at))).scalars())


class KnownBudget(Base):
    """The last BudgetChanged of each budget: what the guardrail decides with while the
    cost service cannot be asked (which budgets fail closed, and what they cover)."""

    __tablename__ = "known_budgets"

    budget_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(16))
    scope_value: Mapped[str | None] = mapped_column(String(320))
    fail_closed: Mapped[bool] = mapped_column(Boolean)
    deleted: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class KnownBudgets(_Rows):
    async def record(self, budget: KnownBudgetState) -> None:
        """Keep `budget` unless a later change of it is already kept (a redelivered or
        reordered event changes nothing)."""
        values = budget.as_row()
        stmt = insert(KnownBudget).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[KnownBudget.budget_id],
            set_={k: stmt.excluded[k] for k in values if k != "budget_id"},
            where=KnownBudget.changed_at <= stmt.excluded.changed_at,
        )
        await self.session.execute(stmt)

    async def fail_closed(self, workspace_id: uuid.UUID) -> list[FailClosedBudget]:
        query = select(KnownBudget).where(
            KnownBudget.workspace_id == workspace_id,
            KnownBudget.fail_closed.is_(True),
            KnownBudget.deleted.is_(False),
        )
        rows = (await self.session.execute(query.order_by(KnownBudget.name))).scalars()
        return [FailClosedBudget(str(r.budget_id), r.name, r.scope, r.scope_value) for r in rows]
