"""The SQL repositories on a real PostgreSQL at the migration's head: the upsert's
natural key, the sums by day and by each dimension."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from skyclust_cost.adapters.db import metadata
from skyclust_cost.adapters.price_cache import SqlPriceCache
from skyclust_cost.adapters.sql import SqlCollectionStatuses, SqlCostRecords, SqlCredentials
from skyclust_cost.bootstrap import MIGRATIONS
from skyclust_cost.domain.periods import Scope
from skyclust_cost.domain.prices import LivePrice
from skyclust_cost.domain.records import CostRow, CostWarning
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from skyclust_common.dbadmin import provision_service
from skyclust_common.migrations import upgrade_head
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
