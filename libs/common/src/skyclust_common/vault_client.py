"""The credential vault as the services that use cloud credentials see it: a
credential's masked view, and its secret. The vault audits every decrypt and answers
only the callers NATS lets ask (provisioning, network, cost)."""

from __future__ import annotations

from typing import Any

from .messaging import Bus

VAULT = "credential-vault"


class VaultClient:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def lookup(self, workspace_id: str, credential_id: str) -> dict[str, Any]:
        """The masked credential: provider, region, validation status; no secret."""
        return await self.bus.request(
            VAULT, "GetCredential", {"workspace_id": workspace_id, "credential_id": credential_id}
        )

    async def decrypt(
        self, workspace_id: str, credential_id: str, reason: str, correlation_id: str
    ) -> dict[str, Any]:
        """The secret itself; `reason` and `correlation_id` go into the audit record."""
        return await self.bus.request(
            VAULT,
            "DecryptCredential",
            {
                "workspace_id": workspace_id,
                "credential_id": credential_id,
                "reason": reason,
                "correlation_id": correlation_id,
            },
        )
