"""The whole platform for a benchmark, started by the launcher as `make run` starts it,
on free ports and a scratch state directory, with the bench's settings."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from skyclust_tools.embedded import free_port, scratch_dir

# A machine busy with other work can take minutes to bring the platform up.
START_TIMEOUT_SECONDS = float(os.environ.get("BENCH_START_TIMEOUT_SECONDS", "300"))
# What the bench platform runs with: a cloud operation is polled every 0.1 s and the
# emulators finish at once, so the figures are SkyClust's own.
BENCH_ENV = {
    "SKYCLUST_POLL_INTERVAL_SECONDS": "0.1",
    "SKYCLUST_OUTBOX_POLL_SECONDS": "0.2",
    "SKYCLUST_EMULATOR_DURATION_SECONDS": "0",
}


@dataclass
class Running:
    url: str
    port: int
    # credentials/<cloud>.json, logs/, run/<service>.pid
    state: Path
    launcher_pid: int
    ready_seconds: float


@contextlib.contextmanager
def running_platform(extra_env: dict[str, str] | None = None) -> Iterator[Running]:
    """The platform until the block ends; its state directory is kept (and named) when
    the block fails, for its logs."""
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
        ready = time.monotonic() - started
        yield Running(f"http://127.0.0.1:{port}", port, state, proc.pid, ready)
    except BaseException:
        print(f"the platform's logs: {state / 'logs'}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(state, ignore_errors=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
