"""The vault's handlers wired on the in-memory unit of work, the in-memory cloud and
audit trail and a keyring of fresh keys, for the unit lane."""

from __future__ import annotations

import os
import secrets
import string
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from skyclust_common.contracts import ContractRegistry, load_registry
from skyclust_common.envelope import new_event
from skyclust_common.fake_uow import FakeDatabase
from skyclust_common.messages.rpc import DecryptCredential
from skyclust_common.messaging import Delivery, RpcContext
from skyclust_vault.adapters.audit import MemoryAuditTrail
from skyclust_vault.adapters.clouds.fake import FakeCloud
from skyclust_vault.adapters.fake_uow import FakeVaultUnitOfWork
from skyclust_vault.domain.crypto import KeyEncryptionKeys, Keyring
from skyclust_vault.domain.providers import parse
from skyclust_vault.entrypoints.rpc import CONTRACTS
from skyclust_vault.handlers import credentials, usage
from skyclust_vault.handlers.credentials import VaultDeps

ADMIN = str(uuid.uuid4())
PROVISIONING = RpcContext({"X-Request-ID": "req-1"}, caller="provisioning")
CONSUMER = "credential-vault-usage"
# The rest of a ClusterRequested, which the usage handler reads as its contract's model.
CLUSTER_REQUESTED: dict[str, Any] = {
    "version": "1.31",
    "region": "us-east-1",
    "tags": {},
    "aws_config": None,
}
KEYS = {v: os.urandom(32) for v in ("v1", "v2")}


@cache
def registry() -> ContractRegistry:
    return load_registry()


def aws_data() -> dict[str, Any]:
    key_id = "AKIA" + "".join(secrets.choice(string.ascii_uppercase) for _ in range(16))
    return {
        "access_key_id": key_id,
        "secret_access_key": secrets.token_urlsafe(30),
        "region": "eu-west-1",
    }


@dataclass
class Vault:
    db: FakeDatabase = field(default_factory=FakeDatabase)
    keys: KeyEncryptionKeys = field(default_factory=lambda: Keyring({"v1": KEYS["v1"]}, "v1"))
    cloud: FakeCloud = field(default_factory=FakeCloud)
    audit: MemoryAuditTrail = field(default_factory=MemoryAuditTrail)
    workspace: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def deps(self) -> VaultDeps:
        return VaultDeps(
            uow=lambda: FakeVaultUnitOfWork(self.db, registry()),
            keys=self.keys,
            decrypt_callers=frozenset({"provisioning", "network", "cost"}),
            checker=self.cloud,
            audit=self.audit,
        )

    async def create(
        self, data: dict[str, Any] | None = None, *, name: str = "prod", valid: bool = True
    ) -> dict[str, Any]:
        data = data or aws_data()
        if valid:
            self.cloud.accept(parse("aws", data), account="111111111111")
        return await self.call(credentials.create, provider="aws", name=name, data=data)

    async def call(self, handler: Any, **data: Any) -> dict[str, Any]:
        body = {"workspace_id": self.workspace, "actor_id": ADMIN, **data}
        result: dict[str, Any] = await handler(
            self.deps, CONTRACTS[handler].request(body), RpcContext({})
        )
        return result

    async def decrypt(self, credential_id: str, ctx: RpcContext = PROVISIONING) -> dict[str, Any]:
        body = {
            "workspace_id": self.workspace,
            "credential_id": credential_id,
            "reason": "test",
            "correlation_id": "corr-1",
        }
        request = DecryptCredential.request(body)
        return await credentials.decrypt(self.deps, request, ctx)

    async def usage(self, name: str, resource_id: str, credential_id: str) -> None:
        data: dict[str, Any] = {"cluster_id": resource_id, "provider": "aws", "name": "web"}
        if name == "ClusterRequested":
            data |= {**CLUSTER_REQUESTED, "credential_id": credential_id}
        event = new_event(name, data, source="provisioning", workspace_id=self.workspace)
        await usage.on_usage_event(self.deps, CONSUMER, event, Delivery(CONSUMER, "s", 1, 1))

    def events(self, name: str) -> list[dict[str, Any]]:
        return [event.data for event in self.db.events(name)]
