"""Sessions: one per login, a family of single-use refresh tokens. Access tokens carry
the session's id; revoking it ends every token of the login."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import Any

from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import SkyclustError
from skyclust_common.messages.rpc import (
    CheckSession,
    GetMe,
    IssueStreamTicket,
    Logout,
    RefreshTokens,
    SwitchWorkspace,
)
from skyclust_common.messaging import RpcContext

from ..domain.errors import (
    InvalidRefreshToken,
    RefreshTokenReused,
    SessionNotFound,
    SessionRevoked,
    TicketNeedsSession,
    UserNotFound,
    WorkspaceNotFound,
)
from ..domain.ports import IdentityUow, Member, SessionRecord, UserRecord, WorkspaceRecord
from .base import IdentityDeps, identity_event, now, user_view, workspace_view
from .signing import signer

STREAM_AUDIENCE = "skyclust-stream"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _new_refresh(uow: IdentityUow, deps: IdentityDeps, session: SessionRecord) -> str:
    refresh = secrets.token_urlsafe(32)
    await uow.refresh_tokens.add(
        token_hash=token_hash(refresh),
        session=session,
        expires_at=now() + timedelta(seconds=deps.settings.refresh_token_ttl_seconds),
    )
    return refresh


def mfa_unmet(user: UserRecord | None, workspace: WorkspaceRecord) -> bool:
    return workspace.require_mfa and (user is None or user.mfa_enabled_at is None)


async def _access(
    uow: IdentityUow, deps: IdentityDeps, session: SessionRecord, role: str, *, mfa_unmet: bool
) -> str:
    settings = deps.settings
    claims: dict[str, Any] = {
        "sub": str(session.user_id),
        "wid": str(session.workspace_id),
        "role": role,
        "sid": str(session.id),
    }
    if mfa_unmet:
        # The member may still log in, to enrol; the gateway refuses the workspace's
        # routes to such a token with MFA_REQUIRED.
        claims["mfa_unmet"] = True
    return (await signer(uow, settings.token_issuer)).sign(
        claims,
        audience=settings.token_audience,
        ttl=settings.access_token_ttl_seconds,
        token_type="access",
    )


def _tokens(deps: IdentityDeps, access: str, refresh: str) -> dict[str, Any]:
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": deps.settings.access_token_ttl_seconds,
    }


async def issue_tokens(
    uow: IdentityUow, deps: IdentityDeps, user: UserRecord, workspace: WorkspaceRecord, role: str
) -> dict[str, Any]:
    """A new session for `user` in `workspace`; the caller commits `uow`."""
    session = await uow.sessions.add(user.id, workspace.id)
    refresh = await _new_refresh(uow, deps, session)
    access = await _access(uow, deps, session, role, mfa_unmet=mfa_unmet(user, workspace))
    return _tokens(deps, access, refresh)


def revoked_event(
    user_id: uuid.UUID,
    workspace_id: uuid.UUID,
    session_ids: list[uuid.UUID],
    reason: str,
    actor: str | None,
) -> CloudEvent:
    return identity_event(
        "SessionsRevoked",
        {
            "user_id": str(user_id),
            "workspace_id": str(workspace_id),
            "session_ids": [str(i) for i in session_ids],
            "reason": reason,
        },
        subject=str(user_id),
        workspace_id=str(workspace_id),
        actor=actor,
    )


def _revoke(uow: IdentityUow, session: SessionRecord, reason: str, actor: str | None) -> None:
    session.revoked_at = now()
    session.revoked_reason = reason
    uow.emit(revoked_event(session.user_id, session.workspace_id, [session.id], reason, actor))


async def revoke_sessions(
    uow: IdentityUow, user_id: uuid.UUID, workspace_id: uuid.UUID, reason: str, actor: str | None
) -> list[uuid.UUID]:
    """End the user's live sessions in the workspace (their role there changed, or they
    left it)."""
    ids = await uow.sessions.revoke_live(user_id, workspace_id, at=now(), reason=reason)
    if ids:
        uow.emit(revoked_event(user_id, workspace_id, ids, reason, actor))
    return ids


async def refresh(
    deps: IdentityDeps, req: RefreshTokens.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    """Single use and rotated: presenting a used refresh token revokes its whole family,
    so a thief and the owner both lose it."""
    invalid = InvalidRefreshToken("invalid refresh token")
    async with deps.uow() as uow:
        token = await uow.refresh_tokens.get_for_update(token_hash(req.refresh_token))
        if token is None:
            raise invalid
        session = await uow.sessions.get(token.family_id, for_update=True)
        if session is None or session.revoked_at is not None:
            raise invalid
        if token.used_at is not None:
            _revoke(uow, session, "refresh_token_reused", None)
            await uow.commit()
            raise RefreshTokenReused("refresh token already used; the session is revoked")
        if token.expires_at <= now():
            raise invalid
        found = await uow.memberships.of(session.user_id, session.workspace_id)
        if found is None:
            raise invalid
        token.used_at = now()
        new_refresh = await _new_refresh(uow, deps, session)
        user = await uow.users.get(session.user_id)
        unmet = mfa_unmet(user, found[0])
        access = await _access(uow, deps, session, found[1].role, mfa_unmet=unmet)
        await uow.commit()
    return _tokens(deps, access, new_refresh)


async def logout(
    deps: IdentityDeps, req: Logout.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        session = await uow.sessions.get(req.session_id, for_update=True)
        if session is None or session.user_id != req.user_id:
            raise SessionNotFound("session not found")
        if session.revoked_at is None:
            _revoke(uow, session, "logout", str(req.user_id))
            await uow.commit()
    return {"session_ids": [str(req.session_id)]}


async def _caller(
    uow: IdentityUow, user_id: uuid.UUID, workspace_id: uuid.UUID, missing: SkyclustError
) -> tuple[UserRecord, Member]:
    """The calling user and their membership of the workspace."""
    user = await uow.users.get(user_id)
    found = await uow.memberships.of(user.id, workspace_id) if user else None
    if user is None or found is None:
        raise missing
    return user, found


async def switch_workspace(
    deps: IdentityDeps, req: SwitchWorkspace.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        user, (workspace, membership) = await _caller(
            uow, req.user_id, req.workspace_id, WorkspaceNotFound("workspace not found")
        )
        tokens = await issue_tokens(uow, deps, user, workspace, membership.role)
        await uow.commit()
    return tokens


async def me(
    deps: IdentityDeps, req: GetMe.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        user, (workspace, membership) = await _caller(
            uow, req.user_id, req.workspace_id, UserNotFound("user not found")
        )
        return {"user": user_view(user), "workspace": workspace_view(workspace, membership.role)}


async def check_session(
    deps: IdentityDeps, req: CheckSession.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    """Whether a session is still live (the gateway asks when it starts, to fill its
    revocation list, and for tokens it has not seen before)."""
    async with deps.uow() as uow:
        session = await uow.sessions.get(req.session_id)
        live = session is not None and session.revoked_at is None
        if live and session is not None:
            live = await uow.memberships.of(session.user_id, session.workspace_id) is not None
        return {"live": live}


async def stream_ticket(
    deps: IdentityDeps, req: IssueStreamTicket.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    """A token an EventSource can put in the URL, good only for the stream. It is bound
    to the caller's session and lasts until that session's refresh token expires (at
    most `stream_ticket_ttl_seconds`), so a browser's automatic reconnects keep working
    with the same URL; the gateway checks the session is still live on each connect."""
    session_id = req.session_id
    if not session_id:
        raise TicketNeedsSession("stream tickets belong to a login session")
    ended = SessionRevoked("this session has ended; log in again")
    async with deps.uow() as uow:
        found = await uow.memberships.of(req.user_id, req.workspace_id)
        if found is None:
            raise UserNotFound("user not found")
        session = await uow.sessions.get(uuid.UUID(session_id))
        if (
            session is None
            or session.revoked_at is not None
            or session.user_id != req.user_id
            or session.workspace_id != req.workspace_id
        ):
            raise ended
        session_end = await uow.refresh_tokens.session_end(session.id)
        key = await signer(uow, deps.settings.token_issuer)
        await uow.commit()
    ttl = deps.settings.stream_ticket_ttl_seconds
    if session_end is not None:
        ttl = min(ttl, int((session_end - now()).total_seconds()))
    if ttl <= 0:
        raise ended
    claims = {
        "sub": str(req.user_id),
        "wid": str(req.workspace_id),
        "role": found[1].role,
        "sid": session_id,
    }
    ticket = key.sign(claims, audience=STREAM_AUDIENCE, ttl=ttl, token_type="stream")
    return {"ticket": ticket, "expires_in": ttl}
