"""VaultClient against a stand-in vault on a real nats-server: the requests it sends meet
the vault's contracts, and the replies come back as the vault gave them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.messaging import Bus, BusConfig, RpcContext, connect_nats
from skyclust_common.vault_client import VAULT, VaultClient

pytestmark = pytest.mark.integration


async def bus(url: str, service: str) -> Bus:
    registry = load_registry()
    return Bus(await connect_nats(url, name=service), registry, BusConfig(service=service))


async def test_lookup_and_decrypt_ask_the_vault_with_its_contracts(nats_server):
    asked: list[tuple[str, dict[str, Any], str | None]] = []
    vault = await bus(nats_server.url, VAULT)
    now = "2026-01-01T00:00:00Z"

    async def get(data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
        asked.append(("GetCredential", data, ctx.caller))
        return {
            "id": data["credential_id"],
            "workspace_id": data["workspace_id"],
            "provider": "aws",
            "name": "prod",
            "masked": {"access_key_id": "AKIA****MPLE"},
            "status": "valid",
            "status_reason": None,
            "status_message": None,
            "account_id": "123456789012",
            "in_use": [],
            "created_by": str(uuid.uuid4()),
            "created_at": now,
            "updated_at": now,
            "last_used_at": None,
            "last_validated_at": now,
        }

    async def decrypt(data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
        asked.append(("DecryptCredential", data, ctx.caller))
        return {"provider": "aws", "data": {"access_key_id": "AKIA", "secret_access_key": "s"}}

    await vault.serve("GetCredential", get)
    await vault.serve("DecryptCredential", decrypt)
    await vault.nc.flush()
    caller = await bus(nats_server.url, "network")
    try:
        client = VaultClient(caller)
        workspace, credential = str(uuid.uuid4()), str(uuid.uuid4())
        masked = await client.lookup(workspace, credential)
        secret = await client.decrypt(workspace, credential, "create vpc", "saga-1")
        # A header naming another caller changes nothing: the subject names network.
        request = {"workspace_id": workspace, "credential_id": credential, "reason": "r"}
        await caller.request(
            VAULT, "DecryptCredential", request, headers={"Skyclust-Caller": "provisioning"}
        )
    finally:
        await caller.close()
        await vault.close()
    assert (masked["id"], masked["account_id"]) == (credential, "123456789012")
    assert secret["data"]["secret_access_key"] == "s"
    assert asked == [
        # Only a caller-subject contract (DecryptCredential) learns its caller.
        ("GetCredential", {"workspace_id": workspace, "credential_id": credential}, None),
        (
            "DecryptCredential",
            {
                "workspace_id": workspace,
                "credential_id": credential,
                "reason": "create vpc",
                "correlation_id": "saga-1",
            },
            "network",
        ),
        ("DecryptCredential", request, "network"),
    ]
