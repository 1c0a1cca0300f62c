"""The OpenID Connect login's own rules, free of I/O: the secrets of one login (state,
nonce, PKCE verifier), how long a started login stays good, and what the provider's
claims say about the person."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

STATE_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class VerifiedIdentity:
    """What a login proved: who the user is at the provider."""

    subject: str
    email: str | None
    email_verified: bool
    name: str | None


def pkce_challenge(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    # 86 characters of the unreserved set (RFC 7636 4.1 asks for 43 to 128).
    return secrets.token_urlsafe(64)


def identity_from_claims(claims: dict[str, Any]) -> VerifiedIdentity:
    email = claims.get("email")
    name = str(claims.get("name") or claims.get("preferred_username") or "").strip()
    verified = claims.get("email_verified")
    return VerifiedIdentity(
        subject=str(claims["sub"]),
        email=email if isinstance(email, str) and email else None,
        # Some providers send the string "true".
        email_verified=verified is True or verified == "true",
        name=name[:200] or None,
    )


def state_problem(
    *, provider: str, used_at: datetime | None, created_at: datetime, expected: str, now: datetime
) -> str | None:
    """Why a login's state cannot complete it (the reason OIDC_STATE_INVALID gives), or
    None when it can."""
    if provider != expected:
        return "provider_mismatch"
    if used_at is not None:
        return "used"
    if created_at <= now - STATE_TTL:
        return "expired"
    return None
