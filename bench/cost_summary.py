"""Cost reads over a year of daily cost for 1,000 clusters across the three clouds: the
summary and the breakdowns as NATS queries to the cost service, against the same
aggregate as plain SQL on the same PostgreSQL, side by side in one run (target: the
query's p95 under 200 ms, the seed's API target).

Starts a nats-server and an embedded PostgreSQL, migrates the cost schema, and runs the
cost service's own runtime and handlers in this process (collection and budget checks
off). One workspace gets COST_SUMMARY_CLUSTERS clusters (1,000) split over aws, gcp and
azure, each with a control-plane row and a node-group row a day for COST_SUMMARY_DAYS
(365) days, tagged with its cluster and one of seven teams: 730,000 rows, written by one
INSERT ... SELECT (and the daily totals and the monthly rollups from them), then VACUUM
ANALYZE (the state autovacuum keeps a table in). Then, in turns after a warm-up,
COST_SUMMARY_REQUESTS (60) times each:

- `GetCostSummary` period=1y, `GetCostBreakdown` by=cluster, by=service and by=tag:team,
  period=1y, each a bus request from a second connection, as the gateway asks them;
- the baseline: the statements those reads run, sent as plain SQL through asyncpg: the
  summary's sums by day and provider over the daily totals the repository keeps
  (`cost.cost_daily_totals`), the breakdowns' sums by cluster, service and tag over the
  rows, and the statements the breakdowns run now (the whole months from the monthly
  rollups, `cost.cost_dimension_months` and `cost.cost_tag_months`, the window's partial
  months from the rows); and, for reference, the summary's sums taken over every row
  instead.

Reported: p50, p95 and max of each, and each query's p95 next to its SQL's (for a
breakdown, the rollup's statement; the bus,
contract validation, SQLAlchemy and the answer's shaping on top of the database's own
time). The REST route adds the gateway's hop, which `bench.read_path` measures.
Results go to bench/results/cost_summary.json. It starts no platform:
`python -m bench.cost_summary`."""

from __future__ import annotations

import asyncio
import json
import os
import platform as host
import shutil
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import nats
from skyclust_cost.adapters.db import metadata
from skyclust_cost.bootstrap import MIGRATIONS, SERVICE, wire
from skyclust_cost.domain.periods import next_month, whole_months
from skyclust_cost.settings import CostSettings

from skyclust_common.contracts import load_registry
from skyclust_common.dbadmin import provision_service
from skyclust_common.messaging import Bus, BusConfig
from skyclust_common.migrations import upgrade_head
from skyclust_common.runtime import start_runtime, stop_runtime
from skyclust_tools.embedded import NatsServer, PostgresServer, free_port, scratch_dir

CLUSTERS = int(os.environ.get("COST_SUMMARY_CLUSTERS", "1000"))
DAYS = int(os.environ.get("COST_SUMMARY_DAYS", "365"))
REQUESTS = int(os.environ.get("COST_SUMMARY_REQUESTS", "60"))
WARMUP = 5
TARGET_P95_MS = 200.0

SEED = """
INSERT INTO cost.cost_records (workspace_id, day, provider, account, service, region,
    cluster_id, node_group, resource_type, source, tags, amount, currency)
SELECT $1::uuid, d::date, p.provider, p.account, s.service, p.region,
    'cluster-' || c, CASE WHEN s.node THEN 'ng-' || c ELSE '' END, 'cluster', 'billing_api',
    jsonb_build_object('skyclust-cluster-id', 'cluster-' || c, 'team', 'team-' || (c % 7)),
    round((s.base * (0.5 + random()))::numeric, 6), 'USD'
FROM generate_series($2::date, $3::date, interval '1 day') AS d,
    generate_series(0, $4::int - 1) AS c,
    (VALUES (0, 'aws', '123456789012', 'us-east-1'), (1, 'gcp', 'proj', 'us-central1'),
            (2, 'azure', 'sub', 'westeurope')) AS p(n, provider, account, region),
    (VALUES ('control plane', false, 2.4), ('compute', true, 9.0)) AS s(service, node, base)
WHERE c % 3 = p.n
"""
# The daily totals the repository keeps in the transaction that writes the rows.
TOTALS = """
INSERT INTO cost.cost_daily_totals (workspace_id, day, provider, resource_type, amount)
SELECT workspace_id, day, provider, resource_type, sum(amount) FROM cost.cost_records
GROUP BY workspace_id, day, provider, resource_type
"""
# The monthly rollup of the breakdown dimensions the repository keeps the same way.
ROLLUP = """
INSERT INTO cost.cost_dimension_months
    (workspace_id, dimension, month, provider, resource_type, key, amount)
SELECT r.workspace_id, d.dimension, date_trunc('month', r.day)::date, r.provider,
    r.resource_type, d.key, sum(r.amount) FROM cost.cost_records AS r
CROSS JOIN LATERAL (VALUES ('service', r.service), ('region', r.region),
    ('cluster', r.cluster_id), ('node_group', r.node_group)) AS d(dimension, key)
GROUP BY 1, 2, 3, 4, 5, 6
"""
# The tag rollup: each month's rows under the empty key, and under each valued tag.
TAG_ROLLUP = """
INSERT INTO cost.cost_tag_months
    (workspace_id, month, provider, resource_type, tag_key, tag_value, amount, row_count)
SELECT r.workspace_id, date_trunc('month', r.day)::date, r.provider, r.resource_type,
    t.key, t.value, sum(r.amount), count(*) FROM cost.cost_records AS r
CROSS JOIN LATERAL (SELECT '' AS key, '' AS value UNION ALL
    SELECT e.key, e.value FROM jsonb_each_text(r.tags) AS e
    WHERE e.key <> '' AND coalesce(e.value, '') <> '') AS t
GROUP BY 1, 2, 3, 4, 5, 6
"""
TAG = "team"
WHERE = "workspace_id = $1 AND day >= $2 AND day <= $3 AND resource_type = ANY($4::text[])"
SQL = {
    "summary": f"SELECT day, provider, sum(amount) FROM cost.cost_daily_totals WHERE {WHERE} "
    "GROUP BY day, provider ORDER BY day, provider",
    "breakdown_cluster": f"SELECT cluster_id AS key, sum(amount) AS total FROM "
    f"cost.cost_records WHERE {WHERE} GROUP BY key ORDER BY total DESC, key",
    "breakdown_service": f"SELECT service AS key, sum(amount) AS total FROM "
    f"cost.cost_records WHERE {WHERE} GROUP BY key ORDER BY total DESC, key",
    "breakdown_tag": f"SELECT coalesce(tags->>'{TAG}', '') AS key, sum(amount) AS total FROM "
    f"cost.cost_records WHERE {WHERE} GROUP BY key ORDER BY total DESC, key",
}

# The statements the breakdowns run now: the window's whole months from the rollup, its
# partial months at the edges from the rows ($5 the dimension, $6..$7 the whole months,
# $8 the day after them).
EDGE = "SELECT {col}, sum(amount) FROM cost.cost_records WHERE workspace_id = $1 AND {days} "
EDGE += "AND resource_type = ANY($4::text[]) GROUP BY 1"
ROLLED = (
    "SELECT key, sum(amount) AS total FROM (SELECT key, sum(amount) AS amount "
    "FROM cost.cost_dimension_months WHERE workspace_id = $1 AND dimension = $5 "
    "AND month >= $6 AND month <= $7 AND resource_type = ANY($4::text[]) GROUP BY key "
    "UNION ALL "
    + EDGE.format(col="{col}", days="day >= $2 AND day < $6")
    + " UNION ALL "
    + EDGE.format(col="{col}", days="day >= $8 AND day <= $3")
    + ") AS parts GROUP BY key ORDER BY total DESC, key"
)
# By tag ($5 the key): the key's values from the tag rollup, `""` as the months' every
# row less those with a value, each part with its row count (a key no row has is left out).
TAG_MONTHS = (
    "FROM cost.cost_tag_months WHERE workspace_id = $1 AND month >= $6 AND month <= $7 "
    "AND resource_type = ANY($4::text[]) "
)
SIGN = "CASE WHEN tag_key = '' THEN 1 ELSE -1 END"
TAG_EDGE = "SELECT coalesce(tags->>$5, ''), sum(amount), count(*) FROM cost.cost_records "
TAG_EDGE += "WHERE workspace_id = $1 AND {days} AND resource_type = ANY($4::text[]) GROUP BY 1"
TAGGED = (
    "SELECT key, sum(amount) AS total FROM (SELECT tag_value AS key, sum(amount) AS amount, "
    f"sum(row_count) AS n {TAG_MONTHS} AND tag_key = $5 GROUP BY tag_value "
    f"UNION ALL SELECT '', sum({SIGN} * amount), sum({SIGN} * row_count) {TAG_MONTHS} "
    "AND tag_key IN ('', $5) UNION ALL "
    + TAG_EDGE.format(days="day >= $2 AND day < $6")
    + " UNION ALL "
    + TAG_EDGE.format(days="day >= $8 AND day <= $3")
    + ") AS parts GROUP BY key HAVING sum(n) > 0 ORDER BY total DESC, key"
)
ROLLUP_SQL = {
    "breakdown_cluster": (ROLLED.format(col="cluster_id"), "cluster"),
    "breakdown_service": (ROLLED.format(col="service"), "service"),
    "breakdown_tag": (TAGGED, TAG),
}


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(ordered[-1], 2),
    }


async def timed(fn: Callable[[], Awaitable[Any]]) -> float:
    began = time.perf_counter()
    await fn()
    return (time.perf_counter() - began) * 1000


async def run(nats_url: str, admin_url: str) -> dict[str, Any]:
    url = await provision_service(admin_url, SERVICE, "bench")
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    settings = CostSettings(
        nats_url=nats_url,
        database_url=url,
        collect_interval_seconds=0,
        budget_check_interval_seconds=0,
        price_refresh_interval_seconds=0,
    )
    workspace = uuid.uuid4()
    today = datetime.now(UTC).date()
    start = today - timedelta(days=DAYS - 1)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    sql = await asyncpg.connect(dsn)
    began = time.perf_counter()
    await sql.execute(SEED, workspace, start, today, CLUSTERS)
    await sql.execute(TOTALS)
    await sql.execute(ROLLUP)
    await sql.execute(TAG_ROLLUP)
    # What autovacuum leaves a table in: statistics, and the visibility map that lets
    # the covering index answer the sums without visiting the rows.
    await sql.execute("VACUUM ANALYZE cost.cost_records")
    await sql.execute("VACUUM ANALYZE cost.cost_daily_totals")
    await sql.execute("VACUUM ANALYZE cost.cost_dimension_months")
    await sql.execute("VACUUM ANALYZE cost.cost_tag_months")
    rows = await sql.fetchval("SELECT count(*) FROM cost.cost_records")
    seed_seconds = time.perf_counter() - began

    runtime = await start_runtime(SERVICE, settings, metadata, MIGRATIONS)
    gateway = Bus(await nats.connect(nats_url), load_registry(), BusConfig("gateway"))
    try:
        await wire(runtime, settings, collectors={}, pricing={})
        await runtime.bus.nc.flush()
        base = {"workspace_id": str(workspace), "period": "1y"}
        queries: dict[str, Callable[[], Awaitable[Any]]] = {
            "summary": lambda: gateway.request(SERVICE, "GetCostSummary", base, timeout=30),
            "breakdown_cluster": lambda: gateway.request(
                SERVICE, "GetCostBreakdown", {**base, "by": "cluster"}, timeout=30
            ),
            "breakdown_service": lambda: gateway.request(
                SERVICE, "GetCostBreakdown", {**base, "by": "service"}, timeout=30
            ),
            "breakdown_tag": lambda: gateway.request(
                SERVICE, "GetCostBreakdown", {**base, "by": f"tag:{TAG}"}, timeout=30
            ),
        }
        # The window the service reads for period=1y: the last 365 days up to today.
        window = (workspace, today - timedelta(days=364), today, ["cluster", "vm"])

        def plain(statement: str) -> Callable[[], Awaitable[Any]]:
            return lambda: sql.fetch(statement, *window)

        months = whole_months(window[1], today)
        assert months is not None
        after = next_month(months[1])

        def rolled(name: str) -> Callable[[], Awaitable[Any]]:
            statement, dimension = ROLLUP_SQL[name]
            return lambda: sql.fetch(statement, *window, dimension, *months, after)

        answer = await queries["summary"]()
        assert len(answer["daily"]) == 365 and answer["total"] > 0, answer
        by_cluster = await queries["breakdown_cluster"]()
        assert len(by_cluster["items"]) == CLUSTERS, len(by_cluster["items"])
        assert abs(by_cluster["total"] - answer["total"]) < 0.01
        # The rollup's answer is the rows' own: every cluster's sum as the plain SQL's.
        plain_sums = {r["key"]: float(r["total"]) for r in await plain(SQL["breakdown_cluster"])()}
        assert all(abs(i["amount"] - plain_sums[i["key"]]) < 1e-5 for i in by_cluster["items"])
        by_tag = await queries["breakdown_tag"]()
        tag_sums = {r["key"]: float(r["total"]) for r in await plain(SQL["breakdown_tag"])()}
        assert {i["key"] for i in by_tag["items"]} == set(tag_sums) and len(tag_sums) == min(
            CLUSTERS, 7
        )
        assert all(abs(i["amount"] - tag_sums[i["key"]]) < 1e-5 for i in by_tag["items"])

        samples: dict[str, list[float]] = {f"{n}_{k}": [] for n in SQL for k in ("rpc", "sql")}
        samples.update({f"{n}_rollup_sql": [] for n in ROLLUP_SQL})
        # The rollup's statement as plain SQL answers what the rows' statement answers.
        for name in ROLLUP_SQL:
            assert {r["key"]: round(float(r["total"]), 6) for r in await rolled(name)()} == {
                r["key"]: round(float(r["total"]), 6) for r in await plain(SQL[name])()
            }, name
        # The summary's sums taken over every row instead, as before the daily totals.
        over_rows = SQL["summary"].replace("cost.cost_daily_totals", "cost.cost_records")
        samples["summary_over_rows_sql"] = []
        for i in range(WARMUP + REQUESTS):
            for name, query in queries.items():
                # Alternating, so a burst from a neighbour on the machine hits both.
                rpc_ms = await timed(query)
                sql_ms = await timed(plain(SQL[name]))
                if i >= WARMUP:
                    samples[f"{name}_rpc"].append(rpc_ms)
                    samples[f"{name}_sql"].append(sql_ms)
                if name in ROLLUP_SQL:
                    rolled_ms = await timed(rolled(name))
                    if i >= WARMUP:
                        samples[f"{name}_rollup_sql"].append(rolled_ms)
            rows_ms = await timed(plain(over_rows))
            if i >= WARMUP:
                samples["summary_over_rows_sql"].append(rows_ms)
    finally:
        await gateway.nc.close()
        await stop_runtime(runtime)
        await sql.close()

    measured = {name: stats(values) for name, values in samples.items()}
    reads: dict[str, Any] = {}
    for name in SQL:
        rpc, base_sql = measured[f"{name}_rpc"], measured[f"{name}_sql"]
        reads[name] = {
            "rpc": rpc,
            "sql_baseline": base_sql,
            "p95_overhead_ms": round(rpc["p95_ms"] - base_sql["p95_ms"], 2),
            "met": rpc["p95_ms"] < TARGET_P95_MS,
        }
    reads["summary"]["sql_over_rows"] = measured["summary_over_rows_sql"]
    for name in ROLLUP_SQL:
        # The baseline above is the sums over every row; the query reads the rollup.
        rolled_sql = measured[f"{name}_rollup_sql"]
        reads[name]["sql_rollup"] = rolled_sql
        reads[name]["p95_overhead_ms"] = round(
            reads[name]["rpc"]["p95_ms"] - rolled_sql["p95_ms"], 2
        )
    return {
        "rows": rows,
        "seed_seconds": round(seed_seconds, 1),
        "reads": reads,
        "target_p95_ms": TARGET_P95_MS,
        "target_met": all(r["met"] for r in reads.values()),
    }


def main() -> dict[str, Any]:
    nats_dir, pg_dir = scratch_dir("sc-bench-nats-"), scratch_dir("sc-bench-pg-")
    nats_server = NatsServer(port=free_port(), store_dir=nats_dir).start()
    postgres = PostgresServer(data_dir=pg_dir).start()
    try:
        measured = asyncio.run(run(nats_server.url, postgres.url))
    finally:
        postgres.stop()
        nats_server.stop()
        shutil.rmtree(nats_dir, ignore_errors=True)
        shutil.rmtree(pg_dir, ignore_errors=True)
    result: dict[str, Any] = {
        "machine": f"{host.machine()}, {os.cpu_count()} cores, Python {host.python_version()}",
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "clusters": CLUSTERS,
        "days": DAYS,
        "requests": REQUESTS,
        **measured,
    }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "cost_summary.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
