"""Resident memory of every service at idle (target: each under 150 MB RSS).

Starts the platform as `make run` does (the launcher, in a scratch state directory), waits
until it is ready and then IDLE_MEMORY_SETTLE_SECONDS idle, and reads VmRSS from
/proc/<pid>/status of each service process (the launcher writes their pids to
<state>/run/<service>.pid) and of the emulators (the launcher's other children, for
information: they are dev tools, not services). Side by side, in the same run, the RSS of a
bare Python process that imports only what every service stands on
(`fastapi, nats, sqlalchemy.ext.asyncio`).

Then, for information, one cluster with one node group is created on each local cloud
(AWS on moto, GCP and Azure on the emulators) and deleted again, and RSS is read once more:
the cloud SDKs load on first use, so this is what a service that has served every cloud
holds.

Results are printed and written to bench/results/idle_memory.json."""

from __future__ import annotations

import json
import os
import platform as host
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.__main__ import PROVIDERS, delete_all, one_create
from bench.platform import running_platform
from tests.e2e.client import Api

TARGET_MB = 150.0
SERVICES = ("gateway", "identity", "credential-vault", "provisioning", "network")
SETTLE_SECONDS = float(os.environ.get("IDLE_MEMORY_SETTLE_SECONDS", "5"))
BASELINE_IMPORTS = "fastapi, nats, sqlalchemy.ext.asyncio"
# The launcher's other children, by what their command line runs.
EMULATORS = {
    "skyclust_tools.emulators.aws": "local AWS (moto)",
    "skyclust_tools.emulators.gcp": "local GCP (emulator)",
    "skyclust_tools.emulators.azure": "local Azure (emulator)",
    "nats-server": "nats-server",
}


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/status")


def rss_mb(pid: int) -> float:
    return round(status_kb(pid, "VmRSS") / 1024, 1)


def children(parent: int) -> dict[int, str]:
    """The direct children of `parent`, with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if status_kb(int(entry.name), "PPid") != parent:
                continue
            found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, LookupError):
            continue  # gone while we looked, or a kernel thread
    return found


def service_pids(state: Path) -> dict[str, int]:
    return {name: int((state / "run" / f"{name}.pid").read_text()) for name in SERVICES}


def emulator_pids(launcher: int) -> dict[str, int]:
    found = {}
    for pid, cmdline in children(launcher).items():
        for needle, label in EMULATORS.items():
            if needle in cmdline:
                found[label] = pid
    return found


def snapshot(pids: dict[str, int]) -> dict[str, float]:
    return {name: rss_mb(pid) for name, pid in pids.items()}


def baseline_rss() -> float:
    """RSS of a bare process that imports only the stack every service is built on."""
    code = f"import sys; import {BASELINE_IMPORTS}; print('up', flush=True); sys.stdin.read()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != b"up":
            raise SystemExit("the baseline process did not start")
        time.sleep(1)
        return rss_mb(proc.pid)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)


def create_and_delete_one_of_each(port: int, state: Path) -> None:
    api = Api(f"http://127.0.0.1:{port}")
    api.signup()
    stream = api.stream()
    try:
        for provider in PROVIDERS:
            body = json.loads((state / "credentials" / f"{provider}.json").read_text())
            created = api.post("/api/v1/credentials", json=body)
            assert created.status_code == 201, created.text
            credential = created.json()["data"]["id"]
            _, _, cluster_id = one_create(api, stream, provider, credential, groups=True)
            delete_all(api, stream, provider, [cluster_id])
    finally:
        stream.close()


def table(result: dict[str, Any]) -> str:
    idle, after = result["services_idle_mb"], result["services_after_one_create_mb"]
    lines = [
        f"{'process':<24} {'idle MB':>8} {'target':>7} {'ok':>3} {'after create MB':>16}",
    ]
    for name in SERVICES:
        ok = "yes" if idle[name] < TARGET_MB else "NO"
        lines.append(
            f"{name:<24} {idle[name]:>8.1f} {TARGET_MB:>7.0f} {ok:>3} {after[name]:>16.1f}"
        )
    lines.append(f"{'baseline (bare imports)':<24} {result['baseline_mb']:>8.1f}")
    for name, mb in result["emulators_idle_mb"].items():
        later = result["emulators_after_one_create_mb"].get(name, float("nan"))
        lines.append(f"{name:<24} {mb:>8.1f} {'-':>7} {'-':>3} {later:>16.1f}")
    return "\n".join(lines)


def main() -> dict[str, Any]:
    with running_platform() as running:
        ready_seconds = running.ready_seconds
        time.sleep(SETTLE_SECONDS)
        services = service_pids(running.state)
        emulators = emulator_pids(running.launcher_pid)
        idle = snapshot(services)
        emulators_idle = snapshot(emulators)
        baseline = baseline_rss()
        create_and_delete_one_of_each(running.port, running.state)
        time.sleep(SETTLE_SECONDS)
        # A service the launcher had to restart would be measured fresh, not after the work.
        assert service_pids(running.state) == services, "a service restarted during the run"
        after = snapshot(services)
        emulators_after = snapshot(emulators)

    result = {
        "machine": f"{host.machine()}, {os.cpu_count()} cores, Python {host.python_version()}",
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "launcher_ready_seconds": round(ready_seconds, 2),
        "settle_seconds": SETTLE_SECONDS,
        "target_mb": TARGET_MB,
        "baseline": f"python -c 'import {BASELINE_IMPORTS}'",
        "baseline_mb": baseline,
        "services_idle_mb": idle,
        "services_idle_ratio_to_baseline": {k: round(v / baseline, 2) for k, v in idle.items()},
        "all_services_under_target": all(v < TARGET_MB for v in idle.values()),
        "services_after_one_create_mb": after,
        "emulators_idle_mb": emulators_idle,
        "emulators_after_one_create_mb": emulators_after,
    }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "idle_memory.json").write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
