"""Verifying access tokens and stream tickets against identity's JWKS."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import Request

from skyclust_common.errors import Unauthorized
from skyclust_common.messaging import Bus

ALGORITHMS = ["EdDSA"]
STREAM_AUDIENCE = "skyclust-stream"


@dataclass(frozen=True)
class Principal:
    user_id: str
    workspace_id: str
    role: str


class JwksCache:
    """Keys by `kid`, refreshed after `ttl` or when an unknown `kid` shows up
    (at most once a second, so forged kids cannot hammer identity)."""

    def __init__(self, bus: Bus, ttl: float) -> None:
        self._bus = bus
        self._ttl = ttl
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched = 0.0
        self._lock = asyncio.Lock()

    async def jwks(self) -> dict[str, Any]:
        return await self._bus.request("identity", "GetJwks", {})

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched < 1.0:
                return
            document = await self.jwks()
            self._keys = {key["kid"]: jwt.PyJWK(key) for key in document["keys"]}
            self._fetched = time.monotonic()

    async def key(self, kid: str) -> jwt.PyJWK:
        if kid not in self._keys or time.monotonic() - self._fetched > self._ttl:
            await self._refresh()
        if kid not in self._keys:
            raise Unauthorized("token signed by an unknown key", code="INVALID_TOKEN")
        return self._keys[kid]


class TokenVerifier:
    def __init__(self, jwks: JwksCache, issuer: str, audience: str) -> None:
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience

    async def verify(self, token: str, *, audience: str | None = None, typ: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("malformed token", code="INVALID_TOKEN") from None
        if header.get("alg") not in ALGORITHMS or not isinstance(header.get("kid"), str):
            raise Unauthorized("token algorithm or key id not accepted", code="INVALID_TOKEN")
        key = await self.jwks.key(header["kid"])
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=audience or self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token expired", code="TOKEN_EXPIRED") from None
        except jwt.PyJWTError:
            raise Unauthorized("invalid token", code="INVALID_TOKEN") from None
        if claims.get("typ") != typ:
            raise Unauthorized("wrong kind of token", code="INVALID_TOKEN")
        try:
            return Principal(str(claims["sub"]), str(claims["wid"]), str(claims["role"]))
        except KeyError:
            raise Unauthorized("invalid token", code="INVALID_TOKEN") from None


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def current_principal(request: Request) -> Principal:
    token = bearer(request)
    if token is None:
        raise Unauthorized("missing bearer token", code="UNAUTHORIZED")
    verifier: TokenVerifier = request.app.state.verifier
    return await verifier.verify(token, typ="access")
