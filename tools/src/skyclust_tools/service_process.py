"""One service of `make run`: its process, started (or its `migrate` step) from the
workspace's root with its own environment and log, asked whether it is ready, stopped."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Service:
    name: str
    module: str
    env: dict[str, str]
    ready_url: str
    log_path: Path
    pid_path: Path
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    next_start: float = 0.0

    def _spawn(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        command = [sys.executable, "-m", self.module, *args]
        return subprocess.Popen(
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )

    def start(self) -> None:
        self.proc = self._spawn()
        self.started_at = time.monotonic()
        self.pid_path.write_text(str(self.proc.pid))

    def migrate(self) -> subprocess.Popen[bytes]:
        """The operator's `migrate` step, which the service itself no longer does."""
        return self._spawn("migrate")

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.ready_url, timeout=1) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, timeout: float = 10) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
