"""Envelope encryption: a fresh AES-256-GCM data key per credential, wrapped by a
versioned key-encryption key. The associated data binds both layers to the workspace,
the credential and the key version, so a ciphertext moved anywhere else fails."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from skyclust_common.errors import SkyclustError


class DecryptionFailed(SkyclustError):
    code = "CREDENTIAL_DECRYPTION_FAILED"
    status = 500


@dataclass(frozen=True)
class Sealed:
    ciphertext: bytes
    nonce: bytes
    wrapped_key: bytes
    key_nonce: bytes
    key_version: str


class KeyEncryptionKeys(Protocol):
    """Wraps data keys. The keyring below keeps keys from settings; a cloud KMS or
    Vault Transit implements the same three methods."""

    @property
    def active_version(self) -> str: ...

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes, bytes]: ...

    def unwrap(self, version: str, nonce: bytes, wrapped: bytes, aad: bytes) -> bytes: ...


class Keyring:
    def __init__(self, keys: dict[str, bytes], active: str) -> None:
        if active not in keys:
            raise ValueError("active key version not in keyring")
        self._keys = dict(keys)
        self._active = active

    @property
    def active_version(self) -> str:
        return self._active

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes, bytes]:
        nonce = os.urandom(12)
        version = self._active
        return version, nonce, AESGCM(self._keys[version]).encrypt(nonce, data_key, aad)

    def unwrap(self, version: str, nonce: bytes, wrapped: bytes, aad: bytes) -> bytes:
        key = self._keys.get(version)
        if key is None:
            raise DecryptionFailed(
                f"key version {version} is not in the keyring", code="KEY_VERSION_UNKNOWN"
            )
        return AESGCM(key).decrypt(nonce, wrapped, aad)


def _aad(workspace_id: str, credential_id: str, version: str) -> bytes:
    return f"skyclust-credential|{workspace_id}|{credential_id}|{version}".encode()


def seal(
    keys: KeyEncryptionKeys, plaintext: bytes, *, workspace_id: str, credential_id: str
) -> Sealed:
    data_key = AESGCM.generate_key(bit_length=256)
    version = keys.active_version
    aad = _aad(workspace_id, credential_id, version)
    nonce = os.urandom(12)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, aad)
    wrapped_version, key_nonce, wrapped = keys.wrap(data_key, aad)
    assert wrapped_version == version
    return Sealed(ciphertext, nonce, wrapped, key_nonce, version)


def open_sealed(
    keys: KeyEncryptionKeys, sealed: Sealed, *, workspace_id: str, credential_id: str
) -> bytes:
    aad = _aad(workspace_id, credential_id, sealed.key_version)
    try:
        data_key = keys.unwrap(sealed.key_version, sealed.key_nonce, sealed.wrapped_key, aad)
        return AESGCM(data_key).decrypt(sealed.nonce, sealed.ciphertext, aad)
    except InvalidTag:
        raise DecryptionFailed(
            "the stored ciphertext does not belong to this credential, workspace and key version"
        ) from None
