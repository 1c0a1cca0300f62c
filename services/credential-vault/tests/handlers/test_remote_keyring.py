"""A keyring behind a network round trip (a KMS) never blocks the event loop: its calls
run on the pool of blocking calls, so other requests go on while a data key is wrapped."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable
from typing import TypeVar

import pytest

from skyclust_vault.domain.crypto import Keyring
from skyclust_vault.handlers import keys

from .vault_fakes import KEYS, Vault, aws_data

pytestmark = pytest.mark.unit
ROUND_TRIP = 0.15
T = TypeVar("T")


class SlowRemoteKeyring:
    """The keys from settings behind a KMS-like delay, noting the threads it ran on."""

    def __init__(self, keyring: Keyring, *, remote: bool = True) -> None:
        self.inner = keyring
        self.threads: list[int] = []
        self._remote = remote

    @property
    def active_version(self) -> str:
        return self.inner.active_version

    @property
    def versions(self) -> frozenset[str]:
        return self.inner.versions

    @property
    def remote(self) -> bool:
        return self._remote

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes, bytes]:
        self.threads.append(threading.get_ident())
        time.sleep(ROUND_TRIP)
        return self.inner.wrap(data_key, aad)

    def unwrap(self, version: str, nonce: bytes, wrapped: bytes, aad: bytes) -> bytes:
        self.threads.append(threading.get_ident())
        time.sleep(ROUND_TRIP)
        return self.inner.unwrap(version, nonce, wrapped, aad)


async def _ticks_while(work: Awaitable[T]) -> tuple[T, int]:
    """Run `work` and count how often a 10 ms ticker got the loop meanwhile."""
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        result = await work
    finally:
        done.set()
        await task
    return result, ticks


async def test_sealing_and_opening_with_a_remote_keyring_leave_the_loop_free() -> None:
    remote = SlowRemoteKeyring(Keyring({"v1": KEYS["v1"]}, "v1"))
    vault = Vault(keys=remote)
    data = aws_data()
    created, ticks = await _ticks_while(vault.create(data))
    # Blocking the loop for the round trip would have let the ticker run at most once.
    assert ticks >= 5
    opened, ticks = await _ticks_while(vault.decrypt(created["id"]))
    assert opened == {"provider": "aws", "data": data}
    assert ticks >= 5
    assert remote.threads and threading.get_ident() not in remote.threads


async def test_a_rewrap_through_a_remote_keyring_runs_off_the_loop() -> None:
    vault = Vault(keys=Keyring({"v1": KEYS["v1"]}, "v1"))
    created = await vault.create()
    remote = SlowRemoteKeyring(Keyring(KEYS, "v2"))
    vault.keys = remote
    report, ticks = await _ticks_while(keys.rewrap_batch(vault.deps, 10, []))
    assert (report.rewrapped, report.failed) == (1, [])
    assert (await vault.decrypt(created["id"]))["provider"] == "aws"
    assert ticks >= 5 and threading.get_ident() not in remote.threads


async def test_the_keys_from_settings_are_used_in_place_without_a_thread_hop() -> None:
    assert Keyring({"v1": KEYS["v1"]}, "v1").remote is False
    local = SlowRemoteKeyring(Keyring({"v1": KEYS["v1"]}, "v1"), remote=False)
    vault = Vault(keys=local)
    await vault.create()
    assert local.threads == [threading.get_ident()]
