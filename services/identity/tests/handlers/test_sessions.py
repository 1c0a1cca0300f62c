"""Sessions on the in-memory unit of work: single-use refresh tokens, reuse detection,
logout and the liveness check the gateway asks for."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from skyclust_common.messages.rpc import (
    CheckSession,
    GetJwks,
    IssueStreamTicket,
    Logout,
    RefreshTokens,
    RotateSigningKey,
)
from skyclust_identity.domain.errors import (
    InvalidRefreshToken,
    RefreshTokenReused,
    SessionNotFound,
    TicketNeedsSession,
)
from skyclust_identity.handlers import sessions, signing

from .fakes import Identity

pytestmark = pytest.mark.unit


async def logged_in(identity: Identity) -> tuple[dict[str, Any], dict[str, Any]]:
    registered = await identity.register("ada@example.com")
    return registered, await identity.login("ada@example.com")


def claims(token: str) -> dict[str, Any]:
    found: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return found


async def test_a_refresh_token_is_spent_and_replaced() -> None:
    identity = Identity()
    registered, tokens = await logged_in(identity)
    renewed = await sessions.refresh(
        identity.deps, RefreshTokens.request({"refresh_token": tokens["refresh_token"]})
    )
    assert renewed["refresh_token"] != tokens["refresh_token"]
    first, second = claims(tokens["access_token"]), claims(renewed["access_token"])
    assert first["sid"] == second["sid"]
    assert (second["sub"], second["role"]) == (registered["user"]["id"], "admin")
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(
            identity.deps, RefreshTokens.request({"refresh_token": "never-issued"})
        )


async def test_a_reused_refresh_token_revokes_its_session() -> None:
    identity = Identity()
    registered, tokens = await logged_in(identity)
    renewed = await sessions.refresh(
        identity.deps, RefreshTokens.request({"refresh_token": tokens["refresh_token"]})
    )
    with pytest.raises(RefreshTokenReused) as info:
        await sessions.refresh(
            identity.deps, RefreshTokens.request({"refresh_token": tokens["refresh_token"]})
        )
    assert info.value.status == 401
    [revoked] = identity.events("SessionsRevoked")
    sid = claims(tokens["access_token"])["sid"]
    assert revoked == {
        "user_id": registered["user"]["id"],
        "workspace_id": registered["workspace"]["id"],
        "session_ids": [sid],
        "reason": "refresh_token_reused",
    }
    # The thief's fresh token dies with the family.
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(
            identity.deps, RefreshTokens.request({"refresh_token": renewed["refresh_token"]})
        )
    assert (
        await sessions.check_session(identity.deps, CheckSession.request({"session_id": sid}))
    ) == {"live": False}


async def test_logout_ends_the_session_once_and_only_for_its_owner() -> None:
    identity = Identity()
    registered, tokens = await logged_in(identity)
    sid = claims(tokens["access_token"])["sid"]
    user_id = registered["user"]["id"]
    assert await sessions.check_session(
        identity.deps, CheckSession.request({"session_id": sid})
    ) == {"live": True}
    with pytest.raises(SessionNotFound):
        await sessions.logout(
            identity.deps,
            Logout.request({"session_id": sid, "user_id": registered["workspace"]["id"]}),
        )
    for _ in range(2):
        answer = await sessions.logout(
            identity.deps, Logout.request({"session_id": sid, "user_id": user_id})
        )
        assert answer == {"session_ids": [sid]}
    assert [e["reason"] for e in identity.events("SessionsRevoked")] == ["logout"]
    assert await sessions.check_session(
        identity.deps, CheckSession.request({"session_id": sid})
    ) == {"live": False}
    with pytest.raises(InvalidRefreshToken):
        await sessions.refresh(
            identity.deps, RefreshTokens.request({"refresh_token": tokens["refresh_token"]})
        )


async def test_a_stream_ticket_is_bound_to_a_login_session() -> None:
    identity = Identity()
    registered, tokens = await logged_in(identity)
    caller = {
        "user_id": registered["user"]["id"],
        "workspace_id": registered["workspace"]["id"],
        "role": "admin",
    }
    with pytest.raises(TicketNeedsSession):
        await sessions.stream_ticket(identity.deps, IssueStreamTicket.request(caller))
    sid = claims(tokens["access_token"])["sid"]
    ticket = await sessions.stream_ticket(
        identity.deps, IssueStreamTicket.request({**caller, "session_id": sid})
    )
    assert claims(ticket["ticket"])["typ"] == "stream"
    assert 0 < ticket["expires_in"] <= identity.settings.refresh_token_ttl_seconds


async def test_a_rotated_signing_key_stays_published_beside_the_new_one() -> None:
    identity = Identity()
    _, tokens = await logged_in(identity)
    old_kid = jwt.get_unverified_header(tokens["access_token"])["kid"]
    new_kid = (await signing.rotate_signing_key(identity.deps, RotateSigningKey.request({})))["kid"]
    published = [
        key["kid"] for key in (await signing.jwks(identity.deps, GetJwks.request({})))["keys"]
    ]
    assert set(published) == {old_kid, new_kid}
    fresh = await identity.login("ada@example.com")
    assert jwt.get_unverified_header(fresh["access_token"])["kid"] == new_kid
