"""The vault's test harness: a database of its own per test module (real PostgreSQL,
migrated by the vault's migrations, used through the vault's role), and credentials of
each provider to store."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import shutil
import string
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import asyncpg
import boto3
import nats
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from skyclust_common.contracts import load_registry
from skyclust_common.db import create_engine, outbox_table
from skyclust_common.dbadmin import provision_service
from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import ServiceUnavailable, SkyclustError
from skyclust_common.messaging import Bus, BusConfig, RpcContext
from skyclust_common.migrations import upgrade_head
from skyclust_common.runtime import Runtime, start_runtime, stop_runtime
from skyclust_tools.embedded import NatsServer, free_port, scratch_dir
from skyclust_tools.nats_auth import ADMIN_USER, SERVICES, nats_config
from skyclust_vault.adapters.audit import MemoryAuditTrail
from skyclust_vault.adapters.clouds.base import CredentialChecker
from skyclust_vault.adapters.clouds.fake import FakeCloud
from skyclust_vault.adapters.db import metadata
from skyclust_vault.adapters.uow import VaultUnitOfWork
from skyclust_vault.bootstrap import SERVICE, Vault, jobs, start
from skyclust_vault.domain.crypto import KeyEncryptionKeys, Keyring
from skyclust_vault.domain.providers import parse
from skyclust_vault.entrypoints.rpc import CONTRACTS
from skyclust_vault.handlers import credentials
from skyclust_vault.handlers.credentials import VaultDeps
from skyclust_vault.settings import VaultSettings

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
ROLE_PASSWORD = "vault-pw"  # the same as test_schema_isolation: one role per cluster
KEY_BYTES = {v: os.urandom(32) for v in ("v1", "v2", "v3")}
PROVISIONING = RpcContext({"X-Request-ID": "req-1"}, caller="provisioning")
ADMIN = str(uuid.uuid4())


async def serve(deps: VaultDeps, handler: Any, body: dict[str, Any], ctx: RpcContext) -> Any:
    """Call `handler` as the bus does: with its request parsed into the contract's model."""
    return await handler(deps, CONTRACTS[handler].request(body), ctx)


def keyring(active: str = "v1", *versions: str) -> Keyring:
    wanted = versions or (active,)
    return Keyring({v: KEY_BYTES[v] for v in wanted}, active)


def plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def fresh_database(admin_url: str, name: str) -> str:
    """A new database on the session's server, with the vault's role, schema and
    migrations: each module sees only its own credentials."""
    admin = await asyncpg.connect(plain(admin_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    database_admin = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    url = await provision_service(database_admin, "credential-vault", ROLE_PASSWORD)
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    return url


@pytest.fixture(scope="module")
async def vault_url(postgres, request) -> str:
    name = "vault_" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    return await fresh_database(postgres.url, name[:60])


@pytest.fixture(scope="module")
async def engine(vault_url) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(vault_url)
    yield engine
    await engine.dispose()


@dataclass
class Harness:
    """The handlers wired on the real database, with a fake cloud and audit trail."""

    engine: AsyncEngine
    keys: KeyEncryptionKeys
    checker: CredentialChecker | None = None
    cloud: FakeCloud = field(default_factory=FakeCloud)
    audit: MemoryAuditTrail = field(default_factory=MemoryAuditTrail)
    workspace: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def deps(self) -> VaultDeps:
        sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        return VaultDeps(
            uow=lambda: VaultUnitOfWork(sessions, metadata, load_registry()),
            keys=self.keys,
            decrypt_callers=frozenset({"provisioning", "network", "cost"}),
            checker=self.checker or self.cloud,
            audit=self.audit,
        )

    def with_keys(self, keys: KeyEncryptionKeys) -> Harness:
        return Harness(self.engine, keys, self.checker, self.cloud, self.audit, self.workspace)

    async def create(
        self, provider: str, data: dict[str, Any], *, name: str | None = None, valid: bool = True
    ) -> dict[str, Any]:
        if valid:
            self.cloud.accept(parse(provider, data), account=f"{provider}-account")
        return await self.call(
            credentials.create,
            provider=provider,
            name=name or f"{provider}-{uuid.uuid4().hex[:8]}",
            data=data,
        )

    async def decrypt(self, credential_id: str, *, workspace: str | None = None) -> Any:
        body = {
            "workspace_id": workspace or self.workspace,
            "credential_id": credential_id,
            "reason": "test",
            "correlation_id": "corr-1",
        }
        return await serve(self.deps, credentials.decrypt, body, PROVISIONING)

    async def call(self, handler: Any, **data: Any) -> dict[str, Any]:
        body = {"workspace_id": self.workspace, "actor_id": ADMIN, **data}
        return await serve(self.deps, handler, body, RpcContext({}))

    async def events(self, subject: str | None = None) -> list[CloudEvent]:
        table = outbox_table(metadata)
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(table.c.payload).order_by(table.c.created_at, table.c.id)
            )
            found = [CloudEvent.model_validate(row[0]) for row in rows]
        return [e for e in found if subject is None or e.subject == subject]


@pytest.fixture
def harness(engine) -> Harness:
    return Harness(engine, keyring("v1"))


def access_key_id() -> str:
    return "AKIA" + "".join(
        secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16)
    )


def aws_data(secret: str | None = None, **extra: str) -> dict[str, Any]:
    return {
        "access_key_id": access_key_id(),
        "secret_access_key": secret or secrets.token_urlsafe(30),
        "region": "eu-west-1",
        **extra,
    }


@cache
def _rsa_pem() -> str:
    return fresh_rsa_pem()


def gcp_key(project: str = "skyclust-test", pem: str | None = None) -> dict[str, Any]:
    email = f"skyclust@{project}.iam.gserviceaccount.com"
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem or _rsa_pem(),
        "client_email": email,
        "client_id": "1" * 21,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/x",
        "universe_domain": "googleapis.com",
    }


def gcp_data(**key: Any) -> dict[str, Any]:
    return {"service_account_json": gcp_key(**key)}


def azure_data(secret: str | None = None) -> dict[str, Any]:
    return {
        "tenant_id": str(uuid.uuid4()),
        "client_id": str(uuid.uuid4()),
        "client_secret": secret or secrets.token_urlsafe(30),
        "subscription_id": str(uuid.uuid4()),
    }


def with_canary(provider: str) -> tuple[dict[str, Any], str]:
    """A credential of `provider` and the secret string that must never appear outside
    the sealed ciphertext (for GCP a line of the private key's body)."""
    canary = "CANARY" + secrets.token_hex(16)
    if provider == "aws":
        return aws_data(canary), canary
    if provider == "azure":
        return azure_data(canary), canary
    data = gcp_data(pem=fresh_rsa_pem())
    lines = data["service_account_json"]["private_key"].splitlines()
    return data, lines[len(lines) // 2]


def fresh_rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


# the vault as a process of its own, on NATS with per-service users ----------------

PASSWORDS = {service: secrets.token_urlsafe(16) for service in SERVICES}
ADMIN_PASSWORD = secrets.token_urlsafe(16)


@dataclass
class Nats:
    server: NatsServer

    @property
    def url(self) -> str:
        return self.server.url

    async def bus(self, service: str, *, user: str | None = None, timeout: float = 3) -> Bus:
        """A service's bus, connected as `user` (the service's own NATS user unless
        told otherwise)."""
        user = user or service
        password = ADMIN_PASSWORD if user == ADMIN_USER else PASSWORDS[user]
        nc = await nats.connect(
            self.url, user=user, password=password, allow_reconnect=False, connect_timeout=2
        )
        config = BusConfig(service=service, rpc_timeout_seconds=timeout, ack_wait_seconds=5)
        return Bus(nc, load_registry(), config)


@pytest.fixture(scope="module")
def nats_with_users() -> Iterator[Nats]:
    """nats-server with the platform's per-service users. Inboxes are shared because
    the services' runtime connects with the default inbox prefix (see nats_auth)."""
    root = scratch_dir("sc-vault-nats-")
    config = root / "nats.conf"
    config.write_text(nats_config(PASSWORDS, private_inboxes=False, admin_password=ADMIN_PASSWORD))
    server = NatsServer(free_port(), root / "js", config_file=config, log_file=root / "log")
    server.start()
    yield Nats(server)
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


class AuditStore:
    """The identity service's side of RecordAudit, played by a bus of service name
    "identity": it stores what it is asked to, or refuses when told to."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.records: list[dict[str, Any]] = []
        self.failing: bool | SkyclustError = False

    async def serve(self) -> AuditStore:
        async def record(data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
            if isinstance(self.failing, SkyclustError):
                raise self.failing
            if self.failing:
                raise ServiceUnavailable("the audit database is down")
            self.records.append(data)
            return {"id": str(uuid.uuid4())}

        await self.bus.serve("RecordAudit", record)
        await self.bus.nc.flush()
        return self


def vault_settings(
    nats_url: str, database_url: str, active: str, *versions: str, **extra: Any
) -> VaultSettings:
    keys = {v: base64.b64encode(KEY_BYTES[v]).decode() for v in (versions or (active,))}
    values: dict[str, Any] = {
        "nats_url": nats_url,
        "nats_user": "credential-vault",
        "nats_password": PASSWORDS["credential-vault"],
        "database_url": database_url,
        "vault_keys": keys,
        "vault_active_key": active,
        "vault_rewrap_interval_seconds": 0,
        "vault_audit_timeout_seconds": 2,
        "outbox_poll_seconds": 0.1,
        "ack_wait_seconds": 5,
        **extra,
    }
    return VaultSettings(**values)


@dataclass
class RunningVault:
    runtime: Runtime
    vault: Vault
    stopped: bool = False

    async def stop(self) -> None:
        """A graceful stop, as a rolling restart needs it: other instances take new
        requests at once, the ones delivered here are answered, then the vault stops."""
        if self.stopped:
            return
        self.stopped = True
        await self.runtime.bus.stop_answering()
        await stop_runtime(self.runtime)


async def start_vault(settings: VaultSettings, cloud: FakeCloud) -> RunningVault:
    """The vault's own start-up path (migrations, NATS, streams, outbox relay, request
    handlers, usage consumer, rewrap job) in this process, with the in-memory cloud."""
    runtime = await start_runtime(SERVICE, settings, metadata, MIGRATIONS)
    vault = await start(runtime, settings, checker=cloud)
    for job in jobs(vault, settings):
        runtime.add_job(job)
    runtime.start_jobs()
    await runtime.bus.nc.flush()
    return RunningVault(runtime, vault)


AWS_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass
class Kms:
    url: str
    keys: dict[str, str]  # key version -> KMS alias


@pytest.fixture(scope="session")
def kms() -> Iterator[Kms]:
    """moto's KMS with two keys; the keyring built from settings finds its credentials
    the way it would on AWS, in the environment."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    client = boto3.client("kms", endpoint_url=url, region_name="us-east-1", **AWS_KEYS)
    aliases = {}
    for version in ("k1", "k2"):
        key_id = client.create_key(Description=f"skyclust vault {version}")["KeyMetadata"]["KeyId"]
        client.create_alias(AliasName=f"alias/skyclust-vault-{version}", TargetKeyId=key_id)
        aliases[version] = f"alias/skyclust-vault-{version}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", AWS_KEYS["aws_access_key_id"])
        patch.setenv("AWS_SECRET_ACCESS_KEY", AWS_KEYS["aws_secret_access_key"])
        yield Kms(url, aliases)
    server.stop()
