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

import contextlib
import json
import os
import platform as host
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.__main__ import PROVIDERS, delete_all, one_create, summary
from skyclust_tools.embedded import free_port, scratch_dir
from tests.e2e.client import Api

RUNS = int(os.environ.get("BENCH_RUNS", "20"))
TARGET_SECONDS = 0.5
# A machine busy with other work can take minutes to bring the platform up.
START_TIMEOUT_SECONDS = float(os.environ.get("BENCH_START_TIMEOUT_SECONDS", "300"))
# What the bench platform runs with: a cloud operation is polled every 0.1 s and the
# emulators finish at once, so the figures are SkyClust's own.
BENCH_ENV = {
    "SKYCLUST_POLL_INTERVAL_SECONDS": "0.1",
    "SKYCLUST_OUTBOX_POLL_SECONDS": "0.2",
    "SKYCLUST_EMULATOR_DURATION_SECONDS": "0",
}


@contextlib.contextmanager
def running_platform(extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, Path]]:
    """The whole platform from the launcher, as `make run` starts it: yields the gateway's
    URL and the state directory (credentials/<cloud>.json, logs/, run/<service>.pid)."""
    state = scratch_dir("sc-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYCLUST_")}
    env.update(BENCH_ENV)
    env.update(extra_env or {})
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "skyclust_tools.launcher",
            "--state-dir",
            str(state),
            "--gateway-port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not (state / "dev.env").exists():
            if proc.poll() is not None or time.monotonic() - started > START_TIMEOUT_SECONDS:
                raise SystemExit("the platform did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", state
    except BaseException:
        print(f"the platform's logs: {state / 'logs'}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(state, ignore_errors=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


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
    with running_platform() as (url, state):
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
