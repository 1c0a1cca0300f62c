"""`make bench`: every benchmark of the platform, one after the other, each starting the
platform as `make run` does and measuring against a baseline in the same run:

- `bench.read_path`: an authenticated read through the whole stack vs a bare FastAPI app
  on the same server stack (a);
- `bench.gateway_stack`: the gateway's ASGI app vs the bare app, CPU per cached read in one
  process, no server or network; no platform (a');
- `bench.sse_fanout`: 1,000 and 10,000 streams on one gateway vs a bare sse-starlette app (b);
- `bench.idle_memory`: each service's resident memory at idle, next to bare imports (c);
- `bench.cluster_latency`: POST -> ClusterReady per cloud with zero-duration emulators (d);
- `bench.cluster_burst`: 200 clusters asked for at once, next to one alone and 20 (e).
- `bench.cost_forecast`: the cost forecast's backtest error (MAPE) next to the seed's linear
  regression on the same synthetic history; no platform (f).
- `bench.cost_summary`: the cost summary and breakdown queries over a year of 1,000
  clusters' daily cost vs the same SQL; no platform (g).
- `bench.cost_estimate`: the cost estimate query's latency vs the bare price-book
  computation in-process and a bare NATS round trip of the same size; no platform (h).

`BENCH_ONLY=read_path,idle_memory` runs some of them. Each writes its own
bench/results/<name>.json; the headline figures of each benchmark's latest run are kept
in bench/results/latest.json.
The helpers below (one create, its milestones) are shared by the cluster benchmarks."""

from __future__ import annotations

import importlib
import json
import os
import platform as host
import statistics
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.e2e.client import Api, SseStream

RUNS = int(os.environ.get("BENCH_RUNS", "20"))
PROVIDERS = ("aws", "gcp", "azure")
REGIONS = {"aws": "us-east-1", "gcp": "us-central1", "azure": "westeurope"}
VERSIONS = {"aws": "1.30", "gcp": "1.31", "azure": "1.31"}
NODE_GROUP = {"name": "workers", "min_size": 1, "max_size": 3, "desired_size": 1}
# (label, event, step): the milestones of a create, in order.
MILESTONES = (
    ("requested", "ClusterRequested", None),
    ("network step", "ClusterProvisioning", "network"),
    ("network ready", "ClusterNetworkReady", None),
    ("control-plane step", "ClusterProvisioning", "control-plane"),
    ("node-groups step", "ClusterProvisioning", "node-groups"),
    ("ready", "ClusterReady", None),
)


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_seconds": round(statistics.median(ordered), 3),
        "p95_seconds": round(ordered[round(0.95 * (len(ordered) - 1))], 3),
        "max_seconds": round(ordered[-1], 3),
    }


def stamp(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["time"]).timestamp()


def until(stream: SseStream, cluster_id: str, last: str, timeout: float = 120) -> list[Any]:
    """The cluster's events up to `last`, each with the moment it reached the client."""
    mine = []
    for item in stream.until(last, cluster_id, timeout=timeout):
        data = item.data.get("data") or {}
        if cluster_id in (item.data.get("subject"), data.get("cluster_id")):
            mine.append((item, time.time()))
    return mine


def one_create(
    api: Api, stream: SseStream, provider: str, credential: str, groups: bool
) -> tuple[float, dict[str, float], str]:
    """POST → ClusterReady on the stream, and the share of each stretch between."""
    body: dict[str, Any] = {
        "credential_id": credential,
        "name": f"b{uuid.uuid4().hex[:10]}",
        "version": VERSIONS[provider],
        "region": REGIONS[provider],
    }
    if groups:
        body["node_groups"] = [NODE_GROUP]
    posted, t0 = time.time(), time.monotonic()
    created = api.post(f"/api/v1/{provider}/kubernetes/clusters", json=body)
    assert created.status_code == 202, created.text
    cluster_id = created.json()["data"]["id"]
    seen = until(stream, cluster_id, "ClusterReady")
    latency = time.monotonic() - t0
    moments = [posted]
    for _, name, step in MILESTONES:
        moments.append(
            min(  # the first: a reply the network service repeats comes again
                stamp(item.data)
                for item, _ in seen
                if item.event == name and (step is None or item.data["data"].get("step") == step)
            )
        )
    moments.append(seen[-1][1])
    labels = [label for label, _, _ in MILESTONES] + ["on the stream"]
    stretches = {
        f"{before} -> {after}": moments[i + 1] - moments[i]
        for i, (before, after) in enumerate(zip(["POST", *labels[:-1]], labels, strict=True))
    }
    return latency, stretches, cluster_id


def delete_all(api: Api, stream: SseStream, provider: str, cluster_ids: list[str]) -> None:
    for cluster_id in cluster_ids:
        deleted = api.delete(f"/api/v1/{provider}/kubernetes/clusters/{cluster_id}")
        assert deleted.status_code == 202, deleted.text
    left, deadline = set(cluster_ids), time.monotonic() + 120
    while left:
        assert time.monotonic() < deadline, f"not deleted: {sorted(left)}"
        for item in stream.take(1, timeout=deadline - time.monotonic()):
            if item.event == "ClusterDeleted":
                left.discard(item.data["subject"])


def series(
    api: Api, stream: SseStream, provider: str, credential: str, groups: bool
) -> dict[str, Any]:
    first, _, warm_up = one_create(api, stream, provider, credential, groups)
    latencies, parts, made = [], [], [warm_up]
    for _ in range(RUNS):
        latency, stretches, cluster_id = one_create(api, stream, provider, credential, groups)
        latencies.append(latency)
        parts.append(stretches)
        made.append(cluster_id)
    delete_all(api, stream, provider, made)
    return {
        "runs": RUNS,
        **summary(latencies),
        "first_run_seconds": round(first, 3),
        "median_breakdown_seconds": {
            key: round(statistics.median(p[key] for p in parts), 3) for key in parts[0]
        },
    }


BENCHMARKS = (
    "read_path",
    "gateway_stack",
    "sse_fanout",
    "idle_memory",
    "cluster_latency",
    "cluster_burst",
    "cost_forecast",
    "cost_summary",
    "cost_estimate",
)


def headline(name: str, result: dict[str, Any] | None) -> dict[str, Any]:
    """The figures the README's table shows, from one benchmark's result."""
    if result is None:
        return {}
    if name == "read_path":
        return {
            load: {
                key: row[key]
                for key in (
                    "req_per_s_ratio",
                    "p99_factor",
                    "met",
                    "no_cache_req_per_s_ratio",
                    "no_cache_p99_factor",
                    "no_cache_met",
                )
                if key in row
            }
            for load, row in result["loads"].items()
        }
    figures = {k: v for k, v in result.items() if not isinstance(v, (dict, list))}
    if name == "sse_fanout":
        figures["runs"] = [
            {k: r[k] for k in ("target", "streams", "p50_ms", "p99_ms", "kb_per_stream", "missed")}
            for r in result["runs"]
        ]
    elif name == "idle_memory":
        figures["services_idle_mb"] = result["services_idle_mb"]
    elif name == "cluster_latency":
        figures["median_seconds"] = {
            k: v["median_seconds"] for k, v in result["cluster_ready"].items()
        }
    elif name == "cluster_burst":
        figures["clusters_per_second"] = result["burst"]["clusters_per_second"]
        figures["baseline_burst_clusters_per_second"] = result["baseline_burst"][
            "clusters_per_second"
        ]
    elif name == "gateway_stack":
        figures["cpu_us_per_request"] = result["cpu_us_per_request"]
    elif name == "cost_summary":
        figures["p95_ms"] = {k: v["rpc"]["p95_ms"] for k, v in result["reads"].items()}
    elif name == "cost_estimate":
        figures["p50_ms"] = {k: v["p50_ms"] for k, v in result["all"].items()}
    return figures


def main() -> None:
    chosen = [n for n in os.environ.get("BENCH_ONLY", ",".join(BENCHMARKS)).split(",") if n]
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        raise SystemExit(f"unknown benchmarks {unknown}; there are {list(BENCHMARKS)}")
    summary_of_run: dict[str, Any] = {
        "machine": f"{host.machine()}, {os.cpu_count()} cores, Python {host.python_version()}",
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    for name in chosen:
        print(f"== bench.{name}", flush=True)
        started = time.monotonic()
        module = importlib.import_module(f"bench.{name}")
        result = module.main()
        summary_of_run[name] = {
            "seconds": round(time.monotonic() - started, 1),
            "results_file": f"bench/results/{name}.json",
            **headline(name, result if isinstance(result, dict) else None),
        }
    summary_of_run["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    latest = out / "latest.json"
    # A run of some benchmarks replaces their figures and keeps the others'.
    kept = json.loads(latest.read_text()) if latest.exists() else {}
    runs = {k: v for k, v in kept.get("benchmarks", {}).items() if k not in chosen}
    runs.update({name: {**summary_of_run[name], **_run_context(summary_of_run)} for name in chosen})
    merged = {"benchmarks": {name: runs[name] for name in BENCHMARKS if name in runs}}
    latest.write_text(json.dumps(merged, indent=2) + "\n")
    print(json.dumps(summary_of_run, indent=2))


def _run_context(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "machine": run["machine"],
        "load_average_before": run["load_average_before"],
        "load_average_after": run["load_average_after"],
        "run_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


if __name__ == "__main__":
    main()
