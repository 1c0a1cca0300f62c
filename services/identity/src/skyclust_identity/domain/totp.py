"""Time-based one-time passwords (RFC 6238) and recovery codes, free of I/O.

Codes are SHA-1, 6 digits, 30-second steps: the parameters every authenticator app
reads from an otpauth URI without asking. A code is accepted one step either side of
now, for clocks that drift; the step it matched is returned so the caller can store it
and refuse the same code (or an older one) a second time."""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor import InvalidToken
from cryptography.hazmat.primitives.twofactor.totp import TOTP

DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1
SECRET_BYTES = 20  # 160 bits, the length RFC 4226 recommends for HMAC-SHA-1
RECOVERY_CODES = 10
ISSUER = "SkyClust"


def new_secret() -> str:
    """A fresh shared secret, base32 without padding, as authenticator apps take it."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)


def _totp(secret: str) -> TOTP:
    # Authenticator apps only speak SHA-1 reliably; the weakness of SHA-1 in collisions
    # does not touch its use in HMAC.
    return TOTP(_key(secret), DIGITS, SHA1(), STEP_SECONDS)


def provisioning_uri(secret: str, account: str) -> str:
    return _totp(secret).get_provisioning_uri(account, ISSUER)


def code_at(secret: str, at: float) -> str:
    return _totp(secret).generate(int(at)).decode()


def matching_step(secret: str, code: str, *, at: float, last_step: int | None) -> int | None:
    """The time step `code` is valid for near `at`, or None when it is wrong or its step
    is not after `last_step` (a replay, or a code older than one already used)."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = _totp(secret)
    now_step = int(at) // STEP_SECONDS
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        try:
            totp.verify(code.encode(), step * STEP_SECONDS)
        except InvalidToken:
            continue
        return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes of 50 bits each, grouped for reading aloud: xxxxx-xxxxx."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def recovery_code_hash(code: str) -> str:
    # The codes are random and long, so a fast hash suffices: there is nothing to
    # guess from a dictionary.
    normalized = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalized.encode()).hexdigest()
