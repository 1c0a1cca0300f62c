"""Signing access tokens and stream tickets with Ed25519 (EdDSA), published as a JWKS."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

ALGORITHM = "EdDSA"


def generate_signing_key() -> tuple[str, bytes, str]:
    """A new key: (kid, private key PEM, public JWK as JSON)."""
    key = Ed25519PrivateKey.generate()
    kid = secrets.token_hex(8)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    return kid, pem, json.dumps(jwk)


class TokenSigner:
    def __init__(self, kid: str, private_pem: bytes, issuer: str) -> None:
        self.kid = kid
        self._key = serialization.load_pem_private_key(private_pem, password=None)
        self.issuer = issuer

    def sign(self, claims: dict[str, Any], *, audience: str, ttl: int, token_type: str) -> str:
        now = datetime.now(UTC)
        payload = {
            **claims,
            "iss": self.issuer,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + timedelta(seconds=ttl),
            "jti": uuid.uuid4().hex,
            "typ": token_type,
        }
        return jwt.encode(
            payload,
            self._key,  # type: ignore[arg-type]
            algorithm=ALGORITHM,
            headers={"kid": self.kid, "typ": "JWT"},
        )
