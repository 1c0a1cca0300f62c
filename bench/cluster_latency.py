"""POST /clusters → ClusterReady, on each local cloud, with emulators that finish every
operation at once (target: median under 0.5 s).

Starts the platform as `make run` does (the launcher, in a scratch state directory), with
the provisioning poll interval at 0.1 s and zero-duration emulators, so the time is what
SkyClust adds on top of the cloud. Per cloud, one unmeasured warm-up create (imports and
SDK clients load on first use), then BENCH_RUNS measured creates one at a time, with no
node group and with one, each given no network (so one is planned and made).

Where the time goes comes from the events' own timestamps, as in `make bench`: POST →
ClusterRequested → the network step starts → ClusterNetworkReady → the control-plane
step → the node-groups step → ClusterReady → seen on the stream. Each figure is a
percentile of the runs, and the median is also given as a share of the 0.5 s target.

Results are printed and written to bench/results/cluster_latency.json."""

from __future__ import annotations

import json
import os
import platform as host
import statistics
from pathlib import Path
from typing import Any

from bench.__main__ import PROVIDERS, delete_all, one_create, summary
from bench.platform import BENCH_ENV, running_platform
from tests.e2e.client import Api

RUNS = int(os.environ.get("BENCH_RUNS", "20"))
TARGET_SECONDS = 0.5


def add_credential(api: Api, state: Path, provider: str) -> str:
    body = json.loads((state / "credentials" / f"{provider}.json").read_text())
    created = api.post("/api/v1/credentials", json=body)
    assert created.status_code in (200, 201), created.text
    return str(created.json()["data"]["id"])


def series(api: Any, stream: Any, provider: str, credential: str, groups: bool) -> dict[str, Any]:
    one_create(api, stream, provider, credential, groups)  # warm-up, not measured
    latencies, parts, made = [], [], []
    for _ in range(RUNS):
        latency, stretches, cluster_id = one_create(api, stream, provider, credential, groups)
        latencies.append(latency)
        parts.append(stretches)
        made.append(cluster_id)
    delete_all(api, stream, provider, made)
    ordered = sorted(latencies)
    return {
        "runs": RUNS,
        **summary(ordered),
        "median_vs_target": round(statistics.median(ordered) / TARGET_SECONDS, 2),
        "median_breakdown_seconds": {
            key: round(statistics.median(p[key] for p in parts), 3) for key in parts[0]
        },
    }


def main() -> dict[str, Any]:
    providers = os.environ.get("BENCH_PROVIDERS", ",".join(PROVIDERS)).split(",")
    results: dict[str, Any] = {}
    with running_platform() as running:
        url, state = running.url, running.state
        api = Api(url)
        api.signup()
        stream = api.stream()
        for provider in providers:
            credential = add_credential(api, state, provider)
            for groups in (False, True):
                key = f"{provider}, {'one node group' if groups else 'no node group'}"
                results[key] = series(api, stream, provider, credential, groups)
        stream.close()
    medians = [r["median_seconds"] for r in results.values()]
    result = {
        "machine": f"{host.machine()}, {os.cpu_count()} cores, Python {host.python_version()}",
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "settings": {
            "poll_interval_seconds": float(BENCH_ENV["SKYCLUST_POLL_INTERVAL_SECONDS"]),
            "outbox_poll_seconds": float(BENCH_ENV["SKYCLUST_OUTBOX_POLL_SECONDS"]),
            "emulator_operation_seconds": 0,
            "network": "generated (none given)",
        },
        "target_median_seconds": TARGET_SECONDS,
        "all_medians_under_target": all(m < TARGET_SECONDS for m in medians),
        "cluster_ready": results,
    }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "cluster_latency.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'series':<28} {'median':>8} {'p95':>8} {'vs 0.5 s':>9}")
    for key, r in results.items():
        print(
            f"{key:<28} {r['median_seconds']:>8.3f} {r['p95_seconds']:>8.3f}"
            f" {r['median_vs_target']:>9.2f}"
        )
        print("    " + ", ".join(f"{k} {v:.3f}" for k, v in r["median_breakdown_seconds"].items()))
    return result


if __name__ == "__main__":
    main()
