"""Webhook signing secrets at rest: AES-256-GCM under `SKYCLUST_WEBHOOK_SECRETS_KEY`,
bound to their channel (the channel id is the associated data, so a sealed secret
copied onto another channel does not open). Without a key they are kept as they are;
a sealed one then cannot be read and says so."""

from __future__ import annotations

import base64
import os
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1:"


class SecretBox:
    def __init__(self, key: bytes | None) -> None:
        if key is not None and len(key) != 32:
            raise ValueError("the webhook secrets key must be 32 bytes (base64)")
        self._aead = AESGCM(key) if key is not None else None

    def seal(self, secret: str, channel_id: uuid.UUID) -> str:
        if self._aead is None:
            return secret
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, secret.encode(), channel_id.bytes)
        return PREFIX + base64.b64encode(nonce + sealed).decode()

    def open(self, stored: str, channel_id: uuid.UUID) -> str:
        if not stored.startswith(PREFIX):
            return stored
        if self._aead is None:
            raise RuntimeError(
                "webhook secrets are sealed but SKYCLUST_WEBHOOK_SECRETS_KEY is not set"
            )
        raw = base64.b64decode(stored[len(PREFIX) :])
        return self._aead.decrypt(raw[:12], raw[12:], channel_id.bytes).decode()


def parse_key(value: str | None) -> bytes | None:
    if not value:
        return None
    try:
        key = base64.b64decode(value, validate=True)
    except ValueError:
        raise ValueError("the webhook secrets key must be base64") from None
    if len(key) != 32:
        raise ValueError("the webhook secrets key must be 32 bytes (base64)")
    return key
