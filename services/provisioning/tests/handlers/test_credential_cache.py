"""The drift job's credential cache: one decrypt per credential within the TTL."""

from __future__ import annotations

from typing import Any

import pytest

from skyclust_provisioning.handlers.credential_cache import CredentialCache

pytestmark = pytest.mark.unit


class Vault:
    def __init__(self) -> None:
        self.reads: list[str] = []

    def decrypt(self, credential_id: str):
        async def read() -> dict[str, Any]:
            self.reads.append(credential_id)
            return {"key": f"{credential_id}-{len(self.reads)}"}

        return read


async def test_each_credential_is_decrypted_once_within_the_ttl():
    clock = [0.0]
    cache, vault = CredentialCache(ttl=60.0, clock=lambda: clock[0]), Vault()
    for _ in range(10):  # ten passes over three clusters of two credentials
        for credential in ("a", "a", "b"):
            await cache.get("ws", credential, vault.decrypt(credential))
        clock[0] += 5.0
    assert vault.reads == ["a", "b"]


async def test_past_the_ttl_it_is_read_again_and_stale_entries_go():
    clock = [0.0]
    cache, vault = CredentialCache(ttl=60.0, clock=lambda: clock[0]), Vault()
    first = await cache.get("ws", "a", vault.decrypt("a"))
    await cache.get("ws", "b", vault.decrypt("b"))
    clock[0] = 60.0
    again = await cache.get("ws", "a", vault.decrypt("a"))
    assert again != first and vault.reads == ["a", "b", "a"]
    assert len(cache) == 1  # b expired and was dropped


async def test_forgetting_a_credential_reads_it_again_and_keeps_the_others():
    cache, vault = CredentialCache(ttl=600.0), Vault()
    await cache.get("ws", "a", vault.decrypt("a"))
    await cache.get("ws", "b", vault.decrypt("b"))
    cache.forget("a")
    await cache.get("ws", "a", vault.decrypt("a"))
    await cache.get("ws", "b", vault.decrypt("b"))
    assert vault.reads == ["a", "b", "a"]


async def test_the_same_credential_id_in_another_workspace_is_its_own_entry():
    cache, vault = CredentialCache(ttl=600.0), Vault()
    await cache.get("ws1", "a", vault.decrypt("a"))
    await cache.get("ws2", "a", vault.decrypt("a"))
    assert vault.reads == ["a", "a"]
