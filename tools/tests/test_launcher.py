"""The `make run` launcher: clean stop of every child, and a clear failure."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from skyclust_tools.embedded import free_port, scratch_dir

pytestmark = pytest.mark.integration


def launcher(state, env_extra: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYCLUST_")}
    env.update(env_extra)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "skyclust_tools.launcher",
            "--state-dir",
            str(state),
            "--gateway-port",
            str(free_port()),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True)
    tree: dict[int, list[int]] = {}
    for line in out.stdout.splitlines():
        child, parent = (int(x) for x in line.split())
        tree.setdefault(parent, []).append(child)
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in tree.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return not stat.stdout.strip().startswith("Z")


def test_sigterm_stops_every_child():
    state = scratch_dir("sc-launch-")
    proc = launcher(state, {})
    try:
        # The e2e platform's patience: on a loaded machine (a suite in parallel) the
        # whole start has taken longer than 90 s.
        deadline = time.monotonic() + 240
        while not (state / "dev.env").exists():
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "not ready in 240 s"
            time.sleep(0.2)
        values = dict(line.split("=", 1) for line in (state / "dev.env").read_text().splitlines())
        # Renamed into place whole, the moment it appears.
        assert not (state / "dev.env.partial").exists()
        assert set(values) >= {
            "SKYCLUST_GATEWAY_URL",
            "SKYCLUST_NATS_URL",
            "SKYCLUST_DATABASE_URL",
            "SKYCLUST_AWS_ENDPOINT_URL",
        }
        assert ":4222" not in values["SKYCLUST_NATS_URL"]
        spawned = children(proc.pid)
        service_pids = {
            int((state / "run" / f"{s}.pid").read_text())
            for s in ("identity", "credential-vault", "provisioning", "gateway")
        }
        assert service_pids <= spawned
        # pg_ctl daemonizes PostgreSQL, so it is found through its pid file.
        pidfile = state / "data" / "postgres" / "postmaster.pid"
        postgres = int(pidfile.read_text().splitlines()[0])
        assert alive(postgres)
        spawned.add(postgres)

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        time.sleep(0.5)
        assert not [p for p in spawned if alive(p)]
    finally:
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(state, ignore_errors=True)


def test_a_component_that_cannot_start_is_named_and_exits_non_zero():
    state = scratch_dir("sc-launch-")
    closed = free_port()
    proc = launcher(
        state, {"SKYCLUST_DATABASE_URL": f"postgresql://nobody@127.0.0.1:{closed}/none"}
    )
    try:
        output = proc.communicate(timeout=60)[0].decode()
        assert proc.returncode == 1
        assert "cannot start" in output
        assert "Traceback" not in output
        assert not (state / "dev.env").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(state, ignore_errors=True)


@pytest.mark.parametrize("value", ["0", "-1", "two", "", "6"])
def test_a_bad_replica_count_is_refused_with_the_setting_named(value: str) -> None:
    from skyclust_tools.embedded import EmbeddedError
    from skyclust_tools.launcher import replicas_setting

    with pytest.raises(EmbeddedError, match="SKYCLUST_REPLICAS must be a whole number"):
        replicas_setting(value)


def test_a_replica_count_is_read() -> None:
    from skyclust_tools.launcher import replicas_setting

    assert [replicas_setting(v) for v in ("1", "2", "5")] == [1, 2, 5]
