"""`make bench`: start the platform as `make run` does and measure
- how long the launcher takes to be ready (target: under 60 s), and
- POST /clusters → ClusterReady on the SSE stream, with the provisioning poll interval at
  0.1 s so the number is what SkyClust adds on top of the cloud (moto answers at once).

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
from pathlib import Path

from skyclust_tools.embedded import free_port, scratch_dir
from tests.e2e.client import Api

RUNS = int(os.environ.get("BENCH_RUNS", "20"))


def main() -> None:
    state = scratch_dir("sc-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYCLUST_")}
    env.update({"SKYCLUST_POLL_INTERVAL_SECONDS": "0.1", "SKYCLUST_OUTBOX_POLL_SECONDS": "0.2"})
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
            if proc.poll() is not None or time.monotonic() - started > 120:
                raise SystemExit("the platform did not start")
            time.sleep(0.05)
        ready_seconds = time.monotonic() - started
        api = Api(f"http://127.0.0.1:{port}")
        api.signup()
        body = json.loads((state / "credentials" / "aws.json").read_text())
        credential = api.post("/api/v1/credentials", json=body).json()["data"]["id"]
        stream = api.stream(types="ClusterReady")
        latencies = []
        for n in range(RUNS):
            t0 = time.monotonic()
            created = api.post(
                "/api/v1/aws/kubernetes/clusters",
                json={
                    "credential_id": credential,
                    "name": f"bench-{n}",
                    "version": "1.29",
                    "region": "us-east-1",
                },
            )
            cluster_id = created.json()["data"]["id"]
            stream.until("ClusterReady", cluster_id)
            latencies.append(time.monotonic() - t0)
        stream.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        shutil.rmtree(state, ignore_errors=True)

    latencies.sort()
    result = {
        "machine": f"{host.machine()}, {os.cpu_count()} cores, Python {host.python_version()}",
        "launcher_ready_seconds": round(ready_seconds, 2),
        "cluster_ready": {
            "runs": RUNS,
            "median_seconds": round(statistics.median(latencies), 3),
            "p95_seconds": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
            "max_seconds": round(latencies[-1], 3),
        },
    }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
