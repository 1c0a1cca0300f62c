"""The verified-token cache: a signature checked once per token and period, never past
the token's own expiry, bounded in size, and a revoked session refused at once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
import pytest

from skyclust_common.errors import Unauthorized
from skyclust_gateway.auth import TokenVerifier

from .test_tokens import FakeJwks, claims, sign

pytestmark = pytest.mark.unit


class CountingJwks(FakeJwks):
    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    async def key(self, kid: str) -> jwt.PyJWK:
        self.lookups += 1
        return await super().key(kid)


def verifier(**kw: Any) -> tuple[TokenVerifier, CountingJwks]:
    jwks = CountingJwks()
    return TokenVerifier(jwks, "skyclust", "skyclust-api", **kw), jwks


async def test_a_token_is_verified_once_then_served_from_the_cache() -> None:
    tokens, jwks = verifier()
    token = sign(claims())
    first = await tokens.verify(token, typ="access")
    for _ in range(50):
        assert await tokens.verify(token, typ="access") == first
    assert jwks.lookups == 1


async def test_a_revoked_session_is_refused_even_when_its_token_is_cached() -> None:
    tokens, jwks = verifier()
    token = sign(claims(sid="s-cached"))
    await tokens.verify(token, typ="access")
    tokens.revocations.add(["s-cached"])
    with pytest.raises(Unauthorized) as info:
        await tokens.verify(token, typ="access")
    assert info.value.code == "SESSION_REVOKED"
    assert jwks.lookups == 1  # refused from the cache entry, not by verifying again


async def test_a_cached_token_is_not_accepted_past_its_expiry() -> None:
    tokens, _ = verifier(cache_seconds=3600)
    now = int(time.time())
    token = sign(claims(exp=now + 1, iat=now - 10, nbf=now - 10))
    await tokens.verify(token, typ="access")
    await asyncio.sleep(1.5)
    with pytest.raises(Unauthorized) as info:
        await tokens.verify(token, typ="access")
    assert info.value.code == "TOKEN_EXPIRED"


async def test_entries_age_out_after_the_cache_period() -> None:
    tokens, jwks = verifier(cache_seconds=0.05)
    token = sign(claims())
    await tokens.verify(token, typ="access")
    await asyncio.sleep(0.1)
    await tokens.verify(token, typ="access")
    assert jwks.lookups == 2


async def test_the_cache_is_bounded_and_zero_turns_it_off() -> None:
    bounded, _ = verifier(cache_size=3)
    for n in range(10):
        await bounded.verify(sign(claims(jti=f"j{n}")), typ="access")
    assert len(bounded._verified) == 3
    off, jwks = verifier(cache_seconds=0)
    token = sign(claims())
    for _ in range(3):
        await off.verify(token, typ="access")
    assert jwks.lookups == 3
    assert off._verified == {}


async def test_a_token_cached_for_one_kind_is_not_accepted_as_another() -> None:
    tokens, _ = verifier()
    token = sign(claims())
    await tokens.verify(token, typ="access")
    with pytest.raises(Unauthorized):
        await tokens.verify(token, typ="stream")
    with pytest.raises(Unauthorized):
        await tokens.verify(token, audience="skyclust-stream", typ="access")


async def test_failures_are_not_cached() -> None:
    tokens, _ = verifier()
    with pytest.raises(Unauthorized):
        await tokens.verify(sign(claims(aud="other")), typ="access")
    assert tokens._verified == {}
