"""Key rotation under load, the way docs/vault.md says to do it in production: while
credentials are being created and decrypted through NATS, the new key version is added
to the keyring (a rolling restart: new instance up, old one down), then made active (a
second rolling restart), and the background rewrap moves every credential. Afterwards
every credential decrypts to its secret, all are on the new version, and not one request
failed meanwhile."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from skyclust_common.messaging import Bus
from skyclust_vault.adapters.clouds.fake import FakeCloud
from skyclust_vault.domain.providers import parse
from skyclust_vault.handlers import keys

from .conftest import ADMIN, AuditStore, Nats, aws_data, azure_data, start_vault, vault_settings

pytestmark = pytest.mark.integration
VAULT = "credential-vault"


@dataclass
class Load:
    workspace: str
    cloud: FakeCloud
    gateway: Bus
    decrypters: list[Bus]
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    created: int = 0
    decrypted: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def create(self) -> None:
        provider = random.choice(["aws", "azure"])
        data = aws_data() if provider == "aws" else azure_data()
        self.cloud.accept(parse(provider, data), account="acct")
        try:
            created = await self.gateway.request(
                VAULT,
                "CreateCredential",
                {
                    "workspace_id": self.workspace,
                    "actor_id": ADMIN,
                    "provider": provider,
                    "name": f"load-{uuid.uuid4().hex[:12]}",
                    "data": data,
                },
            )
        except Exception as exc:
            self.failures.append(f"create: {exc!r}")
            return
        self.secrets[created["id"]] = data
        self.created += 1

    async def decrypt(self, bus: Bus, credential_id: str) -> None:
        try:
            got = await bus.request(
                VAULT,
                "DecryptCredential",
                {
                    "workspace_id": self.workspace,
                    "credential_id": credential_id,
                    "reason": "load",
                    "correlation_id": credential_id,
                },
            )
        except Exception as exc:
            self.failures.append(f"decrypt {credential_id}: {exc!r}")
            return
        if got["data"] != self.secrets[credential_id]:
            self.failures.append(f"decrypt {credential_id}: wrong secret")
        self.decrypted += 1

    async def creator(self) -> None:
        while not self.stop.is_set():
            await self.create()

    async def decrypter(self, bus: Bus) -> None:
        while not self.stop.is_set():
            await self.decrypt(bus, random.choice(list(self.secrets)))


async def test_rotating_the_key_encryption_key_under_load(nats_with_users: Nats, vault_url):
    cloud = FakeCloud()
    audit = await AuditStore(await nats_with_users.bus("identity")).serve()
    old = await start_vault(vault_settings(nats_with_users.url, vault_url, "v1"), cloud)
    load = Load(
        str(uuid.uuid4()),
        cloud,
        await nats_with_users.bus("gateway", timeout=10),
        [await nats_with_users.bus(s, timeout=10) for s in ("provisioning", "network", "cost")],
    )
    new = knows_v2 = None
    try:
        for _ in range(30):
            await load.create()
        workers = [asyncio.create_task(load.creator()) for _ in range(2)]
        workers += [asyncio.create_task(load.decrypter(bus)) for bus in load.decrypters]
        await asyncio.sleep(0.5)

        def settings(active: str) -> Any:
            return vault_settings(
                nats_with_users.url,
                vault_url,
                active,
                "v1",
                "v2",
                vault_rewrap_interval_seconds=0.2,
                vault_rewrap_batch_size=5,
            )

        # Step 1: v2 joins the keyring, v1 stays active; both instances serve a while.
        knows_v2 = await start_vault(settings("v1"), cloud)
        await asyncio.sleep(0.5)
        await old.stop()
        # Step 2: v2 becomes active. The instance still on v1 keeps serving (and writing
        # v1) but leaves the rewrap to the v2 one instead of moving credentials back.
        new = await start_vault(settings("v2"), cloud)
        await asyncio.sleep(1.0)
        await knows_v2.stop()
        await asyncio.sleep(1.0)
        load.stop.set()
        await asyncio.gather(*workers)

        deps = new.vault.deps
        deadline = time.monotonic() + 20
        while (await keys.key_status(deps))["pending_rewrap"]:
            assert time.monotonic() < deadline, await keys.key_status(deps)
            await asyncio.sleep(0.1)

        assert load.failures == [], "\n".join(load.failures)
        assert load.created >= 40 and load.decrypted >= 60, (load.created, load.decrypted)
        status = await keys.key_status(deps)
        assert status["credentials_by_version"] == {"v2": len(load.secrets)}
        # Every credential, whenever it was written, decrypts to its own secret.
        for credential_id in load.secrets:
            await load.decrypt(load.decrypters[0], credential_id)
        assert load.failures == []
        successes = [r for r in audit.records if r["outcome"] == "success"]
        assert len(successes) == load.decrypted
    finally:
        load.stop.set()
        for bus in (load.gateway, *load.decrypters, audit.bus):
            await bus.close()
        for vault in (new, knows_v2, old):
            if vault is not None:
                await vault.stop()
