"""The SQL repositories on a real PostgreSQL at the migration's head: the upsert's
natural key, the sums by day and by each dimension."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from skyclust_cost.adapters.db import metadata
from skyclust_cost.adapters.price_cache import SqlPriceCache
from skyclust_cost.adapters.sql import (
    SqlCollectionStatuses,
    SqlCostRecords,
    SqlCredentials,
)
from skyclust_cost.bootstrap import MIGRATIONS
from skyclust_cost.domain.periods import Scope, whole_months
from skyclust_cost.domain.prices import LivePrice
from skyclust_cost.domain.records import CostRow, CostWarning
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from skyclust_common.dbadmin import provision_service
from skyclust_common.migrations import alembic_config, upgrade_head
from skyclust_tools.embedded import PostgresServer, scratch_dir

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    data = scratch_dir("sc-cost-")
    server = PostgresServer(data).start()
    try:
        url = asyncio.run(provision_service(server.url, "cost", "cost-test"))
        upgrade_head(url, MIGRATIONS)
        yield url
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker]:
    engine = create_async_engine(database_url)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def test_sums_by_day_and_dimension_with_upserts(sessions: async_sessionmaker) -> None:
    workspace = uuid.uuid4()
    day = date(2026, 12, 1)
    rows = [
        CostRow(
            day, "aws", "1", "EC2", "us-east-1", Decimal("1.5"), cluster_id="c1", tags={"team": "a"}
        ),
        CostRow(day, "aws", "1", "EKS", "us-east-1", Decimal("0.5"), cluster_id="c1"),
        CostRow(date(2026, 12, 2), "gcp", "p", "GCE", "us-central1", Decimal(2)),
    ]
    async with sessions() as session:
        records = SqlCostRecords(session)
        await records.upsert(workspace, rows)
        # The same key again replaces the amount.
        await records.upsert(
            workspace, [CostRow(day, "aws", "1", "EKS", "us-east-1", Decimal(1), cluster_id="c1")]
        )
        await SqlCollectionStatuses(session).record(
            workspace, "gcp", 0, CostWarning("API_NOT_ENABLED", "off", "gcp")
        )
        await session.commit()
    scope = Scope(
        workspace, date(2026, 11, 1), date(2026, 12, 3), frozenset({"vm", "cluster"}), None
    )
    async with sessions() as session:
        records = SqlCostRecords(session)
        assert await records.daily(scope) == [
            (day, "aws", Decimal("2.5")),
            (date(2026, 12, 2), "gcp", Decimal(2)),
        ]
        assert await records.grouped(scope, "cluster", None) == [
            ("c1", Decimal("2.5")),
            ("", Decimal(2)),
        ]
        assert await records.grouped(scope, "tag", "team") == [
            ("", Decimal(3)),
            ("a", Decimal("1.5")),
        ]
        vm_only = Scope(workspace, scope.start, scope.end, frozenset({"vm"}), None)
        assert await records.grouped(vm_only, "provider", None) == [("gcp", Decimal(2))]
        warnings = await SqlCollectionStatuses(session).warnings(workspace, None)
        assert [w.code for w in warnings] == ["API_NOT_ENABLED"]


async def test_the_price_cache_replaces_a_providers_prices_and_keeps_them_on_failure(
    sessions: async_sessionmaker,
) -> None:
    at = datetime(2026, 12, 3, 12, tzinfo=UTC)
    workspace, credential = uuid.uuid4(), uuid.uuid4()
    async with sessions() as session:
        cache = SqlPriceCache(session)
        await cache.replace(
            "aws",
            [
                LivePrice("aws", "instance", "t3.medium", "us-east-1", Decimal("0.0416")),
                LivePrice("aws", "instance", "t3.large", "us-east-1", Decimal("0.0832")),
            ],
            at,
        )
        await cache.replace(
            "aws", [LivePrice("aws", "instance", "t3.medium", "us-east-1", Decimal("0.05"))], at
        )
        await cache.failed(
            "aws", CostWarning("API_THROTTLED", "slow", "aws", "pricing"), at + timedelta(hours=1)
        )
        await SqlCredentials(session).remember(workspace, credential, "aws")
        await session.commit()
    async with sessions() as session:
        cache = SqlPriceCache(session)
        assert await cache.prices() == [
            (LivePrice("aws", "instance", "t3.medium", "us-east-1", Decimal("0.05")), at)
        ]
        status = (await cache.statuses())["aws"]
        assert (status.refreshed_at, status.attempted_at) == (at, at + timedelta(hours=1))
        assert status.warning is not None and status.warning.code == "API_THROTTLED"
        assert await cache.a_credential("aws") == (workspace, credential)
        assert await cache.a_credential("gcp") is None


async def test_the_migrations_build_the_schema_the_models_describe(database_url: str) -> None:
    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        # The role's search_path makes cost the default schema (name None).
        return name in (None, "cost") if type_ == "schema" else True

    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": True,
                "version_table_schema": "cost",
                "include_name": include_name,
                "compare_type": True,
                "target_metadata": metadata,
            },
        )
        return list(compare_metadata(context, metadata))

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []


async def test_daily_totals_follow_replaced_estimates(sessions: async_sessionmaker) -> None:
    workspace = uuid.uuid4()
    day = date(2026, 12, 1)
    scope = Scope(
        workspace, date(2026, 11, 1), date(2026, 12, 3), frozenset({"vm", "cluster"}), None
    )
    estimate = CostRow(day, "azure", "", "Compute", "eastus", Decimal(4), source="estimate")
    billed = CostRow(day, "azure", "s", "Virtual Machines", "eastus", Decimal("3.5"))
    async with sessions() as session:
        records = SqlCostRecords(session)
        await records.replace_estimates(workspace, "azure", date(2026, 11, 28), [estimate])
        await records.upsert(workspace, [CostRow(day, "aws", "1", "EC2", "us-east-1", Decimal(1))])
        await session.commit()
    async with sessions() as session:
        assert await SqlCostRecords(session).daily(scope) == [
            (day, "aws", Decimal(1)),
            (day, "azure", Decimal(4)),
        ]
        # The billing API answers: the estimates go, the billed row stays.
        records = SqlCostRecords(session)
        await records.upsert(workspace, [billed])
        await records.replace_estimates(workspace, "azure", date(2026, 11, 28), [])
        await session.commit()
    async with sessions() as session:
        assert await SqlCostRecords(session).daily(scope) == [
            (day, "aws", Decimal(1)),
            (day, "azure", Decimal("3.5")),
        ]


def test_whole_months_of_a_window() -> None:
    # A year up to a 4th: the 11 months between its two partial ones.
    assert whole_months(date(2025, 12, 5), date(2026, 12, 4)) == (
        date(2026, 1, 1),
        date(2026, 11, 1),
    )
    # Edges that are month boundaries belong to the months.
    assert whole_months(date(2026, 1, 1), date(2026, 3, 31)) == (
        date(2026, 1, 1),
        date(2026, 3, 1),
    )
    assert whole_months(date(2026, 2, 1), date(2026, 2, 28)) == (
        date(2026, 2, 1),
        date(2026, 2, 1),
    )
    # Inside one or two months without a whole one: none.
    assert whole_months(date(2026, 11, 4), date(2026, 12, 3)) is None
    assert whole_months(date(2026, 12, 1), date(2026, 12, 3)) is None


async def test_the_rollup_is_the_rows_own_sums_after_changes(sessions: async_sessionmaker) -> None:
    """After rows are written, redelivered with other amounts and estimates replaced, the
    rollup holds each month's sums of the rows, and a breakdown whose window starts and
    ends inside months adds the edges from the rows."""
    workspace = uuid.uuid4()
    rows = [
        CostRow(date(2026, m, d), "gcp", "p", svc, "us-central1", Decimal(amount), cluster_id=c)
        for m, d, svc, c, amount in [
            (9, 30, "GKE", "c1", "1.25"),
            (10, 1, "GKE", "c1", "2"),
            (10, 15, "Compute", "c2", "3"),
            (11, 30, "Compute", "c1", "4"),
            (12, 1, "GKE", "c2", "5"),
        ]
    ]
    estimate = CostRow(
        date(2026, 11, 2), "gcp", "", "Compute", "us-central1", Decimal(7), source="estimate"
    )
    async with sessions() as session:
        records = SqlCostRecords(session)
        await records.upsert(workspace, rows)
        await records.replace_estimates(workspace, "gcp", date(2026, 11, 1), [estimate])
        # Redelivered, and one row again with another amount.
        await records.upsert(
            workspace, [*rows[:3], dataclasses.replace(rows[2], amount=Decimal(6))]
        )
        await session.commit()
    async with sessions() as session:
        records = SqlCostRecords(session)
        await records.replace_estimates(workspace, "gcp", date(2026, 11, 1), [])
        await session.commit()

    async with sessions() as session:
        rolled = await session.execute(
            text(
                "SELECT dimension, month, key, amount FROM cost.cost_dimension_months "
                "WHERE workspace_id = :w AND dimension = 'cluster' ORDER BY month, key"
            ),
            {"w": workspace},
        )
        assert [tuple(r) for r in rolled] == [
            ("cluster", date(2026, 9, 1), "c1", Decimal("1.25")),
            ("cluster", date(2026, 10, 1), "c1", Decimal(2)),
            ("cluster", date(2026, 10, 1), "c2", Decimal(6)),
            ("cluster", date(2026, 11, 1), "c1", Decimal(4)),
            ("cluster", date(2026, 12, 1), "c2", Decimal(5)),
        ]
        everything = frozenset({"vm", "cluster"})
        records = SqlCostRecords(session)
        # 9-30 .. 12-01: September's and December's days from the rows, Oct and Nov rolled.
        scope = Scope(workspace, date(2026, 9, 30), date(2026, 12, 1), everything, None)
        assert await records.grouped(scope, "cluster", None) == [
            ("c2", Decimal(11)),
            ("c1", Decimal("7.25")),
        ]
        # 10-02 .. 11-29: no whole month, all from the rows; the edges' days are left out.
        scope = Scope(workspace, date(2026, 10, 2), date(2026, 11, 29), everything, "gcp")
        assert await records.grouped(scope, "service", None) == [("Compute", Decimal(6))]


async def test_the_rollup_migration_backfills_the_stored_rows(
    database_url: str, sessions: async_sessionmaker
) -> None:
    """Rows stored before the rollup existed are rolled up by its migration."""
    workspace = uuid.uuid4()
    config = alembic_config(database_url, MIGRATIONS)
    await asyncio.to_thread(command.downgrade, config, "e7c4a9b2d815")
    try:
        async with sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO cost.cost_records (workspace_id, day, provider, account, "
                    "service, region, cluster_id, node_group, resource_type, source, tags, "
                    "amount, currency) VALUES "
                    "(:w, '2026-10-31', 'aws', '1', 'EC2', 'us-east-1', 'c1', 'ng', 'cluster', "
                    "'billing_api', '{}', 1.5, 'USD'), "
                    "(:w, '2026-10-01', 'aws', '1', 'EKS', 'us-east-1', 'c1', '', 'cluster', "
                    "'billing_api', '{}', 2, 'USD'), "
                    "(:w, '2026-11-01', 'aws', '1', 'EC2', 'us-east-1', '', '', 'vm', "
                    "'billing_api', '{}', 3, 'USD')"
                ),
                {"w": workspace},
            )
            await session.commit()
    finally:
        await asyncio.to_thread(command.upgrade, config, "head")
    async with sessions() as session:
        rolled = await session.execute(
            text(
                "SELECT dimension, month, resource_type, key, amount "
                "FROM cost.cost_dimension_months WHERE workspace_id = :w "
                "AND dimension IN ('cluster', 'node_group') ORDER BY dimension, month, key"
            ),
            {"w": workspace},
        )
        assert [tuple(r) for r in rolled] == [
            ("cluster", date(2026, 10, 1), "cluster", "c1", Decimal("3.5")),
            ("cluster", date(2026, 11, 1), "vm", "", Decimal(3)),
            ("node_group", date(2026, 10, 1), "cluster", "", Decimal(2)),
            ("node_group", date(2026, 10, 1), "cluster", "ng", Decimal("1.5")),
            ("node_group", date(2026, 11, 1), "vm", "", Decimal(3)),
        ]


async def test_the_tag_rollup_is_the_rows_own_sums_after_changes(
    sessions: async_sessionmaker,
) -> None:
    """The tag rollup holds each month's rows under ALL_ROWS and each valued tag; a row
    whose tags change moves between them; a tag breakdown over whole months and edges
    gives `""` for the rows without a value of the key."""
    workspace = uuid.uuid4()
    rows = [
        CostRow(date(2026, m, d), "aws", "1", "EC2", "us-east-1", Decimal(amount), tags=tags)
        for m, d, amount, tags in [
            (9, 30, "1.25", {"team": "a"}),
            (10, 1, "2", {"team": "a", "env": "prod"}),
            (10, 15, "3", {}),
            (10, 20, "0.5", {"team": ""}),
            (11, 30, "4", {"team": "b"}),
            (12, 1, "5", {"team": "b"}),
        ]
    ]
    async with sessions() as session:
        records = SqlCostRecords(session)
        await records.upsert(workspace, rows)
        # Redelivered with its tags changed: October's `a` moves to `b`.
        await records.upsert(workspace, [dataclasses.replace(rows[1], tags={"team": "b"})])
        await session.commit()

    async with sessions() as session:
        rolled = await session.execute(
            text(
                "SELECT month, tag_key, tag_value, amount, row_count FROM cost.cost_tag_months "
                "WHERE workspace_id = :w ORDER BY month, tag_key, tag_value"
            ),
            {"w": workspace},
        )
        assert [tuple(r) for r in rolled] == [
            (date(2026, 9, 1), "", "", Decimal("1.25"), 1),
            (date(2026, 9, 1), "team", "a", Decimal("1.25"), 1),
            (date(2026, 10, 1), "", "", Decimal("5.5"), 3),
            (date(2026, 10, 1), "team", "b", Decimal(2), 1),
            (date(2026, 11, 1), "", "", Decimal(4), 1),
            (date(2026, 11, 1), "team", "b", Decimal(4), 1),
            (date(2026, 12, 1), "", "", Decimal(5), 1),
            (date(2026, 12, 1), "team", "b", Decimal(5), 1),
        ]
        records = SqlCostRecords(session)
        everything = frozenset({"vm", "cluster"})
        # 9-30 .. 12-01: September's and December's days from the rows, Oct and Nov rolled.
        scope = Scope(workspace, date(2026, 9, 30), date(2026, 12, 1), everything, None)
        assert await records.grouped(scope, "tag", "team") == [
            ("b", Decimal(11)),
            ("", Decimal("3.5")),
            ("a", Decimal("1.25")),
        ]
        # No row has `env` any more: every row is `""`.
        assert await records.grouped(scope, "tag", "env") == [("", Decimal("15.75"))]
        # October and November alone, all from the rollup.
        scope = Scope(workspace, date(2026, 10, 1), date(2026, 11, 30), everything, None)
        assert await records.grouped(scope, "tag", "team") == [
            ("b", Decimal(6)),
            ("", Decimal("3.5")),
        ]
        # Another provider's or resource type's rows are not in it.
        scope = Scope(workspace, date(2026, 10, 1), date(2026, 11, 30), everything, "gcp")
        assert await records.grouped(scope, "tag", "team") == []
        scope = Scope(
            workspace, date(2026, 10, 1), date(2026, 11, 30), frozenset({"cluster"}), None
        )
        assert await records.grouped(scope, "tag", "team") == []


async def test_the_tag_rollup_migration_backfills_the_stored_rows(
    database_url: str, sessions: async_sessionmaker
) -> None:
    """Rows stored before the tag rollup existed are rolled up by its migration."""
    workspace = uuid.uuid4()
    config = alembic_config(database_url, MIGRATIONS)
    await asyncio.to_thread(command.downgrade, config, "a4f2c8d1e6b3")
    try:
        async with sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO cost.cost_records (workspace_id, day, provider, account, "
                    "service, region, cluster_id, node_group, resource_type, source, tags, "
                    "amount, currency) VALUES "
                    "(:w, '2026-10-31', 'aws', '1', 'EC2', 'us-east-1', 'c1', 'ng', 'cluster', "
                    "'billing_api', '{\"team\": \"a\"}', 1.5, 'USD'), "
                    "(:w, '2026-10-01', 'aws', '1', 'EKS', 'us-east-1', 'c1', '', 'cluster', "
                    '\'billing_api\', \'{"team": "a", "env": ""}\', 2, \'USD\'), '
                    "(:w, '2026-11-01', 'aws', '1', 'EC2', 'us-east-1', '', '', 'vm', "
                    "'billing_api', '{}', 3, 'USD')"
                ),
                {"w": workspace},
            )
            await session.commit()
    finally:
        await asyncio.to_thread(command.upgrade, config, "head")
    async with sessions() as session:
        rolled = await session.execute(
            text(
                "SELECT month, resource_type, tag_key, tag_value, amount, row_count "
                "FROM cost.cost_tag_months WHERE workspace_id = :w "
                "ORDER BY month, tag_key, tag_value"
            ),
            {"w": workspace},
        )
        assert [tuple(r) for r in rolled] == [
            (date(2026, 10, 1), "cluster", "", "", Decimal("3.5"), 2),
            (date(2026, 10, 1), "cluster", "team", "a", Decimal("3.5"), 2),
            (date(2026, 11, 1), "vm", "", "", Decimal(3), 1),
        ]
