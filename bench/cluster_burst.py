"""BURST_CLUSTERS (200) clusters requested at once: the time until every one is READY
(target: at least 20 clusters/s on 2 cores).

Starts the platform as `make run` does, with zero-duration emulators and the provisioning
poll interval at 0.1 s (as bench.cluster_latency). BURST_WORKSPACES workspaces each get a
credential for every local cloud; the clusters are spread round-robin over workspaces and
clouds, each with no node group and no network given (so one is planned and made).

Side by side in the same run, first: one cluster on its own (its POST → ClusterReady is
the floor a burst cannot beat) and a burst of BASELINE_CLUSTERS (20). Then the burst of
BURST_CLUSTERS. A burst's time runs from its first POST to the last ClusterReady's own
timestamp; clusters/s is its size over that time. The figures are the throughput of the
big burst relative to the small one, and its mean time per cluster relative to the single
cluster's latency.

Results are printed and written to bench/results/cluster_burst.json."""

from __future__ import annotations

import itertools
import json
import os
import platform as host
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.__main__ import MILESTONES, PROVIDERS, REGIONS, VERSIONS, stamp
from bench.cluster_latency import add_credential
from bench.platform import BENCH_ENV, running_platform
from tests.e2e.client import Api, SseStream

CLUSTERS = int(os.environ.get("BURST_CLUSTERS", "200"))
BASELINE_CLUSTERS = int(os.environ.get("BASELINE_CLUSTERS", "20"))
WORKSPACES = int(os.environ.get("BURST_WORKSPACES", "10"))
TIMEOUT_SECONDS = float(os.environ.get("BURST_TIMEOUT_SECONDS", "600"))
TARGET_PER_SECOND = 20.0
# Requests in flight at once from the client: enough that the POSTs land together.
CLIENT_THREADS = 32


class Workspace:
    """One signed-up user's workspace, a credential per cloud and a stream that records
    when each of its clusters' ClusterReady (or ClusterFailed) was stamped."""

    def __init__(self, url: str, state: Path) -> None:
        self.api = Api(url)
        self.api.signup()
        self.credentials = {p: add_credential(self.api, state, p) for p in PROVIDERS}
        self.ready: dict[str, float] = {}
        self.failed: dict[str, Any] = {}
        self.milestones: dict[str, dict[str, float]] = {}
        self.stream: SseStream = self.api.stream()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self.stream._stop.is_set():
            try:
                item = self.stream.events.get(timeout=0.5)
            except Exception:
                continue
            subject = str(
                item.data.get("subject") or (item.data.get("data") or {}).get("cluster_id")
            )
            for label, name, step in MILESTONES:
                if item.event == name and (step is None or item.data["data"].get("step") == step):
                    self.milestones.setdefault(subject, {}).setdefault(label, stamp(item.data))
            if item.event == "ClusterReady":
                self.ready[item.data["subject"]] = stamp(item.data)
            elif item.event == "ClusterFailed":
                self.failed[item.data["subject"]] = item.data.get("data")

    def create(self, provider: str) -> str:
        body = {
            "credential_id": self.credentials[provider],
            "name": f"u{uuid.uuid4().hex[:10]}",
            "version": VERSIONS[provider],
            "region": REGIONS[provider],
        }
        created = self.api.post(f"/api/v1/{provider}/kubernetes/clusters", json=body)
        if created.status_code != 202:
            print(f"POST failed: {created.status_code} {created.text}", file=sys.stderr)
            raise SystemExit("a create was refused")
        return str(created.json()["data"]["id"])


def burst(workspaces: list[Workspace], count: int) -> dict[str, Any]:
    plan = [
        (workspaces[i % len(workspaces)], PROVIDERS[(i // len(workspaces)) % len(PROVIDERS)])
        for i in range(count)
    ]
    started = time.time()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        ids = list(pool.map(lambda job: (job[0], job[0].create(job[1])), plan))
    posted = time.time() - started
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        left = [(ws, cid) for ws, cid in ids if cid not in ws.ready and cid not in ws.failed]
        if not left:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"{len(left)} of {count} clusters not READY in {TIMEOUT_SECONDS} s")
        time.sleep(0.1)
    failed = {cid: ws.failed[cid] for ws, cid in ids if cid in ws.failed}
    if failed:
        raise SystemExit(f"{len(failed)} clusters FAILED, e.g. {next(iter(failed.values()))}")
    readies = sorted(ws.ready[cid] - started for ws, cid in ids)
    labels = [label for label, _, _ in MILESTONES]
    stretches: dict[str, list[float]] = {}
    for ws, cid in ids:
        seen = ws.milestones.get(cid, {})
        for before, after in itertools.pairwise(labels):
            if before in seen and after in seen:
                stretches.setdefault(f"{before} -> {after}", []).append(seen[after] - seen[before])
    total = readies[-1]
    return {
        "clusters": count,
        "all_posted_seconds": round(posted, 3),
        "all_ready_seconds": round(total, 3),
        "clusters_per_second": round(count / total, 2),
        "ready_median_seconds": round(statistics.median(readies), 3),
        "ready_p95_seconds": round(readies[round(0.95 * (len(readies) - 1))], 3),
        "median_breakdown_seconds": {
            key: round(statistics.median(values), 3) for key, values in stretches.items()
        },
    }


SERVICES = ("gateway", "identity", "credential-vault", "provisioning", "network")


# The platform's other processes, by what their command line runs.
OTHERS = {
    "skyclust_tools.emulators.aws": "local AWS (moto)",
    "skyclust_tools.emulators.gcp": "local GCP",
    "skyclust_tools.emulators.azure": "local Azure",
    "nats-server": "nats-server",
    "postgres": "postgres",
}


def _stat(pid: int) -> tuple[int, float]:
    """The parent and the CPU time (user + system, seconds) of `pid`."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(state: Path) -> dict[str, float]:
    """CPU time each service process, each emulator, nats-server and PostgreSQL (the
    server and its live backends) have used so far."""
    procs: dict[int, tuple[int, float, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            parent, seconds = _stat(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue  # gone while we looked
        procs[int(entry.name)] = (parent, seconds, cmdline)
    used = {}
    launcher = 0
    for name in SERVICES:
        pid = int((state / "run" / f"{name}.pid").read_text())
        launcher, used[name], _ = procs[pid]
    postmasters = {
        pid for pid, (_, _, cmd) in procs.items() if "postgres" in cmd and str(state) in cmd
    }
    for pid, (parent, seconds, cmdline) in procs.items():
        label = None
        if pid in postmasters or parent in postmasters:
            label = "postgres"
        elif parent == launcher:
            label = next((v for k, v in OTHERS.items() if k in cmdline), None)
        if label is not None:
            used[label] = used.get(label, 0.0) + seconds
    return used


def main() -> dict[str, Any]:
    with running_platform() as running:
        url, state = running.url, running.state
        workspaces = [Workspace(url, state) for _ in range(WORKSPACES)]
        for provider in PROVIDERS:  # warm-up: SDK imports and clients, not measured
            burst_one = workspaces[0].create(provider)
            _wait_ready(workspaces[0], burst_one)
        single: list[float] = []
        for provider in PROVIDERS:
            t0 = time.time()
            cluster_id = workspaces[0].create(provider)
            single.append(_wait_ready(workspaces[0], cluster_id) - t0)
        small = burst(workspaces, BASELINE_CLUSTERS)
        load_before = os.getloadavg()[0]
        cpu_before = cpu_seconds(state)
        big = burst(workspaces, CLUSTERS)
        cpu = {k: v - cpu_before.get(k, 0.0) for k, v in cpu_seconds(state).items()}
        for ws in workspaces:
            ws.stream.close()
    single_seconds = statistics.median(single)
    result = {
        "machine": f"{host.machine()}, {os.cpu_count()} cores, Python {host.python_version()}",
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "settings": {
            "poll_interval_seconds": float(BENCH_ENV["SKYCLUST_POLL_INTERVAL_SECONDS"]),
            "emulator_operation_seconds": 0,
            "workspaces": WORKSPACES,
            "clouds": list(PROVIDERS),
            "node_groups": 0,
            "network": "generated (none given)",
        },
        "single_cluster_seconds": round(single_seconds, 3),
        "baseline_burst": small,
        "burst": big,
        # Other work on the machine shows here: the figures are only comparable between
        # runs at a similar load.
        "load_average_before_burst": round(load_before, 2),
        "burst_cpu_ms_per_cluster": {k: round(v * 1000 / CLUSTERS, 1) for k, v in cpu.items()},
        "target_clusters_per_second": TARGET_PER_SECOND,
        "meets_target": big["clusters_per_second"] >= TARGET_PER_SECOND,
        "burst_throughput_vs_baseline_burst": round(
            big["clusters_per_second"] / small["clusters_per_second"], 2
        ),
        "burst_seconds_per_cluster_vs_single_latency": round(
            big["all_ready_seconds"] / CLUSTERS / single_seconds, 3
        ),
    }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "cluster_burst.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"one cluster alone: {single_seconds:.3f} s POST -> ClusterReady")
    print(f"{'burst':<8} {'posted s':>9} {'all READY s':>12} {'clusters/s':>11} {'p50 s':>7}")
    for r in (small, big):
        print(
            f"{r['clusters']:<8} {r['all_posted_seconds']:>9.2f} {r['all_ready_seconds']:>12.2f}"
            f" {r['clusters_per_second']:>11.2f} {r['ready_median_seconds']:>7.2f}"
        )
    print(
        "median stretches in the burst: "
        + ", ".join(f"{k} {v}" for k, v in big["median_breakdown_seconds"].items())
    )
    print(
        "CPU ms per cluster: "
        + ", ".join(f"{k} {v}" for k, v in result["burst_cpu_ms_per_cluster"].items())
    )
    print(
        f"{CLUSTERS} vs {BASELINE_CLUSTERS}:"
        f" throughput x{result['burst_throughput_vs_baseline_burst']}"
        f", target {TARGET_PER_SECOND}/s met: {result['meets_target']}"
    )
    return result


def _wait_ready(ws: Workspace, cluster_id: str) -> float:
    deadline = time.monotonic() + 120
    while cluster_id not in ws.ready:
        if cluster_id in ws.failed:
            raise SystemExit(f"cluster FAILED: {ws.failed[cluster_id]}")
        if time.monotonic() > deadline:
            raise SystemExit(f"cluster {cluster_id} not READY in 120 s")
        time.sleep(0.02)
    return ws.ready[cluster_id]


if __name__ == "__main__":
    main()
