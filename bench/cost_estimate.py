"""The cost estimate's latency: `EstimateClusterCost`, the NATS query behind `POST
/api/v1/cost-analysis/estimate`, against two baselines measured in the same run (target:
p95 under 200 ms, the seed's API target):

- the bare computation: the same bodies priced in-process by the service's own price
  book (`domain/estimate.py`: parse the body, price each line, shape the answer), the
  work the query does once the request has arrived;
- a bare NATS round trip: a plain subscriber on the same nats-server answering a
  request of the same size with an answer of the same size, the transport alone.

Starts a nats-server and an embedded PostgreSQL, migrates the cost schema, and runs the
cost service's own runtime and handlers in this process (collection, budget checks and
price refreshes off, so the price book is the shipped default table, as without a
pricing API). A body per cloud (a control plane, two node groups, GKE's and AKS's first
pool, a NAT gateway and a load balancer), each asked in turn from a second connection,
as the gateway asks it, COST_ESTIMATE_REQUESTS (300) times after a warm-up, each
alternating with the two baselines so a burst from a neighbour on the machine hits all
three. Reported: p50, p95 and max of each, and the query's p95 over the two baselines'
(the bus's contract validation, tracing headers and the answer's validation on top).
The REST route adds the gateway's hop, which `bench.read_path` measures. Results go to
bench/results/cost_estimate.json. It starts no platform: `python -m bench.cost_estimate`."""

from __future__ import annotations

import asyncio
import json
import os
import platform as host
import shutil
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import nats
from skyclust_cost.adapters.db import metadata
from skyclust_cost.bootstrap import MIGRATIONS, SERVICE, wire
from skyclust_cost.domain.estimate import ClusterRequest, estimate
from skyclust_cost.settings import CostSettings

from bench.cost_summary import stats, timed
from skyclust_common.contracts import load_registry
from skyclust_common.dbadmin import provision_service
from skyclust_common.messaging import Bus, BusConfig
from skyclust_common.migrations import upgrade_head
from skyclust_common.runtime import start_runtime, stop_runtime
from skyclust_tools.embedded import NatsServer, PostgresServer, free_port, scratch_dir

REQUESTS = int(os.environ.get("COST_ESTIMATE_REQUESTS", "300"))
WARMUP = 20
TARGET_P95_MS = 200.0
ECHO = "bench.cost_estimate.echo"
NETWORK = {"nat_gateways": 1, "load_balancers": 1}
BODIES: dict[str, dict[str, Any]] = {
    "aws": {
        "provider": "aws",
        "region": "us-east-1",
        "version": "1.30",
        "node_groups": [
            {"name": "workers", "instance_type": "t3.large", "desired_size": 3, "max_size": 6},
            {"name": "batch", "instance_type": "t3.xlarge", "desired_size": 1, "min_size": 0},
        ],
        "network_pieces": NETWORK,
    },
    "gcp": {
        "provider": "gcp",
        "region": "us-central1",
        "version": "1.31",
        "gcp_config": {"machine_type": "e2-standard-2", "node_count": 2},
        "node_groups": [
            {"name": "workers", "instance_type": "e2-standard-4", "desired_size": 3},
            {"name": "batch", "desired_size": 1, "min_size": 0, "max_size": 4},
        ],
        "network_pieces": NETWORK,
    },
    "azure": {
        "provider": "azure",
        "region": "westeurope",
        "version": "1.31",
        "control_plane_tier": "standard",
        "azure_config": {"vm_size": "Standard_D2s_v5", "node_count": 1},
        "node_groups": [
            {"name": "workers", "instance_type": "Standard_D4s_v5", "desired_size": 2},
            {"name": "batch", "desired_size": 1, "max_size": 3},
        ],
        "network_pieces": NETWORK,
    },
}


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
    workspace = str(uuid.uuid4())
    bodies = {p: {"workspace_id": workspace, **b} for p, b in BODIES.items()}
    runtime = await start_runtime(SERVICE, settings, metadata, MIGRATIONS)
    gateway = Bus(await nats.connect(nats_url), load_registry(), BusConfig("gateway"))
    responder = await nats.connect(nats_url)
    try:
        deps = await wire(runtime, settings, collectors={}, pricing={})
        answers = {
            p: estimate(ClusterRequest.from_dict(b), deps.prices.book).as_dict()
            for p, b in bodies.items()
        }
        # The transport alone: the same bytes each way, answered without any work.
        sizes = {p: len(json.dumps(a).encode()) for p, a in answers.items()}

        async def respond(msg: Any) -> None:
            await msg.respond(b"x" * int(msg.data))

        await responder.subscribe(ECHO, cb=respond)
        await responder.flush()
        await runtime.bus.nc.flush()

        def rpc(p: str) -> Callable[[], Awaitable[Any]]:
            return lambda: gateway.request(SERVICE, "EstimateClusterCost", bodies[p], timeout=30)

        def compute(p: str) -> Callable[[], Awaitable[Any]]:
            async def priced() -> dict[str, Any]:
                return estimate(ClusterRequest.from_dict(bodies[p]), deps.prices.book).as_dict()

            return priced

        def echo(p: str) -> Callable[[], Awaitable[Any]]:
            request = str(sizes[p]).encode().ljust(len(json.dumps(bodies[p])))
            return lambda: gateway.nc.request(ECHO, request, timeout=30)

        for p in bodies:
            # The query answers what the service's price book gives, every line priced.
            answer = await rpc(p)()
            assert answer == answers[p], (answer, answers[p])
            assert float(answer["monthly"]) > 0 and len(answer["line_items"]) >= 4, answer
            assert len((await echo(p)()).data) == sizes[p]

        kinds = {"rpc": rpc, "compute": compute, "nats_echo": echo}
        samples: dict[str, dict[str, list[float]]] = {p: {k: [] for k in kinds} for p in bodies}
        for i in range(WARMUP + REQUESTS):
            for p in bodies:
                for kind, made in kinds.items():
                    ms = await timed(made(p))
                    if i >= WARMUP:
                        samples[p][kind].append(ms)
    finally:
        await responder.close()
        await gateway.nc.close()
        await stop_runtime(runtime)

    per_cloud = {p: {k: stats(v) for k, v in by.items()} for p, by in samples.items()}
    every = {k: stats([ms for by in samples.values() for ms in by[k]]) for k in kinds}
    baseline_p95 = every["compute"]["p95_ms"] + every["nats_echo"]["p95_ms"]
    return {
        "requests_per_cloud": REQUESTS,
        "monthly_estimate": {p: a["monthly"] for p, a in answers.items()},
        "price_source": {p: a["price_source"] for p, a in answers.items()},
        "answer_bytes": sizes,
        "per_cloud": per_cloud,
        "all": every,
        "rpc_p50_ms": every["rpc"]["p50_ms"],
        "rpc_p95_ms": every["rpc"]["p95_ms"],
        "compute_p95_ms": every["compute"]["p95_ms"],
        "nats_echo_p95_ms": every["nats_echo"]["p95_ms"],
        "p95_overhead_ms": round(every["rpc"]["p95_ms"] - baseline_p95, 2),
        "target_p95_ms": TARGET_P95_MS,
        "target_met": every["rpc"]["p95_ms"] < TARGET_P95_MS,
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
        **measured,
    }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "cost_estimate.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
