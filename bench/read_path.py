"""An authenticated read through the whole stack against a bare FastAPI app, side by side
in one run (targets: at least 50% of bare's req/s, p99 no more than 3x bare's).

Starts the platform as `make run` does (the launcher, free ports, a scratch state
directory), registers, logs in, and creates three clusters on the local AWS in the
workspace. Then wrk (`apt-get install -y wrk` if it is missing) runs
GET /api/v1/aws/kubernetes/clusters with the Bearer token at READ_PATH_CONNECTIONS
connections (default 32 and 4) for READ_PATH_SECONDS each, on the gateway and on
bench.bare_app serving the very same envelope from memory on uvicorn + uvloop + httptools.
The gateway is measured twice: as a dashboard polls it (its read cache answers, see
docs/api.md) and with `Cache-Control: no-cache`, where every read goes through NATS to
provisioning and PostgreSQL.
The two targets alternate, each measured READ_PATH_ROUNDS times after a warm-up, and the
best round of each is kept so a burst from another process on the machine penalises
neither side.

Next to each run, the CPU time the gateway and provisioning (and the bare app) spent per
request, from /proc: on a machine shared with other work, req/s and latency move with the
neighbours, CPU per request much less.

Results are printed and written to bench/results/read_path.json."""

from __future__ import annotations

import json
import os
import platform as host
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.platform import running_platform
from skyclust_tools.embedded import free_port
from tests.e2e.client import Api

PATH = "/api/v1/aws/kubernetes/clusters"
SECONDS = int(os.environ.get("READ_PATH_SECONDS", "10"))
ROUNDS = int(os.environ.get("READ_PATH_ROUNDS", "2"))
CONNECTIONS = tuple(int(c) for c in os.environ.get("READ_PATH_CONNECTIONS", "32,4").split(","))
CLUSTERS = 3
TARGET_RATIO = 0.5
TARGET_P99_FACTOR = 3.0
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
        found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed and could not be installed")
    return found


def _ms(value: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", value)
    if match is None:
        raise ValueError(f"not a wrk duration: {value}")
    return float(match[1]) * _UNITS[match[2]]


def parse_wrk(output: str) -> dict[str, float]:
    """req/s, p50 and p99 (ms) and the error count from `wrk --latency` output."""
    rate = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    if not (rate and p50 and p99):
        raise ValueError(f"unexpected wrk output:\n{output}")
    total = re.search(r"([0-9]+) requests in", output)
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+([0-9]+)", output)
    if non_2xx:
        errors += int(non_2xx[1])
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket:
        errors += sum(int(x) for x in socket.groups())
    return {
        "requests_per_second": round(float(rate[1]), 1),
        "p50_ms": round(_ms(p50[1]), 2),
        "p99_ms": round(_ms(p99[1]), 2),
        "errors": errors,
        "requests": int(total[1]) if total else 0,
    }


Pids = tuple[int, ...]


def cpu_seconds(pids: Pids) -> float:
    """User + system CPU time so far of a group of processes (from /proc/<pid>/stat)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended (a Postgres backend closed by the pool)
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def descendants(root: int) -> dict[int, str]:
    """Every process under `root`, with its command line."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            commands[int(entry.name)] = command.decode(errors="replace")
        except (OSError, ValueError):
            continue
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = commands.get(pid, "")
                frontier.append(pid)
    return found


def platform_pids(state: Path, launcher: int) -> dict[str, Pids]:
    groups: dict[str, Pids] = {
        service: (int((state / "run" / f"{service}.pid").read_text()),)
        for service in ("gateway", "provisioning")
    }
    under = descendants(launcher)
    groups["nats-server"] = tuple(pid for pid, cmd in under.items() if "nats-server" in cmd)
    # The embedded Postgres daemonises: its postmaster, and the backends under it, are
    # found from its pid file (the backends the pools hold once warmed up).
    postmaster = int((state / "data" / "postgres" / "postmaster.pid").read_text().split()[0])
    groups["postgres"] = (postmaster, *descendants(postmaster))
    return groups


IDLE_SECONDS = 3.0
# CPU per second each process spends with no load (its own timers, loops and sweeps),
# measured before the load and taken off what a run spent.
_background: dict[Pids, float] = {}


def measure_background(pids: dict[str, Pids]) -> None:
    before = {group: cpu_seconds(group) for group in pids.values()}
    time.sleep(IDLE_SECONDS)
    for pid, spent in before.items():
        _background[pid] = (cpu_seconds(pid) - spent) / IDLE_SECONDS


def wrk(
    url: str,
    token: str,
    connections: int,
    seconds: int,
    pids: dict[str, Pids] | None = None,
    headers: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One wrk run; with `pids`, also the CPU each of those processes spent per request
    (in microseconds, less what it spends idle), which neighbours on a shared machine
    skew much less than req/s or latency."""
    before = {name: cpu_seconds(pid) for name, pid in (pids or {}).items()}
    started = time.monotonic()
    threads = min(2, connections)
    result = subprocess.run(
        [
            wrk_binary(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            *(arg for header in headers for arg in ("-H", header)),
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    parsed: dict[str, Any] = parse_wrk(result.stdout)
    parsed["load_average_1m"] = round(os.getloadavg()[0], 2)
    elapsed = time.monotonic() - started
    if pids and parsed["requests"]:
        parsed["cpu_us_per_request"] = {
            name: round(
                max(0.0, cpu_seconds(pid) - before[name] - _background.get(pid, 0.0) * elapsed)
                / parsed["requests"]
                * 1e6,
                1,
            )
            for name, pid in pids.items()
        }
    return parsed


# One client in one workspace sends every request of the load: the limits would measure
# the limiter's 429s instead of the read.
UNLIMITED = {
    "SKYCLUST_RATE_LIMIT_PER_CLIENT_PER_MINUTE": "1000000000",
    "SKYCLUST_RATE_LIMIT_PER_WORKSPACE_PER_MINUTE": "1000000000",
}


def seed(api: Api, state: Path) -> list[dict[str, Any]]:
    """A user, a workspace, an AWS credential and three READY clusters in it."""
    api.signup()
    body = json.loads((state / "credentials" / "aws.json").read_text())
    created = api.post("/api/v1/credentials", json=body)
    assert created.status_code == 201, created.text
    credential = created.json()["data"]["id"]
    for n in range(CLUSTERS):
        made = api.post(
            PATH,
            json={
                "credential_id": credential,
                "name": f"read-path-{n}",
                "version": "1.30",
                "region": "us-east-1",
            },
        )
        assert made.status_code == 202, made.text
    deadline = time.monotonic() + 120
    while True:
        listed = api.get(PATH)
        assert listed.status_code == 200, listed.text
        items: list[dict[str, Any]] = listed.json()["data"]
        if len(items) == CLUSTERS and all(c["status"] == "READY" for c in items):
            return items
        if time.monotonic() > deadline:
            raise SystemExit(f"clusters not READY: {[c['status'] for c in items]}")
        time.sleep(0.2)


def start_bare(items: list[dict[str, Any]], scratch: Path) -> tuple[subprocess.Popen[bytes], int]:
    items_file = scratch / "items.json"
    items_file.write_text(json.dumps(items))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.bare_app", "--port", str(port), "--items", str(items_file)],
        cwd=Path(__file__).resolve().parent.parent,
    )
    deadline = time.monotonic() + 30
    bare = Api(f"http://127.0.0.1:{port}")
    while True:
        try:
            if bare.get(PATH).status_code == 200:
                return proc, port
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the bare app did not start") from None
        time.sleep(0.1)


# What each target is asked: the gateway twice, as a dashboard polls it (its read cache
# answers) and with `Cache-Control: no-cache` (every read goes to provisioning and
# Postgres), and the bare app.
TARGETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "skyclust": ("skyclust", ()),
    "skyclust, no cache": ("skyclust", ("Cache-Control: no-cache",)),
    "bare": ("bare", ()),
}


def measure(urls: dict[str, str], token: str, pids: dict[str, dict[str, Pids]]) -> dict[str, Any]:
    for group in pids.values():
        measure_background(group)
    results: dict[str, Any] = {}
    for connections in CONNECTIONS:
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in TARGETS}
        for _ in range(ROUNDS):
            for name, (server, headers) in TARGETS.items():
                run = wrk(urls[server], token, connections, SECONDS, pids[server], headers)
                rounds[name].append(run)
        best = {
            name: max(runs, key=lambda r: r["requests_per_second"]) for name, runs in rounds.items()
        }
        bare = best["bare"]
        row: dict[str, Any] = {**best, "all_rounds": rounds}
        for name, prefix in (("skyclust", ""), ("skyclust, no cache", "no_cache_")):
            ratio = best[name]["requests_per_second"] / bare["requests_per_second"]
            p99_factor = best[name]["p99_ms"] / bare["p99_ms"]
            row[f"{prefix}req_per_s_ratio"] = round(ratio, 3)
            row[f"{prefix}p99_factor"] = round(p99_factor, 2)
            row[f"{prefix}met"] = ratio >= TARGET_RATIO and p99_factor <= TARGET_P99_FACTOR
        results[f"c{connections}"] = row
    return results


def table(result: dict[str, Any]) -> str:
    lines = [
        f"machine load average (1 min) before: {result['load_average_before'][0]}, after:"
        f" {result['load_average_after'][0]} (2 cores; above 2, neighbours share the CPU)",
        f"{'load':<6} {'target':<19} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
        "   CPU us/request",
    ]
    for load, row in result["loads"].items():
        for name in TARGETS:
            r = row[name]
            cpu = ", ".join(f"{k} {v:.0f}" for k, v in r.get("cpu_us_per_request", {}).items())
            lines.append(
                f"{load:<6} {name:<19} {r['requests_per_second']:>9.0f} {r['p50_ms']:>8.2f}"
                f" {r['p99_ms']:>8.2f} {r['errors']:>7}   {cpu}"
            )
        for name, prefix in (("skyclust", ""), ("skyclust, no cache", "no_cache_")):
            lines.append(
                f"{load:<6} {name}: {row[prefix + 'req_per_s_ratio']:.1%} of bare req/s"
                f" (target >= {TARGET_RATIO:.0%}), p99 {row[prefix + 'p99_factor']:.2f}x bare"
                f" (target <= {TARGET_P99_FACTOR:.0f}x):"
                f" {'met' if row[prefix + 'met'] else 'NOT met'}"
            )
    return "\n".join(lines)


def main() -> dict[str, Any]:
    load_before = [round(x, 2) for x in os.getloadavg()]
    bare_proc = None
    with running_platform(UNLIMITED) as running:
        try:
            api = Api(running.url)
            items = seed(api, running.state)
            assert api.token is not None
            with tempfile.TemporaryDirectory() as scratch:
                bare_proc, bare_port = start_bare(items, Path(scratch))
                urls = {
                    "skyclust": f"{running.url}{PATH}",
                    "bare": f"http://127.0.0.1:{bare_port}{PATH}",
                }
                for url in urls.values():  # warm-up: imports, connection pools, caches
                    wrk(url, api.token, 32, 2)
                pids: dict[str, dict[str, Pids]] = {
                    "skyclust": platform_pids(running.state, running.launcher_pid),
                    "bare": {"bare app": (bare_proc.pid,)},
                }
                loads = measure(urls, api.token, pids)
        finally:
            if bare_proc is not None:
                bare_proc.send_signal(signal.SIGTERM)
                bare_proc.wait(30)
    result = {
        "machine": f"{host.machine()}, {os.cpu_count()} cores, Python {host.python_version()}",
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "load_generator": f"wrk, {SECONDS} s per round, best of {ROUNDS} rounds",
        "path": PATH,
        "clusters": CLUSTERS,
        "targets": {"req_per_s_ratio": TARGET_RATIO, "p99_factor": TARGET_P99_FACTOR},
        "loads": loads,
    }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "read_path.json").write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    return result


if __name__ == "__main__":
    main()
