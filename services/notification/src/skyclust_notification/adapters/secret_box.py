"""Webhook signing secrets at rest: AES-256-GCM under versioned keys
(`SKYCLUST_WEBHOOK_SECRETS_KEYS`, JSON `{version: base64 of 32 bytes}`, the newest named by
`SKYCLUST_WEBHOOK_SECRETS_ACTIVE_KEY`), bound to their channel (the channel id is the
associated data, so a sealed secret copied onto another channel does not open).

A sealed secret is `<version>:<base64 of nonce and ciphertext>`: the active version
seals, every configured one opens, so a key rotates as identity's MFA keys do (add a
version, make it active, and the secrets move to it as they are used or when an operator
runs `secrets reseal`). A secret with no `:` was stored before a key was set (a `whsec_`
secret is base64, which has none) and is kept as it is while no key is set; once one is,
it is sealed on its next use too."""

from __future__ import annotations

import base64
import binascii
import os
import uuid
from collections.abc import Mapping

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
# What `SKYCLUST_WEBHOOK_SECRETS_KEY` (one key, before versions) sealed under.
LEGACY_VERSION = "v1"


class SecretsKeyMissing(RuntimeError):
    """A sealed secret whose key version is not configured."""


class SecretBox:
    def __init__(self, keys: Mapping[str, bytes] | None = None, active: str | None = None) -> None:
        keys = dict(keys or {})
        for version, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"webhook secrets key {version} must be 32 bytes (base64)")
            if not version or ":" in version:
                raise ValueError("a webhook secrets key version is not empty and has no ':'")
        if keys and active not in keys:
            raise ValueError("the active webhook secrets key must be one of the keys")
        self._aeads = {version: AESGCM(key) for version, key in keys.items()}
        self.active = active if keys else None

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(sorted(self._aeads))

    def seal(self, secret: str, channel_id: uuid.UUID) -> str:
        if self.active is None:
            return secret
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aeads[self.active].encrypt(nonce, secret.encode(), channel_id.bytes)
        return f"{self.active}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, stored: str, channel_id: uuid.UUID) -> str:
        version = version_of(stored)
        if version is None:
            return stored
        aead = self._aeads.get(version)
        if aead is None:
            raise SecretsKeyMissing(
                f"a webhook secret is sealed under key {version!r}, which "
                "SKYCLUST_WEBHOOK_SECRETS_KEYS does not hold"
            )
        raw = base64.b64decode(stored.partition(":")[2])
        return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], channel_id.bytes).decode()

    def needs_reseal(self, stored: str) -> bool:
        """Clear, or under an older version this box can open (one it cannot open is
        left for the operator: it would fail again and again)."""
        if self.active is None:
            return False
        version = version_of(stored)
        return version is None or (version != self.active and version in self._aeads)

    def stale_versions(self) -> tuple[str, ...]:
        """The configured versions other than the active one."""
        return tuple(v for v in self.versions if v != self.active)


def version_of(stored: str) -> str | None:
    """The key version a stored secret is sealed under; None when it is clear."""
    return stored.partition(":")[0] if ":" in stored else None


def parse_key(value: str | None) -> bytes | None:
    if not value:
        return None
    try:
        key = base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raise ValueError("the webhook secrets key must be base64") from None
    if len(key) != 32:
        raise ValueError("the webhook secrets key must be 32 bytes (base64)")
    return key
