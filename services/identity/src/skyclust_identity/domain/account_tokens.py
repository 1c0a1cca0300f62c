"""The secrets behind account links (address verification, password reset), free of
I/O. The link carries the token; the store keeps only its hash, so a copy of the
database opens no account, and spends it once."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import timedelta


class Purpose(enum.StrEnum):
    VERIFY_EMAIL = "verify_email"
    PASSWORD_RESET = "password_reset"
    # Sent to the new address; the account's address changes when it is used.
    CHANGE_EMAIL = "change_email"


TTL = {
    Purpose.VERIFY_EMAIL: timedelta(hours=24),
    Purpose.PASSWORD_RESET: timedelta(minutes=30),
    Purpose.CHANGE_EMAIL: timedelta(hours=24),
}


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store of it."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link(base_url: str, purpose: Purpose, token: str) -> str:
    path = "reset-password" if purpose is Purpose.PASSWORD_RESET else "verify-email"
    return f"{base_url.rstrip('/')}/{path}?token={token}"
