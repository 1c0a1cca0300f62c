"""Forged and broken tokens are refused by the gateway's verifier."""

from __future__ import annotations

import base64
import json
import time
from typing import Any, cast

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from skyclust_common.errors import Unauthorized
from skyclust_common.messaging import Bus
from skyclust_gateway.auth import JwksCache, TokenVerifier

pytestmark = pytest.mark.unit

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()


def jwk(key: Ed25519PrivateKey, kid: str) -> dict[str, Any]:
    public: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "alg": "EdDSA", "use": "sig"}


class FakeJwks(JwksCache):
    def __init__(self) -> None:
        super().__init__(bus=cast(Bus, None), ttl=300)
        self.fetches = 0

    async def jwks(self) -> dict[str, Any]:
        self.fetches += 1
        return {"keys": [jwk(KEY, "k1")]}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": "u1",
        "wid": "w1",
        "role": "admin",
        "iss": "skyclust",
        "aud": "skyclust-api",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": "j1",
        "typ": "access",
        "sid": "s1",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any], key: Any = KEY, kid: str = "k1", alg: str = "EdDSA") -> str:
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(payload: dict[str, Any]) -> str:
    header = b64(json.dumps({"alg": "none", "kid": "k1"}).encode())
    return f"{header}.{b64(json.dumps(payload).encode())}."


def raw_signed(header: dict[str, Any], payload: dict[str, Any]) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64(KEY.sign(signing_input.encode()))}"


def tampered() -> str:
    header, _, signature = sign(claims()).split(".")
    payload = b64(json.dumps(claims(role="admin", wid="someone-else")).encode())
    return f"{header}.{payload}.{signature}"


def hs256_with_public_key() -> str:
    public = jwk(KEY, "k1")["x"].encode()
    header = b64(json.dumps({"alg": "HS256", "kid": "k1", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims()).encode())
    import hashlib
    import hmac

    mac = hmac.new(public, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64(mac)}"


FORGED = {
    "alg none": lambda: unsigned(claims()),
    "HS256 signed with the public key": hs256_with_public_key,
    "expired": lambda: sign(claims(exp=int(time.time()) - 10, iat=int(time.time()) - 400)),
    "not yet valid": lambda: sign(claims(nbf=int(time.time()) + 600)),
    "wrong issuer": lambda: sign(claims(iss="evil")),
    "wrong audience": lambda: sign(claims(aud="other-api")),
    "stream ticket audience": lambda: sign(claims(aud="skyclust-stream", typ="stream")),
    "unknown kid": lambda: sign(claims(), kid="nope"),
    "signed by another key": lambda: sign(claims(), key=OTHER),
    "tampered payload": tampered,
    "truncated signature": lambda: sign(claims())[:-6],
    "no signature": lambda: ".".join(sign(claims()).split(".")[:2]) + ".",
    "refresh token as access": lambda: sign(claims(typ="refresh")),
    "missing exp": lambda: sign(claims(exp=None)),
    "missing jti": lambda: sign(claims(jti=None)),
    "missing sub": lambda: sign(claims(sub=None)),
    "missing workspace": lambda: sign(claims(wid=None)),
    "missing session id": lambda: sign(claims(sid=None)),
    "garbage": lambda: "not.a.token",
    "empty": lambda: "",
    "kid not a string": lambda: raw_signed({"alg": "EdDSA", "kid": 7}, claims()),
}


@pytest.mark.parametrize("name", sorted(FORGED))
async def test_forged_or_broken_tokens_are_refused(name: str) -> None:
    verifier = TokenVerifier(FakeJwks(), "skyclust", "skyclust-api")
    with pytest.raises(Unauthorized):
        await verifier.verify(FORGED[name](), typ="access")


async def test_a_good_token_gives_the_principal() -> None:
    verifier = TokenVerifier(FakeJwks(), "skyclust", "skyclust-api")
    principal = await verifier.verify(sign(claims()), typ="access")
    assert (principal.user_id, principal.workspace_id, principal.role) == ("u1", "w1", "admin")


async def test_unknown_kids_do_not_hammer_identity() -> None:
    jwks = FakeJwks()
    verifier = TokenVerifier(jwks, "skyclust", "skyclust-api")
    for _ in range(20):
        with pytest.raises(Unauthorized):
            await verifier.verify(sign(claims(), kid="random"), typ="access")
    assert jwks.fetches == 1


async def test_a_revoked_session_is_refused() -> None:
    verifier = TokenVerifier(FakeJwks(), "skyclust", "skyclust-api")
    token = sign(claims(sid="ended"))
    assert (await verifier.verify(token, typ="access")).session_id == "ended"
    verifier.revocations.add(["ended"])
    with pytest.raises(Unauthorized) as info:
        await verifier.verify(token, typ="access")
    assert info.value.code == "SESSION_REVOKED"
