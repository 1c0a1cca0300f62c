"""Moving every credential from the keys in settings to AWS KMS online, the way
docs/vault.md says to: a vault that knows only the settings' key serves creates and
decrypts; an instance with the KMS keyring beside it (KMS version active) replaces it;
`python -m skyclust_vault keys rewrap` runs while decrypts keep arriving through NATS.
Not one decrypt fails, every credential ends on the KMS version and opens to its own
secret, and the settings' key can then be retired."""

from __future__ import annotations

import argparse
import asyncio
import random
import uuid
from typing import Any

import pytest

from skyclust_common.messaging import Bus
from skyclust_vault import cli
from skyclust_vault.adapters.clouds.fake import FakeCloud
from skyclust_vault.domain.providers import parse
from skyclust_vault.handlers import keys

from .conftest import ADMIN, AuditStore, Kms, Nats, aws_data, start_vault, vault_settings

pytestmark = pytest.mark.integration
VAULT = "credential-vault"


async def test_rewrap_from_the_settings_key_to_kms_with_decrypts_throughout(
    nats_with_users: Nats, vault_url: str, kms: Kms
):
    cloud = FakeCloud()
    audit = await AuditStore(await nats_with_users.bus("identity")).serve()
    workspace = str(uuid.uuid4())
    gateway = await nats_with_users.bus("gateway", timeout=10)
    decrypters = [await nats_with_users.bus(s, timeout=10) for s in ("provisioning", "cost")]
    env_only = await start_vault(vault_settings(nats_with_users.url, vault_url, "v1"), cloud)
    on_kms = None
    secrets: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    decrypted = 0
    stop = asyncio.Event()

    async def decrypt(bus: Bus, credential_id: str) -> None:
        nonlocal decrypted
        try:
            got = await bus.request(
                VAULT,
                "DecryptCredential",
                {
                    "workspace_id": workspace,
                    "credential_id": credential_id,
                    "reason": "kms rewrap",
                    "correlation_id": credential_id,
                },
            )
        except Exception as exc:
            failures.append(f"decrypt {credential_id}: {exc!r}")
            return
        if got["data"] != secrets[credential_id]:
            failures.append(f"decrypt {credential_id}: wrong secret")
        decrypted += 1

    async def decrypter(bus: Bus) -> None:
        while not stop.is_set():
            await decrypt(bus, random.choice(list(secrets)))

    def kms_settings() -> Any:
        return vault_settings(
            nats_with_users.url,
            vault_url,
            "k1",
            "v1",
            vault_keyring="aws-kms",
            vault_kms_keys={"k1": kms.keys["k1"]},
            aws_endpoint_url=kms.url,
        )

    try:
        for _ in range(40):
            data = aws_data()
            cloud.accept(parse("aws", data), account="acct")
            created = await gateway.request(
                VAULT,
                "CreateCredential",
                {
                    "workspace_id": workspace,
                    "actor_id": ADMIN,
                    "provider": "aws",
                    "name": f"kms-{uuid.uuid4().hex[:12]}",
                    "data": data,
                },
            )
            secrets[created["id"]] = data
        workers = [asyncio.create_task(decrypter(bus)) for bus in decrypters]
        await asyncio.sleep(0.3)
        # The rolling restart onto the KMS keyring, then the operator's rewrap.
        on_kms = await start_vault(kms_settings(), cloud)
        await asyncio.sleep(0.3)
        await env_only.stop()
        before = decrypted
        args = argparse.Namespace(group="keys", action="rewrap", batch_size=5)
        report = await cli.run(args, kms_settings())
        during = decrypted - before
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.gather(*workers)

        assert failures == [], "\n".join(failures)
        assert report["failed"] == [] and report["rewrapped"] == len(secrets)
        assert report["status"]["credentials_by_version"] == {"k1": len(secrets)}
        assert during > 0, "no decrypt was served while the rewrap ran"
        for credential_id in secrets:
            await decrypt(decrypters[0], credential_id)
        assert failures == []
        successes = [r for r in audit.records if r["outcome"] == "success"]
        assert len(successes) == decrypted
        retired = await keys.retire(on_kms.vault.deps, "v1", "test")
        assert retired == {"version": "v1", "retired": True}
    finally:
        stop.set()
        for bus in (gateway, *decrypters, audit.bus):
            await bus.close()
        for vault in (on_kms, env_only):
            if vault is not None:
                await vault.stop()
