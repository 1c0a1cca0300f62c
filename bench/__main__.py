"""`make bench`: start the platform as `make run` does and measure
- how long the launcher takes to be ready (target: under 60 s), and
- POST /clusters → ClusterReady on the SSE stream, on each local cloud (moto, the GCP and
  the Azure emulators), for a cluster given no network (so one is planned and made), with
  no node group and with one. The emulators finish every operation at once and the
  provisioning poll interval is 0.1 s, so the numbers are what SkyClust adds on top of
  the cloud (target: under 2 s).

Each series starts with one unmeasured run (the first cluster of a kind in a process pays
for imports and clients; its time is reported as `first_run_seconds`), then BENCH_RUNS
measured ones, one at a time. Where the time goes is taken from the events' own
timestamps: POST → ClusterRequested (the API), → the network step starts (the saga
picks the request up), → ClusterNetworkReady (the network service makes the network),
→ the control-plane step starts, → the node-groups step starts (the cloud's control
plane), → ClusterReady (node groups), and ClusterReady → seen on the stream.

Results are printed and written to bench/results/latest.json."""

from __future__ import annotations

import json
import os
import platform as host
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from skyclust_tools.embedded import free_port, scratch_dir
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


def main() -> None:
    state = scratch_dir("sc-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYCLUST_")}
    env.update(
        {
            "SKYCLUST_POLL_INTERVAL_SECONDS": "0.1",
            "SKYCLUST_OUTBOX_POLL_SECONDS": "0.2",
            "SKYCLUST_EMULATOR_DURATION_SECONDS": "0",
        }
    )
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
    results: dict[str, Any] = {}
    try:
        while not (state / "dev.env").exists():
            if proc.poll() is not None or time.monotonic() - started > 120:
                raise SystemExit("the platform did not start")
            time.sleep(0.05)
        ready_seconds = time.monotonic() - started
        api = Api(f"http://127.0.0.1:{port}")
        api.signup()
        stream = api.stream()
        for provider in PROVIDERS:
            body = json.loads((state / "credentials" / f"{provider}.json").read_text())
            credential = api.post("/api/v1/credentials", json=body).json()["data"]["id"]
            for groups in (False, True):
                key = f"{provider}, {'one node group' if groups else 'no node group'}"
                results[key] = series(api, stream, provider, credential, groups)
                print(f"{key}: {json.dumps(results[key])}", flush=True)
        stream.close()
    except BaseException:
        print(f"the platform's logs: {state / 'logs'}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(state, ignore_errors=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)

    result = {
        "machine": f"{host.machine()}, {os.cpu_count()} cores, Python {host.python_version()}",
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "launcher_ready_seconds": round(ready_seconds, 2),
        "settings": {
            "poll_interval_seconds": 0.1,
            "outbox_poll_seconds": 0.2,
            "emulator_operation_seconds": 0,
            "network": "generated (none given)",
        },
        "cluster_ready": results,
    }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
