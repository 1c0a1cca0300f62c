"""`make run`: the whole platform on one machine with nothing else running.

Starts nats-server (JetStream), PostgreSQL (embedded unless SKYCLUST_DATABASE_URL names
one), moto as the local AWS, then every service; restarts a service that dies, with
backoff; writes .skyclust/dev.env once everything is ready; stops it all on Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import string
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from skyclust_common.dbadmin import provision_service

from .embedded import (
    EmbeddedError,
    EmulatorServer,
    MotoServer,
    NatsServer,
    PostgresServer,
    free_port,
)
from .emulators import AdminError, AzureAdmin, GcpAdmin
from .mail_sink import MailSink
from .nats_auth import ADMIN_USER, inbox_prefix, nats_config, public_access
from .service_process import ROOT, Service
from .state_secrets import state_secrets

AZURE_FIELDS = ("tenant_id", "client_id", "client_secret", "subscription_id")
DB_SERVICES = ("identity", "credential-vault", "provisioning", "network", "notification", "cost")
NATS_USERS = ("gateway", *DB_SERVICES)


def replicas_setting(value: str) -> int:
    """SKYCLUST_REPLICAS: how many of each service `make run` starts (1 to 5)."""
    try:
        replicas = int(value)
    except ValueError:
        replicas = 0
    if not 1 <= replicas <= 5:
        raise EmbeddedError(f"SKYCLUST_REPLICAS must be a whole number from 1 to 5, not {value!r}")
    return replicas


@dataclass
class Platform:
    state_dir: Path
    gateway_port: int
    quiet: bool = False
    servers: list[Any] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    stopping: bool = False

    def say(self, message: str) -> None:
        if not self.quiet:
            print(f"skyclust: {message}", flush=True)

    def _secrets(self) -> dict[str, Any]:
        return state_secrets(self.state_dir / "secrets.json", DB_SERVICES, NATS_USERS)

    def _local_cloud_credentials(self, gcp_url: str | None, azure: EmulatorServer | None) -> None:
        """Bodies for POST /api/v1/credentials that work against the local clouds."""
        folder = self.state_dir / "credentials"
        folder.mkdir(exist_ok=True)

        def write(name: str, body: dict[str, Any]) -> None:
            path = folder / f"{name}.json"
            path.write_text(json.dumps(body, indent=2) + "\n")
            path.chmod(0o600)

        if not (folder / "aws.json").exists():
            alphabet = string.ascii_uppercase + string.digits
            write(
                "aws",
                {
                    "provider": "aws",
                    "name": "local-aws",
                    "data": {
                        "access_key_id": "AKIA"
                        + "".join(secrets.choice(alphabet) for _ in range(16)),
                        "secret_access_key": secrets.token_urlsafe(30),
                        "region": "us-east-1",
                    },
                },
            )
        if gcp_url is not None:
            # The emulator keeps nothing between runs: a fresh key every start.
            key = GcpAdmin(gcp_url).create_service_account_key("skyclust-local")
            write(
                "gcp",
                {
                    "provider": "gcp",
                    "name": "local-gcp",
                    "data": {"service_account_json": json.dumps(key)},
                },
            )
        if azure is not None:
            saved = folder / "azure.json"
            previous = json.loads(saved.read_text())["data"] if saved.exists() else {}
            account = AzureAdmin(azure.url, verify=str(azure.ca_bundle)).create_account(
                **{k: previous[k] for k in AZURE_FIELDS if k in previous}
            )
            write(
                "azure",
                {
                    "provider": "azure",
                    "name": "local-azure",
                    "data": {k: account[k] for k in AZURE_FIELDS},
                },
            )

    def start(self) -> dict[str, str]:
        for sub in ("data", "logs", "run"):
            (self.state_dir / sub).mkdir(parents=True, exist_ok=True)
        secret = self._secrets()
        logs = self.state_dir / "logs"

        nats_url = os.environ.get("SKYCLUST_NATS_URL")
        tools_nats_url = nats_url
        # One NATS user per service, only its subjects; an external NATS has them too.
        nats_users: dict[str, str] = dict(secret["nats_passwords"])
        identity_env: dict[str, str] = {}  # the public API's keys for identity: docs/nats-api.md
        if not nats_url:
            identity_env = (access := public_access(self.state_dir / "secrets.json")).identity_env
            config = self.state_dir / "data" / "nats.conf"
            config.write_text(
                nats_config(
                    nats_users,
                    private_inboxes=True,
                    admin_password=secret["nats_admin_password"],
                    **access.config_args,
                )
            )
            config.chmod(0o600)
            nats = NatsServer(
                port=free_port(),
                store_dir=self.state_dir / "data" / "nats",
                config_file=config,
                log_file=logs / "nats-server.log",
            )
            self.servers.append(nats.start())
            nats_url = nats.url
            admin = quote(secret["nats_admin_password"], safe="")
            tools_nats_url = f"nats://{ADMIN_USER}:{admin}@127.0.0.1:{nats.port}"
        self.say(f"NATS JetStream at {nats_url}")

        admin_url = os.environ.get("SKYCLUST_DATABASE_URL")
        if not admin_url:
            pg = PostgresServer(self.state_dir / "data" / "postgres")
            self.servers.append(pg.start())
            admin_url = pg.url
        self.say("PostgreSQL ready")

        # A billed day a real minute: a new cluster shows cost a few minutes later.
        speed = float(os.environ.get("SKYCLUST_BILLING_SPEED", "1440"))
        aws_url = os.environ.get("SKYCLUST_AWS_ENDPOINT_URL")
        if not aws_url:
            moto = MotoServer(port=free_port(), log_file=logs / "moto.log", billing_speed=speed)
            self.servers.append(moto.start())
            aws_url = moto.url
        self.say(f"local AWS (moto) at {aws_url}")

        duration = float(os.environ.get("SKYCLUST_EMULATOR_DURATION_SECONDS", "2"))
        gcp_url = os.environ.get("SKYCLUST_GCP_ENDPOINT_URL")
        gcp_local = None
        if not gcp_url:
            gcp_local = EmulatorServer(
                "gcp",
                free_port(),
                duration,
                log_file=logs / "gcp-emulator.log",
                billing_speed=speed,
            )
            self.servers.append(gcp_local.start())
            gcp_url = gcp_local.url
        self.say(f"local GCP (emulator) at {gcp_url}")
        azure_url = os.environ.get("SKYCLUST_AZURE_ENDPOINT_URL")
        azure_ca = os.environ.get("SKYCLUST_AZURE_CA_BUNDLE", "")
        azure_local = None
        if not azure_url:
            azure_local = EmulatorServer(
                "azure",
                free_port(),
                duration,
                tls_dir=self.state_dir / "data" / "azure-tls",
                log_file=logs / "azure-emulator.log",
                billing_speed=speed,
            )
            self.servers.append(azure_local.start())
            azure_url, azure_ca = azure_local.url, str(azure_local.ca_bundle)
        self.say(f"local Azure (emulator) at {azure_url}")

        smtp_host = os.environ.get("SKYCLUST_SMTP_HOST")
        smtp_port = os.environ.get("SKYCLUST_SMTP_PORT", "587")
        if not smtp_host:
            sink = MailSink(self.state_dir / "mail", free_port())
            self.servers.append(sink.start())
            smtp_host, smtp_port = "127.0.0.1", str(sink.port)
            self.say(f"local mail server at 127.0.0.1:{sink.port}; mail goes to {sink.folder}")

        role_urls = asyncio.run(self._provision(admin_url, secret["db_passwords"]))
        self._local_cloud_credentials(gcp_local.url if gcp_local else None, azure_local)

        # Everything but the URLs each service gets its own of.
        own = ("SKYCLUST_DATABASE_URL", "SKYCLUST_NATS_URL")
        passthrough = {k: v for k, v in os.environ.items() if k not in own}
        common = {
            **passthrough,
            "SKYCLUST_NATS_URL": nats_url,
            "SKYCLUST_CONTRACTS_DIR": str(ROOT / "contracts"),
            "SKYCLUST_AWS_ENDPOINT_URL": aws_url,
            "SKYCLUST_GCP_ENDPOINT_URL": gcp_url,
            "SKYCLUST_AZURE_ENDPOINT_URL": azure_url,
            "SKYCLUST_AZURE_CA_BUNDLE": azure_ca,
            "PYTHONUNBUFFERED": "1",
        }
        gateway_url = f"http://127.0.0.1:{self.gateway_port}"
        specs: list[tuple[str, str, dict[str, str]]] = [
            (
                "identity",
                "skyclust_identity",
                {
                    "SKYCLUST_DATABASE_URL": role_urls["identity"],
                    "SKYCLUST_MFA_KEYS": json.dumps(secret["mfa_keys"]),
                },
            ),
            (
                "credential-vault",
                "skyclust_vault",
                {
                    "SKYCLUST_DATABASE_URL": role_urls["credential-vault"],
                    "SKYCLUST_VAULT_KEYS": json.dumps(secret["vault_keys"]),
                    "SKYCLUST_VAULT_ACTIVE_KEY": secret["vault_active_key"],
                },
            ),
            (
                "provisioning",
                "skyclust_provisioning",
                {
                    "SKYCLUST_DATABASE_URL": role_urls["provisioning"],
                    "SKYCLUST_AWS_ENDPOINT_URL": aws_url,
                },
            ),
            (
                "network",
                "skyclust_network",
                {
                    "SKYCLUST_DATABASE_URL": role_urls["network"],
                    "SKYCLUST_AWS_ENDPOINT_URL": aws_url,
                },
            ),
            ("cost", "skyclust_cost", {"SKYCLUST_DATABASE_URL": role_urls["cost"]}),
            (
                "notification",
                "skyclust_notification",
                {
                    "SKYCLUST_DATABASE_URL": role_urls["notification"],
                    "SKYCLUST_PUBLIC_URL": gateway_url,
                    "SKYCLUST_SMTP_HOST": smtp_host,
                    "SKYCLUST_SMTP_PORT": smtp_port,
                    "SKYCLUST_WEBHOOK_SECRETS_KEYS": json.dumps(secret["webhook_secrets_keys"]),
                    # The version that seals (a local rotation adds one and names it).
                    "SKYCLUST_WEBHOOK_SECRETS_ACTIVE_KEY": str(
                        secret.get("webhook_secrets_active_key", "v1")
                    ),
                },
            ),
            ("gateway", "skyclust_gateway", {"SKYCLUST_GATEWAY_PORT": str(self.gateway_port)}),
        ]
        # SKYCLUST_REPLICAS runs each service that many times side by side (one NATS
        # user and database role per service, a health port and a log each; the other
        # gateways on ports of their own), as a deployment with replicas would.
        replicas = replicas_setting(os.environ.get("SKYCLUST_REPLICAS", "1"))
        runs = [
            (kind, kind if n == 1 else f"{kind}-{n}", module, env)
            for kind, module, env in specs
            for n in range(1, replicas + 1)
        ]
        for kind, name, module, env in runs:
            if kind == "gateway" and name != "gateway":
                env = {**env, "SKYCLUST_GATEWAY_PORT": str(free_port())}
            if kind in nats_users:
                env = {
                    **env,
                    "SKYCLUST_NATS_USER": kind,
                    "SKYCLUST_NATS_PASSWORD": nats_users[kind],
                    "SKYCLUST_NATS_INBOX_PREFIX": inbox_prefix(kind),
                    **(identity_env if kind == "identity" else {}),
                }
            if kind == "gateway":
                # The public port answers /readyz too; /metrics is on the health port.
                ready = f"http://127.0.0.1:{env['SKYCLUST_GATEWAY_PORT']}/readyz"
                env = {**env, "SKYCLUST_HEALTH_PORT": str(free_port())}
            else:
                port = free_port()
                env = {**env, "SKYCLUST_HEALTH_PORT": str(port)}
                ready = f"http://127.0.0.1:{port}/readyz"
            self.services.append(
                Service(
                    name=name,
                    module=module,
                    env={**common, **env},
                    ready_url=ready,
                    log_path=logs / f"{name}.log",
                    pid_path=self.state_dir / "run" / f"{name}.pid",
                )
            )
        self._migrate(max(120.0, float(os.environ.get("SKYCLUST_READY_TIMEOUT_SECONDS", "90"))))
        for service in self.services:
            service.start()
        self._wait_ready(timeout=float(os.environ.get("SKYCLUST_READY_TIMEOUT_SECONDS", "90")))

        values = {
            "SKYCLUST_GATEWAY_URL": gateway_url,
            "SKYCLUST_NATS_URL": tools_nats_url or nats_url,
            "SKYCLUST_NATS_PUBLIC_URL": nats_url,  # an API key as the token: docs/nats-api.md
            "SKYCLUST_DATABASE_URL": admin_url,
            "SKYCLUST_AWS_ENDPOINT_URL": aws_url,
            "SKYCLUST_GCP_ENDPOINT_URL": gcp_url,
            "SKYCLUST_AZURE_ENDPOINT_URL": azure_url,
            "SKYCLUST_AZURE_CA_BUNDLE": azure_ca,
        }
        # Written aside and renamed into place: whoever waits for dev.env (the e2e tests,
        # tools) never reads it half written.
        env_file = self.state_dir / "dev.env"
        partial = env_file.with_name("dev.env.partial")
        partial.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        partial.replace(env_file)
        return values

    async def _provision(self, admin_url: str, passwords: dict[str, str]) -> dict[str, str]:
        return {
            svc: await provision_service(admin_url, svc, password)
            for svc, password in passwords.items()
        }

    def _migrate(self, timeout: float = 120) -> None:
        steps = [(service, service.migrate()) for service in self.services]
        for service, proc in steps:
            try:
                code = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                code = -1
            if code != 0:
                tail = service.log_path.read_text(errors="replace")[-3000:]
                raise EmbeddedError(
                    f"{service.name} migrate exited with code {code}; its log"
                    f" ({service.log_path}) ends with:\n{tail}"
                )
        self.say("migrations applied")

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(self.services)
        while pending:
            for service in list(pending):
                assert service.proc is not None
                if service.proc.poll() is not None:
                    tail = service.log_path.read_text(errors="replace")[-3000:]
                    raise EmbeddedError(
                        f"{service.name} exited with code {service.proc.returncode} while "
                        f"starting; its log ({service.log_path}) ends with:\n{tail}"
                    )
                if service.ready():
                    self.say(f"{service.name} ready")
                    pending.remove(service)
            if time.monotonic() > deadline:
                names = ", ".join(s.name for s in pending)
                raise EmbeddedError(f"not ready after {timeout:.0f}s: {names}")
            time.sleep(0.1)

    def supervise(self) -> None:
        """Restart services that die, with exponential backoff (reset after a minute up)."""
        while not self.stopping:
            now = time.monotonic()
            for service in self.services:
                assert service.proc is not None
                if service.proc.poll() is None:
                    if now - service.started_at > 60:
                        service.restarts = 0
                    continue
                if service.next_start == 0.0:
                    delay = min(0.5 * 2**service.restarts, 30.0)
                    service.next_start = now + delay
                    self.say(
                        f"{service.name} exited with code {service.proc.returncode}; "
                        f"restarting in {delay:.1f}s"
                    )
                elif now >= service.next_start:
                    service.restarts += 1
                    service.next_start = 0.0
                    service.start()
            time.sleep(0.2)

    def stop(self) -> None:
        self.stopping = True
        for service in reversed(self.services):
            service.stop()
        for server in reversed(self.servers):
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".skyclust")
    parser.add_argument(
        "--gateway-port", type=int, default=int(os.environ.get("SKYCLUST_GATEWAY_PORT", "8080"))
    )
    args = parser.parse_args()
    platform = Platform(state_dir=args.state_dir.resolve(), gateway_port=args.gateway_port)

    def on_signal(signum: int, frame: object) -> None:
        platform.stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    try:
        values = platform.start()
    except (EmbeddedError, AdminError, OSError) as exc:
        print(f"skyclust: cannot start: {exc}", file=sys.stderr, flush=True)
        platform.stop()
        sys.exit(1)
    platform.say(f"ready in {time.monotonic() - started:.1f}s")
    platform.say(f"gateway: {values['SKYCLUST_GATEWAY_URL']}  (API docs at /docs)")
    speed = os.environ.get("SKYCLUST_BILLING_SPEED", "1440")
    platform.say(f"cost: local clouds bill at {speed}x; GET /api/v1/cost-analysis/summary")
    platform.say(f"settings for your tools: {platform.state_dir / 'dev.env'}")
    if not os.environ.get("SKYCLUST_SMTP_HOST"):
        platform.say(f"mail SkyClust sends: {platform.state_dir / 'mail'} (one .eml per mail)")
    platform.say(f"logs: {platform.state_dir / 'logs'}; Ctrl-C stops everything")
    try:
        platform.supervise()
    finally:
        platform.say("stopping")
        platform.stop()


if __name__ == "__main__":
    main()
