"""The whole platform, started by the same launcher as `make run`, on free ports and a
temporary state directory, with short intervals so the lifecycle runs in seconds."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from skyclust_tools.embedded import free_port, scratch_dir
from skyclust_tools.oidc_provider import Client, OidcProvider, running_provider

from .client import Api

FAST = {
    "SKYCLUST_POLL_INTERVAL_SECONDS": "0.5",
    "SKYCLUST_ACK_WAIT_SECONDS": "3",
    "SKYCLUST_RETRY_BACKOFF_SECONDS": "[0.2, 0.5, 1.0, 2.0]",
    "SKYCLUST_OUTBOX_POLL_SECONDS": "0.2",
    "SKYCLUST_SSE_HEARTBEAT_SECONDS": "2",
    "SKYCLUST_EMULATOR_DURATION_SECONDS": "0",
    "SKYCLUST_SWEEP_INTERVAL_SECONDS": "3",
    "SKYCLUST_DRIFT_INTERVAL_SECONDS": "1",
    "SKYCLUST_DRIFT_BACKOFF_MAX_SECONDS": "3",
    # So that the exec-plugin test can outlive a static kubeconfig's token.
    "SKYCLUST_KUBECONFIG_TOKEN_LIFETIME_SECONDS": "8",
    # Every e2e client is 127.0.0.1, and the fuzzer fails many logins on purpose: the
    # per-client login throttle is shown by identity's own tests instead.
    "SKYCLUST_LOGIN_MAX_FAILURES_PER_CLIENT": "100000",
    "SKYCLUST_RATE_LIMIT_PER_CLIENT_PER_MINUTE": "100000",
    # Likewise for the per-client throttle of account emails (password resets).
    "SKYCLUST_ACCOUNT_EMAILS_PER_CLIENT": "100000",
    # The webhook tests' receivers listen on 127.0.0.1, and retry in seconds, not hours.
    "SKYCLUST_WEBHOOK_ALLOWED_CIDRS": "127.0.0.0/8",
    "SKYCLUST_WEBHOOK_RETRY_SCHEDULE": "0.5,1,2,4,8,16",
    "SKYCLUST_WEBHOOK_POLL_SECONDS": "0.2",
    # A delivery claimed by a killed process is sent again after this.
    "SKYCLUST_WEBHOOK_CONNECT_TIMEOUT_SECONDS": "2",
    "SKYCLUST_WEBHOOK_READ_TIMEOUT_SECONDS": "5",
    "SKYCLUST_WEBHOOK_LEASE_SECONDS": "10",
}


# A loaded 2-core machine has been seen to need over two minutes for the first start.
STARTUP_SECONDS = int(os.environ.get("SKYCLUST_E2E_STARTUP_SECONDS", "240"))


@dataclass
class Platform:
    state_dir: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes]

    @property
    def gateway_url(self) -> str:
        return self.env["SKYCLUST_GATEWAY_URL"]

    def pid(self, service: str) -> int:
        return int((self.state_dir / "run" / f"{service}.pid").read_text())

    def secrets(self) -> dict[str, object]:
        loaded: dict[str, object] = json.loads((self.state_dir / "secrets.json").read_text())
        return loaded

    def logs(self) -> dict[str, str]:
        return {
            path.name: path.read_text(errors="replace")
            for path in (self.state_dir / "logs").glob("*.log")
        }

    def api(self) -> Api:
        return Api(self.gateway_url)


OIDC_CLIENT = Client("skyclust-e2e", "e2e-client-secret")


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    """The project's local OIDC provider, configured in the platform as `local`."""
    with running_provider(clients=[OIDC_CLIENT]) as provider:
        yield provider


@pytest.fixture(scope="session")
def platform(oidc_provider: OidcProvider) -> Iterator[Platform]:
    env = platform_env()
    env["SKYCLUST_OIDC_PROVIDERS"] = json.dumps(
        {
            "local": {
                "issuer": oidc_provider.issuer,
                "client_id": OIDC_CLIENT.client_id,
                "client_secret": OIDC_CLIENT.client_secret,
            }
        }
    )
    with launched(env) as started:
        yield started


@contextlib.contextmanager
def launched(env: dict[str, str]) -> Iterator[Platform]:
    """The launcher started with `env` on a state directory of its own; yields once it has
    written dev.env (everything ready), and stops it all on exit."""
    state = scratch_dir("sc-e2e-")
    port = free_port()
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
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        # Its own process group, so a platform that never became ready is stopped whole
        # (every service and embedded server) and does not load the machine for later tests.
        start_new_session=True,
    )
    env_file = state / "dev.env"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while not env_file.exists():
            if proc.poll() is not None:
                output = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"the platform did not start:\n{output}")
            if time.monotonic() > deadline:
                pytest.fail(f"the platform was not ready within {STARTUP_SECONDS} s")
            time.sleep(0.2)
        values = dict(
            line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line
        )
        yield Platform(state, values, proc)
    finally:
        _stop(proc)
        shutil.rmtree(state, ignore_errors=True)


def platform_env(**extra: str) -> dict[str, str]:
    """This process's environment without its SKYCLUST_ settings, with the fast intervals."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYCLUST_")}
    env.update(FAST)
    # The services' own readiness gets the same patience as the whole start.
    env["SKYCLUST_READY_TIMEOUT_SECONDS"] = str(STARTUP_SECONDS)
    env.update(extra)
    return env


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM lets the launcher stop what it started (the embedded PostgreSQL runs in a
    session of its own); whatever of the group is left after 30 s is killed."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def local_aws_credential(platform: Platform) -> dict[str, object]:
    body: dict[str, object] = json.loads(
        (platform.state_dir / "credentials" / "aws.json").read_text()
    )
    return body
