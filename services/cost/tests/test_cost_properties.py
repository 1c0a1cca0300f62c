"""Properties of the reads, on the fake store and on PostgreSQL, for any rows: the
summary's total is its days' sum, its providers' sum and every breakdown's total and
items' sum, and the rows' own sum; the trend's halves and the comparison's periods are
sums of the same daily series. The breakdowns that read the monthly rollups (by service,
region, cluster, node group and tag) follow rows redelivered, updated (a row's tags too)
and replaced, whichever days the window's partial months hold."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from skyclust_cost.adapters.db import metadata
from skyclust_cost.adapters.uow import SqlCostUnitOfWork
from skyclust_cost.bootstrap import MIGRATIONS
from skyclust_cost.domain.periods import PERIOD_DAYS
from skyclust_cost.domain.records import BILLING_API, ESTIMATE, CostRow
from skyclust_cost.handlers import queries
from skyclust_cost.handlers.common import CostDeps
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from skyclust_common.contracts import load_registry
from skyclust_common.dbadmin import provision_service
from skyclust_common.migrations import upgrade_head
from skyclust_tools.embedded import PostgresServer, scratch_dir

from .cost_harness import TODAY, call, decrypt_nothing, make_deps

RESOURCE_TYPES = {"all": {"vm", "cluster"}, "vm": {"vm"}, "cluster": {"cluster"}}
BREAKDOWNS = ("service", "provider", "region", "cluster", "node_group", "tag:team", "tag:env")
# The breakdowns the rollups keep, and each row's value of them (a tag without a value is
# the same `""` as a row without the tag).
ROLLED_UP = {
    "service": lambda r: r.service,
    "region": lambda r: r.region,
    "cluster": lambda r: r.cluster_id,
    "node_group": lambda r: r.node_group,
    "tag:team": lambda r: r.tags.get("team", ""),
    "tag:env": lambda r: r.tags.get("env", ""),
}
TAGS = [{}, {"team": "a"}, {"team": "b"}, {"team": "a", "env": "prod"}, {"env": "dev"}]
TAGS += [{"team": ""}, {"team": "b", "env": "", "other": "x"}]
# Each amount leaves rounded to 6 places: a sum of n of them is within n of these.
ROUNDING = 1e-6

rows_strategy = st.lists(
    st.builds(
        CostRow,
        # Up to two years back: the previous period of a year reaches 730 days.
        day=st.integers(0, 740).map(lambda n: TODAY - timedelta(days=n)),
        provider=st.sampled_from(["aws", "gcp", "azure"]),
        account=st.just("acct"),
        service=st.sampled_from(["Compute", "Kubernetes", "Storage"]),
        region=st.sampled_from(["us-east-1", "europe-west1", "westeurope"]),
        amount=st.decimals(
            Decimal("0.000001"), Decimal("5000"), places=6, allow_nan=False, allow_infinity=False
        ),
        currency=st.just("USD"),
        cluster_id=st.sampled_from(["", "c-1", "c-2"]),
        node_group=st.sampled_from(["", "ng-1"]),
        tags=st.sampled_from(TAGS),
        source=st.sampled_from([BILLING_API, ESTIMATE]),
    ),
    max_size=40,
    # An upsert replaces a row of the same key: the oracle below keeps one of each.
    unique_by=lambda r: r.key(),
)
amounts = st.decimals(
    Decimal("0.000001"), Decimal("5000"), places=6, allow_nan=False, allow_infinity=False
)
queries_strategy = st.fixed_dictionaries(
    {
        "period": st.sampled_from(sorted(PERIOD_DAYS)),
        "resource_types": st.sampled_from(sorted(RESOURCE_TYPES)),
        "provider": st.sampled_from([None, "aws", "gcp", "azure"]),
    }
)


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    data = scratch_dir("sc-cost-props-")
    server = PostgresServer(data).start()
    try:
        url = asyncio.run(provision_service(server.url, "cost", "cost-test"))
        upgrade_head(url, MIGRATIONS)
        yield url
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
async def sql_deps(database_url: str) -> AsyncIterator[Callable[[], CostDeps]]:
    engine = create_async_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    registry = load_registry()

    def made() -> CostDeps:
        return CostDeps(
            uow=lambda: SqlCostUnitOfWork(sessions, metadata, registry),
            collectors={},
            decrypt_credential=decrypt_nothing,
            today=lambda: TODAY,
        )

    yield made
    await engine.dispose()


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("fake", marks=pytest.mark.unit),
        pytest.param("sql", marks=pytest.mark.integration),
    ],
)
def new_deps(request: pytest.FixtureRequest) -> Callable[[], CostDeps]:
    if request.param == "sql":
        made: Callable[[], CostDeps] = request.getfixturevalue("sql_deps")
        return made
    return make_deps


def _in_scope(row: CostRow, q: dict[str, Any], start: date, end: date) -> bool:
    return (
        start <= row.day <= end
        and row.resource_type in RESOURCE_TYPES[q["resource_types"]]
        and q["provider"] in (None, row.provider)
    )


def _oracle(rows: list[CostRow], q: dict[str, Any], start: date, end: date) -> float:
    return float(sum((r.amount for r in rows if _in_scope(r, q, start, end)), Decimal(0)))


def _body(workspace: uuid.UUID, q: dict[str, Any], **extra: str) -> dict[str, Any]:
    return {"workspace_id": str(workspace), **{k: v for k, v in q.items() if v}, **extra}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=rows_strategy, q=queries_strategy)
async def test_every_read_agrees_with_the_rows_and_with_each_other(
    new_deps: Callable[[], CostDeps], rows: list[CostRow], q: dict[str, Any]
) -> None:
    deps = new_deps()
    workspace = uuid.uuid4()
    async with deps.uow() as uow:
        await uow.records.upsert(workspace, rows)
        await uow.commit()
    days = PERIOD_DAYS[q["period"]]
    start, end = TODAY - timedelta(days=days - 1), TODAY
    slack = ROUNDING * (len(rows) + days + 1)

    summary = await call(queries.get_cost_summary, deps, _body(workspace, q))
    total = summary["total"]
    assert total == pytest.approx(_oracle(rows, q, start, end), abs=slack)
    assert len(summary["daily"]) == days
    assert [d["date"] for d in summary["daily"]] == [
        (start + timedelta(days=i)).isoformat() for i in range(days)
    ]
    assert sum(d["amount"] for d in summary["daily"]) == pytest.approx(total, abs=slack)
    assert sum(summary["by_provider"].values()) == pytest.approx(total, abs=slack)
    for by in BREAKDOWNS:
        breakdown = await call(queries.get_cost_breakdown, deps, _body(workspace, q, by=by))
        items = breakdown["items"]
        assert breakdown["total"] == pytest.approx(total, abs=slack), by
        assert sum(i["amount"] for i in items) == pytest.approx(total, abs=slack), by
        assert len({i["key"] for i in items}) == len(items), by
        assert [i["amount"] for i in items] == sorted((i["amount"] for i in items), reverse=True)
        if total:
            assert sum(i["share"] for i in items) == pytest.approx(1.0, abs=1e-9), by

    trend = await call(queries.get_cost_trend, deps, _body(workspace, q))
    series = [d["amount"] for d in trend["daily"]]
    assert series == [d["amount"] for d in summary["daily"]]
    middle = days // 2
    assert trend["first_half"] == pytest.approx(sum(series[:middle]), abs=slack)
    assert trend["second_half"] == pytest.approx(sum(series[middle:]), abs=slack)
    assert trend["change"] == pytest.approx(trend["second_half"] - trend["first_half"], abs=slack)
    percent = trend["change_percent"]
    if percent is None:
        assert trend["first_half"] == 0
    elif percent > 5:
        assert trend["direction"] == "increasing"
    elif percent < -5:
        assert trend["direction"] == "decreasing"
    else:
        assert trend["direction"] == "stable"

    comparison = await call(queries.get_cost_comparison, deps, _body(workspace, q))
    before_start, before_end = start - timedelta(days=days), start - timedelta(days=1)
    assert (comparison["previous_start"], comparison["previous_end"]) == (
        before_start.isoformat(),
        before_end.isoformat(),
    )
    assert comparison["current"] == pytest.approx(total, abs=slack)
    previous = _oracle(rows, q, before_start, before_end)
    assert comparison["previous"] == pytest.approx(previous, abs=slack)
    assert comparison["change"] == pytest.approx(total - previous, abs=2 * slack)
    per_provider = comparison["by_provider"].values()
    assert sum(p["current"] for p in per_provider) == pytest.approx(total, abs=slack)
    assert sum(p["previous"] for p in per_provider) == pytest.approx(previous, abs=slack)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=rows_strategy,
    redelivered=st.integers(0, 40),
    updates=st.lists(st.tuples(st.integers(0, 39), amounts, st.sampled_from(TAGS)), max_size=8),
    replaced_from=st.one_of(st.none(), st.integers(0, 740)),
    q=queries_strategy,
)
async def test_rolled_up_breakdowns_follow_redelivered_updated_and_replaced_rows(
    new_deps: Callable[[], CostDeps],
    rows: list[CostRow],
    redelivered: int,
    updates: list[tuple[int, Decimal, dict[str, str]]],
    replaced_from: int | None,
    q: dict[str, Any],
) -> None:
    """Each key's amount is the final rows' own sum: after a batch is redelivered, some
    rows come again with another amount and tags, and aws's estimates are replaced from a
    day."""
    deps = new_deps()
    workspace = uuid.uuid4()
    final = {r.key(): r for r in rows}
    changed = [
        dataclasses.replace(rows[i % len(rows)], amount=a, tags=t) for i, a, t in updates if rows
    ]
    async with deps.uow() as uow:
        await uow.records.upsert(workspace, rows)
        await uow.commit()
    async with deps.uow() as uow:
        await uow.records.upsert(workspace, rows[:redelivered])
        await uow.records.upsert(workspace, changed)
        await uow.commit()
    for row in changed:
        final[row.key()] = row
    if replaced_from is not None:
        since = TODAY - timedelta(days=replaced_from)
        async with deps.uow() as uow:
            await uow.records.replace_estimates(workspace, "aws", since, [])
            await uow.commit()
        final = {
            k: r
            for k, r in final.items()
            if not (r.provider == "aws" and r.source == ESTIMATE and r.day >= since)
        }
    days = PERIOD_DAYS[q["period"]]
    start, end = TODAY - timedelta(days=days - 1), TODAY
    slack = ROUNDING * (len(rows) + len(changed) + 1)
    for by, value in ROLLED_UP.items():
        expected: dict[str, Decimal] = {}
        for row in final.values():
            if _in_scope(row, q, start, end):
                expected[value(row)] = expected.get(value(row), Decimal(0)) + row.amount
        breakdown = await call(queries.get_cost_breakdown, deps, _body(workspace, q, by=by))
        found = {i["key"]: i["amount"] for i in breakdown["items"]}
        assert found.keys() == expected.keys(), by
        for key, amount in expected.items():
            assert found[key] == pytest.approx(float(amount), abs=slack), (by, key)
