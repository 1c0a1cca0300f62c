"""Decrypted credentials kept in memory across drift passes.

Every decrypt is audited by the vault: a drift pass that asked for each cluster's
credential every few minutes would flood the audit log with reads nobody made. The
drift job keeps one decrypted credential per (workspace, credential) for at most `ttl`
seconds and forgets it sooner when the vault announces it rotated or deleted, or when a
cloud call with it fails (a rotated secret is read again on the next pass). Only the
periodic drift job reads from it: a user's request (reconcile, upgrade, kubeconfig)
and a saga run decrypt for themselves, so that each is audited as its own."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any


class CredentialCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._secrets: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}

    async def get(
        self,
        workspace_id: str,
        credential_id: str,
        decrypt: Callable[[], Awaitable[dict[str, Any]]],
    ) -> dict[str, Any]:
        """The credential as decrypted less than `ttl` seconds ago, else `decrypt()`."""
        key = (workspace_id, credential_id)
        now = self.clock()
        found = self._secrets.get(key)
        if found is not None and now - found[0] < self.ttl:
            return found[1]
        for stale in [k for k, (at, _) in self._secrets.items() if now - at >= self.ttl]:
            del self._secrets[stale]
        secret = await decrypt()
        self._secrets[key] = (now, secret)
        return secret

    def forget(self, credential_id: str) -> None:
        for key in [k for k in self._secrets if k[1] == credential_id]:
            del self._secrets[key]

    def clear(self) -> None:
        self._secrets.clear()

    def __len__(self) -> int:
        return len(self._secrets)
