"""The cost service's tables. The queries on them are in `sql.py`."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, DateTime, Index, Integer, Numeric, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from skyclust_common.db import service_metadata

metadata = service_metadata("cost")


class Base(DeclarativeBase):
    metadata = metadata


INCLUDED = ["provider", "resource_type", "amount", "service", "region", "cluster_id", "node_group"]


class CostRecord(Base):
    """One day of one dimension's cost as a source reported it. A missing dimension is
    the empty string, not NULL, so the natural key is one unique index and a collection
    that runs again for the same day overwrites instead of adding."""

    __tablename__ = "cost_records"
    __table_args__ = (
        Index(
            "uq_cost_records_dimension",
            "workspace_id",
            "provider",
            "account",
            "day",
            "service",
            "region",
            "cluster_id",
            "node_group",
            "resource_type",
            "source",
            unique=True,
        ),
        # Every query is one workspace over a range of days; the covering columns keep
        # the sums and every breakdown but by tag index-only scans.
        Index(
            "ix_cost_records_workspace_day",
            "workspace_id",
            "day",
            postgresql_include=INCLUDED,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    workspace_id: Mapped[uuid.UUID]
    day: Mapped[date] = mapped_column(Date)
    provider: Mapped[str] = mapped_column(String(16))
    account: Mapped[str] = mapped_column(String(128))
    service: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(64))
    cluster_id: Mapped[str] = mapped_column(String(64))
    node_group: Mapped[str] = mapped_column(String(128))
    # "cluster" for what runs under a SkyClust cluster, "vm" for the rest.
    resource_type: Mapped[str] = mapped_column(String(16))
    # "billing_api" or "estimate".
    source: Mapped[str] = mapped_column(String(16))
    tags: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    currency: Mapped[str] = mapped_column(String(3))
    collected_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class CollectionStatus(Base):
    """The last collection of one provider for a workspace: whether its billing API
    answered, and the warning to show with reads when it did not."""

    __tablename__ = "collection_status"

    workspace_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    ok: Mapped[bool]
    warning_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    warning_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    resource_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    collected_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class KnownCredential(Base):
    """A workspace's cloud credential, learnt from CredentialCreated: what is collected."""

    __tablename__ = "known_credentials"

    credential_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(index=True)
    provider: Mapped[str] = mapped_column(String(16))


class NodeGroupRun(Base):
    """What SkyClust knows runs: one node group (or a cluster's control plane, with an
    empty node group id) from `since`, until `until` when it is gone. A scale ends the
    run and opens another, so hours by count by price sums to the estimate."""

    __tablename__ = "inventory_runs"
    __table_args__ = (Index("ix_inventory_runs_workspace", "workspace_id", "until"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    workspace_id: Mapped[uuid.UUID]
    cluster_id: Mapped[uuid.UUID] = mapped_column(index=True)
    node_group_id: Mapped[str] = mapped_column(String(64))
    node_group_name: Mapped[str] = mapped_column(String(128))
    provider: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(64))
    instance_type: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class KnownCluster(Base):
    """A cluster from ClusterRequested: its region, which the node-group events lack."""

    __tablename__ = "known_clusters"

    cluster_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    workspace_id: Mapped[uuid.UUID]
    provider: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))


class KnownNodeGroup(Base):
    """A node group's instance type from NodeGroupRequested (NodeGroupReady lacks it)."""

    __tablename__ = "known_node_groups"

    node_group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cluster_id: Mapped[uuid.UUID] = mapped_column(index=True)
    instance_type: Mapped[str] = mapped_column(String(64))


class CachedPrice(Base):
    """One price read from a cloud's pricing API (region "*" for every region), kept
    until the provider's next successful refresh replaces them all."""

    __tablename__ = "prices"

    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), primary_key=True)
    hourly: Mapped[Decimal] = mapped_column(Numeric(18, 10))
    currency: Mapped[str] = mapped_column(String(3))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PriceRefresh(Base):
    """Each provider's last price refresh: when one last succeeded, and the warning of
    the last attempt when it did not."""

    __tablename__ = "price_refreshes"

    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    warning_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    warning_message: Mapped[str | None] = mapped_column(Text, nullable=True)


class DailyTotal(Base):
    """The sum of a workspace's cost rows per day, provider and resource type, kept by the
    repository in the transaction that changes the rows: the summary, trend and
    comparison read a year from a few thousand of these instead of every row."""

    __tablename__ = "cost_daily_totals"

    workspace_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 6))


# The breakdown dimensions the monthly rollup keeps (tags have their own, `TagMonth`;
# `provider` reads the daily totals).
ROLLED_UP = ("service", "region", "cluster", "node_group")


class DimensionMonth(Base):
    """The sum of a workspace's cost rows per calendar month (its first day), provider,
    resource type and the value of one breakdown dimension, kept by the repository in the
    transaction that changes the rows (each month a write touches is summed again): a
    breakdown reads a year's whole months from these, and only its partial months at the
    window's edges from the rows."""

    __tablename__ = "cost_dimension_months"

    workspace_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 6))


# The tag rollup's entry for all of a month's rows, tagged or not: tag keys are never
# empty (a breakdown's `tag:<key>` needs one), so the empty key is free for it.
ALL_ROWS = ""


class TagMonth(Base):
    """The sum and count of a workspace's cost rows per calendar month (its first day),
    provider, resource type, tag key and non-empty value, and under the key `ALL_ROWS`
    the month's every row: a tag's keys are open-ended, so the rows without a key (the
    breakdown's `""`) are the month's rows less those with it. Kept like
    `DimensionMonth`, in the transaction that changes the rows."""

    __tablename__ = "cost_tag_months"

    workspace_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    tag_key: Mapped[str] = mapped_column(Text, primary_key=True)
    tag_value: Mapped[str] = mapped_column(Text, primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    row_count: Mapped[int] = mapped_column(BigInteger)
