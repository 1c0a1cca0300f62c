"""Envelope encryption: a fresh AES-256-GCM data key per credential, wrapped by a
versioned key-encryption key. The associated data binds both layers to the workspace,
the credential and the key version, so a ciphertext moved anywhere else fails.

Whatever is wrong with a ciphertext (moved to another credential or workspace, relabelled
with another key version, spliced with another credential's data key, tampered with, or
sealed under a version this vault no longer has) the answer is the same documented error,
CREDENTIAL_DECRYPTION_FAILED; `details.reason` says which case it is."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import DecryptionFailed

__all__ = [
    "DecryptionFailed",
    "KeyEncryptionKeys",
    "Keyring",
    "Keyrings",
    "Sealed",
    "open_sealed",
    "reseal",
    "seal",
]

NONCE_BYTES = 12


@dataclass(frozen=True)
class Sealed:
    ciphertext: bytes
    nonce: bytes
    wrapped_key: bytes
    key_nonce: bytes
    key_version: str


class KeyEncryptionKeys(Protocol):
    """Wraps and unwraps data keys. The keyring below holds keys from settings; a cloud
    KMS or Vault Transit implements the same members (the data key leaves this process
    only wrapped; `aad` is the KMS encryption context)."""

    @property
    def active_version(self) -> str: ...

    @property
    def versions(self) -> frozenset[str]: ...

    @property
    def remote(self) -> bool:
        """True when wrapping or unwrapping is a blocking call to another system (a KMS):
        the handlers then run it off the event loop."""
        ...

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes, bytes]: ...

    def unwrap(self, version: str, nonce: bytes, wrapped: bytes, aad: bytes) -> bytes: ...


class Keyring:
    def __init__(self, keys: Mapping[str, bytes], active: str) -> None:
        if active not in keys:
            raise ValueError("active key version not in keyring")
        for version, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"key version {version} is not 256 bits")
        self._keys = dict(keys)
        self._active = active

    @property
    def active_version(self) -> str:
        return self._active

    @property
    def versions(self) -> frozenset[str]:
        return frozenset(self._keys)

    @property
    def remote(self) -> bool:
        return False

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        version = self._active
        return version, nonce, AESGCM(self._keys[version]).encrypt(nonce, data_key, aad)

    def unwrap(self, version: str, nonce: bytes, wrapped: bytes, aad: bytes) -> bytes:
        key = self._keys.get(version)
        if key is None:
            raise DecryptionFailed(
                f"key version {version} is not in the keyring", reason="key_version_unknown"
            )
        return AESGCM(key).decrypt(nonce, wrapped, aad)


class Keyrings:
    """Several keyrings as one, each version served by the keyring that holds it: the
    keys from settings and a KMS side by side while credentials move from one to the
    other. New data keys are wrapped by the keyring holding `active`."""

    def __init__(self, parts: list[KeyEncryptionKeys], active: str) -> None:
        self._by_version: dict[str, KeyEncryptionKeys] = {}
        for part in parts:
            for version in part.versions:
                if version in self._by_version:
                    raise ValueError(f"key version {version} is in two keyrings")
                self._by_version[version] = part
        if active not in self._by_version:
            raise ValueError("active key version not in keyring")
        if self._by_version[active].active_version != active:
            raise ValueError(f"the keyring holding {active} must have it active")
        self._active = active

    @property
    def active_version(self) -> str:
        return self._active

    @property
    def versions(self) -> frozenset[str]:
        return frozenset(self._by_version)

    @property
    def remote(self) -> bool:
        return any(part.remote for part in self._by_version.values())

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes, bytes]:
        return self._by_version[self._active].wrap(data_key, aad)

    def unwrap(self, version: str, nonce: bytes, wrapped: bytes, aad: bytes) -> bytes:
        part = self._by_version.get(version)
        if part is None:
            raise DecryptionFailed(
                f"key version {version} is not in the keyring", reason="key_version_unknown"
            )
        return part.unwrap(version, nonce, wrapped, aad)


def _aad(workspace_id: str, credential_id: str, version: str) -> bytes:
    return f"skyclust-credential|{workspace_id}|{credential_id}|{version}".encode()


def seal(
    keys: KeyEncryptionKeys, plaintext: bytes, *, workspace_id: str, credential_id: str
) -> Sealed:
    data_key = AESGCM.generate_key(bit_length=256)
    version = keys.active_version
    aad = _aad(workspace_id, credential_id, version)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, aad)
    wrapped_version, key_nonce, wrapped = keys.wrap(data_key, aad)
    if wrapped_version != version:
        # A KMS that switched keys between the two calls: the AAD would be wrong.
        raise RuntimeError("the key-encryption key changed while sealing; try again")
    return Sealed(ciphertext, nonce, wrapped, key_nonce, version)


_MISMATCH = "the stored ciphertext does not belong to this credential, workspace and key version"


def open_sealed(
    keys: KeyEncryptionKeys, sealed: Sealed, *, workspace_id: str, credential_id: str
) -> bytes:
    aad = _aad(workspace_id, credential_id, sealed.key_version)
    if len(sealed.nonce) != NONCE_BYTES or len(sealed.key_nonce) != NONCE_BYTES:
        raise DecryptionFailed(_MISMATCH, reason="mismatch")
    try:
        data_key = keys.unwrap(sealed.key_version, sealed.key_nonce, sealed.wrapped_key, aad)
        return AESGCM(data_key).decrypt(sealed.nonce, sealed.ciphertext, aad)
    except (InvalidTag, ValueError):
        # ValueError: a wrapped key that unwraps to something that is not an AES key.
        raise DecryptionFailed(_MISMATCH, reason="mismatch") from None


def reseal(
    keys: KeyEncryptionKeys, sealed: Sealed, *, workspace_id: str, credential_id: str
) -> Sealed:
    """The same secret under the active key version, with a fresh data key (the version
    is part of the associated data, so both layers are redone)."""
    plaintext = open_sealed(keys, sealed, workspace_id=workspace_id, credential_id=credential_id)
    return seal(keys, plaintext, workspace_id=workspace_id, credential_id=credential_id)
