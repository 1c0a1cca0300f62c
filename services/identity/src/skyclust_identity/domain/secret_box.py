"""Secrets identity must read back (a TOTP secret), sealed at rest with AES-256-GCM
under keys from settings, so a copy of the database or a backup yields no second factor.

A sealed value is `<version>:<base64 of nonce and ciphertext>`; the account's id is the
associated data, so a sealed secret copied onto another account does not open. Key
versions rotate as the vault's do: add one, make it active, and every secret moves to it
the next time it is used."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class SecretBoxError(ValueError):
    """A sealed value that does not open with the keys at hand."""


class SecretBox:
    def __init__(self, keys: Mapping[str, bytes], active: str) -> None:
        if active not in keys:
            raise ValueError("the active key version is not among the keys")
        for version, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"key version {version} is not 256 bits")
            if ":" in version:
                raise ValueError("a key version has no ':'")
        self._keys = dict(keys)
        self.active = active

    def seal(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._keys[self.active]).encrypt(
            nonce, plaintext.encode(), self._aad(self.active, context)
        )
        return f"{self.active}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str, *, context: str) -> str:
        version, _, body = sealed.partition(":")
        key = self._keys.get(version)
        if key is None or not body:
            raise SecretBoxError(f"no key of version {version!r} to open this secret")
        try:
            raw = base64.b64decode(body, validate=True)
            plain = AESGCM(key).decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._aad(version, context)
            )
        except (binascii.Error, InvalidTag, ValueError):
            raise SecretBoxError("the secret does not open: moved or tampered with") from None
        return plain.decode()

    def needs_reseal(self, sealed: str) -> bool:
        return not is_sealed(sealed) or sealed.partition(":")[0] != self.active

    @staticmethod
    def _aad(version: str, context: str) -> bytes:
        return f"skyclust-identity|{version}|{context}".encode()


def is_sealed(value: str) -> bool:
    """A TOTP secret stored before sealing existed is base32, which has no ':'."""
    return ":" in value
