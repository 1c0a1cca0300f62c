"""Sealing and opening secrets without blocking the event loop: with a KMS keyring each
wrap or unwrap is a network round trip in a synchronous SDK, so it runs on the bounded
pool of blocking calls; with the keys from settings it is microseconds of AES and runs
in place, where a thread hop would cost more than the work."""

from __future__ import annotations

import functools

from skyclust_common.cloud.blocking import in_thread

from ..domain import crypto
from ..domain.crypto import KeyEncryptionKeys, Sealed


async def seal(
    keys: KeyEncryptionKeys, plaintext: bytes, *, workspace_id: str, credential_id: str
) -> Sealed:
    call = functools.partial(
        crypto.seal, keys, plaintext, workspace_id=workspace_id, credential_id=credential_id
    )
    return await in_thread(call) if keys.remote else call()


async def open_sealed(
    keys: KeyEncryptionKeys, sealed: Sealed, *, workspace_id: str, credential_id: str
) -> bytes:
    call = functools.partial(
        crypto.open_sealed, keys, sealed, workspace_id=workspace_id, credential_id=credential_id
    )
    return await in_thread(call) if keys.remote else call()


async def reseal(
    keys: KeyEncryptionKeys, sealed: Sealed, *, workspace_id: str, credential_id: str
) -> Sealed:
    call = functools.partial(
        crypto.reseal, keys, sealed, workspace_id=workspace_id, credential_id=credential_id
    )
    return await in_thread(call) if keys.remote else call()
