"""Verifying access tokens and stream tickets against identity's JWKS."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import Request

from skyclust_common.errors import SkyclustError, Unauthorized, UntrustedSource
from skyclust_common.messaging import Bus

from .errors import InvalidToken, MfaRequired, SessionRevoked, TokenExpired

log = logging.getLogger(__name__)
# The name its dead letters carry: an ordered consumer of the gateway's, not a durable.
REVOCATIONS_CONSUMER = "gateway-revocations"

ALGORITHMS = ["EdDSA"]
STREAM_AUDIENCE = "skyclust-stream"


@dataclass(frozen=True)
class Principal:
    """Who is calling. For an API key, `user_id` is `apikey:<id>`."""

    user_id: str
    workspace_id: str
    role: str
    session_id: str | None = None
    actor_type: str = "user"
    # The workspace requires MFA and this user has none (the access token says so).
    mfa_unmet: bool = False

    @property
    def actor_id(self) -> str:
        return self.user_id


class Revocations:
    """Sessions that ended (logout, refresh-token reuse, role change, removal). Filled
    from SessionsRevoked events since the oldest token that could still be valid, and
    at once by this gateway for the changes it relays itself."""

    def __init__(self, horizon_seconds: float) -> None:
        self.horizon = horizon_seconds
        self._sessions: dict[str, float] = {}

    def add(self, session_ids: list[str]) -> None:
        until = time.monotonic() + self.horizon
        for sid in session_ids:
            self._sessions[sid] = until
        if len(self._sessions) > 10000:
            now = time.monotonic()
            self._sessions = {k: v for k, v in self._sessions.items() if v > now}

    def revoked(self, session_id: str | None) -> bool:
        return session_id is not None and session_id in self._sessions


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
            raise InvalidToken("token signed by an unknown key")
        return self._keys[kid]


class TokenVerifier:
    """Verifies tokens against the JWKS. A token that verified is remembered for
    `cache_seconds` (never past its own `exp`, at most `cache_size` tokens), so a client
    reading in a loop pays for the signature once, not on every request. The session's
    revocation is checked on every use, cached or not: a logout still ends it at once."""

    def __init__(
        self,
        jwks: JwksCache,
        issuer: str,
        audience: str,
        revocations: Revocations | None = None,
        clock: Callable[[], float] = time.time,
        *,
        cache_seconds: float = 30.0,
        cache_size: int = 10000,
    ) -> None:
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.revocations = revocations or Revocations(3600)
        # Expiry is checked against this clock (PyJWT's own check would use the wall
        # clock), so lifetimes can be tested without waiting them out.
        self.clock = clock
        self.cache_seconds = cache_seconds
        self.cache_size = cache_size
        # (token, audience, typ) -> (monotonic deadline, token exp, principal)
        self._verified: dict[tuple[str, str, str], tuple[float, float, Principal]] = {}

    async def verify(self, token: str, *, audience: str | None = None, typ: str) -> Principal:
        key = (token, audience or self.audience, typ)
        cached = self._verified.get(key)
        if cached is not None:
            deadline, expires, principal = cached
            if time.monotonic() < deadline and self.clock() < expires:
                self._refuse_revoked(principal.session_id)
                return principal
            del self._verified[key]
        principal, expires = await self._verify(token, key[1], typ)
        if self.cache_seconds > 0:
            if len(self._verified) >= self.cache_size:
                # Oldest first: dicts keep insertion order.
                del self._verified[next(iter(self._verified))]
            self._verified[key] = (time.monotonic() + self.cache_seconds, expires, principal)
        return principal

    def _refuse_revoked(self, session_id: str | None) -> None:
        if self.revocations.revoked(session_id):
            raise SessionRevoked()

    async def _verify(self, token: str, audience: str, typ: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("malformed token") from None
        if header.get("alg") not in ALGORITHMS or not isinstance(header.get("kid"), str):
            raise InvalidToken("token algorithm or key id not accepted")
        key = await self.jwks.key(header["kid"])
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=audience,
                issuer=self.issuer,
                options={
                    "require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"],
                    "verify_exp": False,
                },
            )
        except jwt.PyJWTError:
            raise InvalidToken() from None
        expires = claims.get("exp")
        if not isinstance(expires, int | float) or expires <= self.clock():
            raise TokenExpired()
        if claims.get("typ") != typ:
            raise InvalidToken("wrong kind of token")
        session_id = claims.get("sid")
        if typ == "access" and not isinstance(session_id, str):
            raise InvalidToken()
        self._refuse_revoked(session_id)
        try:
            principal = Principal(
                str(claims["sub"]),
                str(claims["wid"]),
                str(claims["role"]),
                session_id,
                mfa_unmet=claims.get("mfa_unmet") is True,
            )
        except KeyError:
            raise InvalidToken() from None
        return principal, float(claims["exp"])


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


API_KEY_PREFIX = "sk_"
# The account's own routes (me, MFA enrolment, logout, switching workspace) stay open to
# a member who has yet to meet the workspace's MFA policy.
MFA_EXEMPT_PREFIX = "/api/v1/auth/"


async def current_principal(request: Request) -> Principal:
    token = bearer(request)
    if token is None:
        raise Unauthorized("missing bearer token")
    if token.startswith(API_KEY_PREFIX):
        bus: Bus = request.app.state.bus
        key = await bus.request("identity", "VerifyApiKey", {"key": token[:256]})
        principal = Principal(
            f"apikey:{key['api_key_id']}", key["workspace_id"], key["role"], None, "api_key"
        )
    else:
        verifier: TokenVerifier = request.app.state.verifier
        principal = await verifier.verify(token, typ="access")
        if principal.mfa_unmet and not request.url.path.startswith(MFA_EXEMPT_PREFIX):
            raise MfaRequired()
    request.state.principal = principal
    return principal


async def follow_revocations(bus: Bus, revocations: Revocations) -> None:
    """Keep `revocations` up to date from SessionsRevoked events, starting early enough
    to cover every access token that could still be valid. One that is not identity's
    (its contract's owner), or not on its own subject, revokes nothing: it goes to the
    dead-letter stream with the reason."""
    import json
    from datetime import UTC, datetime, timedelta

    from nats.js.api import ConsumerConfig, DeliverPolicy

    from skyclust_common.delivery import untrusted_source
    from skyclust_common.envelope import CloudEvent
    from skyclust_common.messaging import EVENTS_STREAM, Delivery

    start = datetime.now(UTC) - timedelta(seconds=revocations.horizon)

    async def on_message(msg: Any) -> None:
        try:
            event = CloudEvent.from_json(msg.data)
            refusal = untrusted_source(bus.registry, event, msg.subject)
            session_ids = list(json.loads(msg.data)["data"]["session_ids"])
        except (KeyError, TypeError, ValueError, SkyclustError):
            return
        if refusal is not None:
            seq = int(msg.metadata.sequence.stream)
            delivery = Delivery(REVOCATIONS_CONSUMER, msg.subject, 1, seq)
            try:
                await bus.dead_letter(msg.data, delivery, refusal, UntrustedSource.code)
            except Exception as exc:
                log.error("dead-lettering failed", extra={"error": str(exc)})
            return
        revocations.add(session_ids)

    await bus.js.subscribe(
        "skyclust.evt.*.SessionsRevoked",
        stream=EVENTS_STREAM,
        ordered_consumer=True,
        cb=on_message,
        config=ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_TIME,
            opt_start_time=start,
        ),
    )
