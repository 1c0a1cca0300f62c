"""Embedded servers for development and tests, on free ports of their own: nats-server
with JetStream, PostgreSQL (pgserver), and moto (plus what it lacks) as the local AWS."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


class EmbeddedError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise EmbeddedError(f"process exited with code {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise EmbeddedError(f"nothing listening on port {port} after {timeout}s")


def _binary(name: str) -> str:
    scripts = Path(sysconfig.get_path("scripts"))
    for candidate in (scripts / name, Path(sys.executable).parent / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise EmbeddedError(f"{name} not found; run `make install`")
    return found


@dataclass
class NatsServer:
    port: int
    store_dir: Path
    config_file: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    log_file: Path | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15) -> NatsServer:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        args = [_binary("nats-server"), "-a", "127.0.0.1", "-p", str(self.port), "-js"]
        args += ["-sd", str(self.store_dir)]
        if self.config_file is not None:
            args += ["-c", str(self.config_file)]
        log = open(self.log_file or os.devnull, "ab")  # noqa: SIM115 - owned by the child
        self.proc = subprocess.Popen(args, stdout=log, stderr=log)
        try:
            wait_for_port(self.port, timeout, self.proc)
        except EmbeddedError as exc:
            raise EmbeddedError(f"nats-server did not start: {exc}") from exc
        return self

    def stop(self) -> None:
        _terminate(self.proc)


# Every service's pool (its size and overflow) at up to five replicas, the operator
# commands and the tests' own connections.
MAX_CONNECTIONS = 600


@dataclass
class PostgresServer:
    data_dir: Path
    _server: object | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        assert self._server is not None
        uri: str = self._server.get_uri()  # type: ignore[attr-defined]
        return uri

    def start(self) -> PostgresServer:
        try:
            import pgserver
        except ImportError as exc:
            raise EmbeddedError(
                "no embedded PostgreSQL here: pgserver, which provides it, is installed only "
                "on CPython 3.11 and 3.12 on Linux x86_64 and macOS. Set SKYCLUST_DATABASE_URL "
                "to an administrator's URL of a PostgreSQL of your own (for example "
                "postgresql://postgres@127.0.0.1:5432/postgres) and run again"
            ) from exc
        # pgserver logs from an atexit hook, after test runners have closed their streams.
        logging.getLogger("pgserver").setLevel(logging.WARNING)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._server = pgserver.get_server(str(self.data_dir), cleanup_mode="stop")
            if self._max_connections() < MAX_CONNECTIONS:
                # A new data directory has PostgreSQL's 100, fewer than the platform's
                # pools at two replicas: set once, it takes a restart.
                self._server.psql(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS};")
                self._server.cleanup()
                self._server = pgserver.get_server(str(self.data_dir), cleanup_mode="stop")
        except Exception as exc:
            raise EmbeddedError(f"embedded PostgreSQL did not start: {exc}") from exc
        return self

    def _max_connections(self) -> int:
        shown: str = self._server.psql("SHOW max_connections;")  # type: ignore[attr-defined]
        numbers = [line.strip() for line in shown.splitlines() if line.strip().isdigit()]
        return int(numbers[0]) if numbers else 0

    def stop(self) -> None:
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._server.cleanup()  # type: ignore[attr-defined]


@dataclass
class MotoServer:
    """The local AWS: moto plus the EKS calls it lacks, faults and an admin API
    (`skyclust_tools.emulators.aws`, see tools/EMULATORS.md), as a process."""

    port: int
    proc: subprocess.Popen[bytes] | None = None
    log_file: Path | None = None
    # Seconds EKS version updates take; None keeps the emulator's defaults.
    duration_seconds: float | None = None
    # Billed seconds per real second (tools/EMULATORS.md, Billing); None: the default.
    billing_speed: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> MotoServer:
        log = open(self.log_file or os.devnull, "ab")  # noqa: SIM115 - owned by the child
        # Real AWS accounts have the AWS-managed IAM policies (AmazonEKSClusterPolicy...).
        env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
        args = [sys.executable, "-m", "skyclust_tools.emulators.aws"]
        args += ["-H", "127.0.0.1", "-p", str(self.port)]
        if self.duration_seconds is not None:
            args += ["--duration", str(self.duration_seconds)]
        if self.billing_speed is not None:
            args += ["--billing-speed", str(self.billing_speed)]
        self.proc = subprocess.Popen(args, stdout=log, stderr=log, env=env)
        try:
            wait_for_port(self.port, timeout, self.proc)
        except EmbeddedError as exc:
            raise EmbeddedError(f"moto did not start: {exc}") from exc
        return self

    def reset(self) -> None:
        """Forget every resource (moto's reset), fault and pending update."""
        request = urllib.request.Request(f"{self.url}/_emulator/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).close()

    def stop(self) -> None:
        _terminate(self.proc)


def _terminate(proc: subprocess.Popen[bytes] | None, timeout: float = 5) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


def scratch_dir(prefix: str) -> Path:
    # Unix-socket paths are limited to ~100 bytes, so Postgres data lives under a short path.
    return Path(tempfile.mkdtemp(prefix=prefix))


@dataclass
class EmulatorServer:
    """The project's GCP or Azure emulator as a process (`kind` is "gcp" or "azure")."""

    kind: str
    port: int
    duration_seconds: float = 2.0
    tls_dir: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    log_file: Path | None = None
    billing_speed: float | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.kind == "azure" else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def ca_bundle(self) -> Path | None:
        return self.tls_dir / "ca.pem" if self.tls_dir else None

    def start(self, timeout: float = 30) -> EmulatorServer:
        args = [
            sys.executable,
            "-m",
            f"skyclust_tools.emulators.{self.kind}",
            "--port",
            str(self.port),
            "--duration",
            str(self.duration_seconds),
            "--log-level",
            "warning",
        ]
        if self.kind == "azure":
            assert self.tls_dir is not None, "the Azure emulator needs a TLS directory"
            self.tls_dir.mkdir(parents=True, exist_ok=True)
            args += ["--tls-dir", str(self.tls_dir)]
        if self.billing_speed is not None:
            args += ["--billing-speed", str(self.billing_speed)]
        log = open(self.log_file or os.devnull, "ab")  # noqa: SIM115 - owned by the child
        self.proc = subprocess.Popen(args, stdout=log, stderr=log)
        try:
            wait_for_port(self.port, timeout, self.proc)
        except EmbeddedError as exc:
            raise EmbeddedError(f"the {self.kind.upper()} emulator did not start: {exc}") from exc
        return self

    def stop(self) -> None:
        _terminate(self.proc)
