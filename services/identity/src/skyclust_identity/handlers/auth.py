"""Sign-up, login, sessions (refresh-token families), logout, switching workspaces,
signing keys and stream tickets."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from skyclust_common.db import UnitOfWork
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized
from skyclust_common.messaging import RpcContext

from ..adapters.db import (
    LoginAttempt,
    Membership,
    RefreshToken,
    Session,
    SigningKey,
    SigningKeys,
    User,
    Users,
    Workspace,
)
from ..adapters.oidc import OidcProviders
from ..adapters.passwords import Passwords
from ..adapters.tokens import ALGORITHM, TokenSigner, generate_signing_key
from ..domain.model import Role, check_password, normalize_email
from ..settings import IdentitySettings

SOURCE = "identity"
STREAM_AUDIENCE = "skyclust-stream"
INVALID_LOGIN = "invalid email or password"


@dataclass
class IdentityDeps:
    uow: Callable[[], UnitOfWork]
    passwords: Passwords
    settings: IdentitySettings
    oidc: OidcProviders | None = None


def now() -> datetime:
    return datetime.now(UTC)


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "created_at": user.created_at.isoformat(),
    }


def workspace_view(workspace: Workspace, role: str) -> dict[str, Any]:
    return {"id": str(workspace.id), "name": workspace.name, "role": role}


def _event(
    name: str, data: dict[str, Any], *, subject: str, workspace_id: str, actor: str | None
) -> CloudEvent:
    return new_event(
        name, data, source=SOURCE, subject=subject, workspace_id=workspace_id, actor_id=actor
    )


async def create_user_with_workspace(
    uow: UnitOfWork, *, email: str, name: str, password_hash: str | None, workspace_name: str
) -> tuple[User, Workspace]:
    """A new user, admin of a new workspace of theirs (sign-up and first OIDC login)."""
    user = User(id=uuid.uuid4(), email=email, name=name, password_hash=password_hash)
    workspace = Workspace(id=uuid.uuid4(), name=workspace_name)
    uow.session.add_all([user, workspace])
    await uow.session.flush()
    uow.session.add(Membership(workspace_id=workspace.id, user_id=user.id, role=Role.ADMIN))
    ws = str(workspace.id)
    uow.emit(
        _event(
            "UserRegistered",
            {
                "user_id": str(user.id),
                "email": email,
                "name": name,
                "workspace_id": ws,
                "workspace_name": workspace.name,
            },
            subject=str(user.id),
            workspace_id=ws,
            actor=str(user.id),
        )
    )
    uow.emit(
        _event(
            "WorkspaceCreated",
            {"workspace_id": ws, "name": workspace.name, "owner_id": str(user.id)},
            subject=ws,
            workspace_id=ws,
            actor=str(user.id),
        )
    )
    return user, workspace


async def register(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    email = normalize_email(data["email"])
    check_password(data["password"], min_length=deps.settings.password_min_length)
    password_hash = await deps.passwords.hash(data["password"])
    async with deps.uow() as uow:
        if await Users(uow.session).by_email(email) is not None:
            raise Conflict("an account with this email exists", code="EMAIL_TAKEN")
        user, workspace = await create_user_with_workspace(
            uow,
            email=email,
            name=data["name"],
            password_hash=password_hash,
            workspace_name=data["workspace_name"],
        )
        try:
            await uow.commit()
        except IntegrityError:
            raise Conflict("an account with this email exists", code="EMAIL_TAKEN") from None
        await uow.session.refresh(user)
        return {"user": user_view(user), "workspace": workspace_view(workspace, Role.ADMIN)}


# signing keys ----------------------------------------------------------------------


async def signer(uow: UnitOfWork, issuer: str) -> TokenSigner:
    """The newest unretired key signs; the first call ever creates one."""
    keys = await SigningKeys(uow.session).active()
    if keys:
        key = keys[0]
    else:
        kid, pem, jwk = generate_signing_key()
        key = SigningKey(kid=kid, algorithm=ALGORITHM, private_pem=pem, public_jwk=jwk)
        uow.session.add(key)
        await uow.session.flush()
    return TokenSigner(key.kid, key.private_pem, issuer)


async def rotate_signing_key(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    """A new key signs from now on; the old ones stay in the JWKS until every token
    they signed has expired."""
    async with deps.uow() as uow:
        kid, pem, jwk = generate_signing_key()
        await uow.session.execute(
            update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=now())
        )
        uow.session.add(SigningKey(kid=kid, algorithm=ALGORITHM, private_pem=pem, public_jwk=jwk))
        await uow.commit()
    return {"kid": kid}


async def jwks(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    grace = timedelta(seconds=deps.settings.access_token_ttl_seconds + 60)
    async with deps.uow() as uow:
        if not await SigningKeys(uow.session).active():
            await signer(uow, deps.settings.token_issuer)
            await uow.commit()
        rows = await uow.session.execute(
            select(SigningKey)
            .where((SigningKey.retired_at.is_(None)) | (SigningKey.retired_at > now() - grace))
            .order_by(SigningKey.created_at.desc())
        )
        return {"keys": [json.loads(key.public_jwk) for key in rows.scalars()]}


# sessions --------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _new_refresh(uow: UnitOfWork, deps: IdentityDeps, session: Session) -> str:
    refresh = secrets.token_urlsafe(32)
    uow.session.add(
        RefreshToken(
            token_hash=_hash(refresh),
            family_id=session.id,
            user_id=session.user_id,
            workspace_id=session.workspace_id,
            expires_at=now() + timedelta(seconds=deps.settings.refresh_token_ttl_seconds),
        )
    )
    return refresh


async def _access(uow: UnitOfWork, deps: IdentityDeps, session: Session, role: str) -> str:
    settings = deps.settings
    return (await signer(uow, settings.token_issuer)).sign(
        {
            "sub": str(session.user_id),
            "wid": str(session.workspace_id),
            "role": role,
            "sid": str(session.id),
        },
        audience=settings.token_audience,
        ttl=settings.access_token_ttl_seconds,
        token_type="access",
    )


async def issue_tokens(
    uow: UnitOfWork, deps: IdentityDeps, user: User, workspace: Workspace, role: str
) -> dict[str, Any]:
    """A new session for `user` in `workspace`; the caller commits `uow`."""
    session = Session(id=uuid.uuid4(), user_id=user.id, workspace_id=workspace.id)
    uow.session.add(session)
    await uow.session.flush()
    refresh = await _new_refresh(uow, deps, session)
    return {
        "access_token": await _access(uow, deps, session, role),
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": deps.settings.access_token_ttl_seconds,
    }


def revoked_event(session: Session, reason: str, actor: str | None) -> CloudEvent:
    return _event(
        "SessionsRevoked",
        {
            "user_id": str(session.user_id),
            "workspace_id": str(session.workspace_id),
            "session_ids": [str(session.id)],
            "reason": reason,
        },
        subject=str(session.user_id),
        workspace_id=str(session.workspace_id),
        actor=actor,
    )


async def revoke_sessions(
    uow: UnitOfWork, user_id: uuid.UUID, workspace_id: uuid.UUID, reason: str, actor: str | None
) -> list[str]:
    rows = await uow.session.execute(
        update(Session)
        .where(
            Session.user_id == user_id,
            Session.workspace_id == workspace_id,
            Session.revoked_at.is_(None),
        )
        .values(revoked_at=now(), revoked_reason=reason)
        .returning(Session.id)
    )
    ids = [str(row[0]) for row in rows]
    if ids:
        uow.emit(
            _event(
                "SessionsRevoked",
                {
                    "user_id": str(user_id),
                    "workspace_id": str(workspace_id),
                    "session_ids": ids,
                    "reason": reason,
                },
                subject=str(user_id),
                workspace_id=str(workspace_id),
                actor=actor,
            )
        )
    return ids


# login -----------------------------------------------------------------------------


async def _throttled(uow: UnitOfWork, deps: IdentityDeps, keys: list[tuple[str, int]]) -> None:
    window = timedelta(seconds=deps.settings.login_window_seconds)
    for key, limit in keys:
        attempt = await uow.session.get(LoginAttempt, key)
        if attempt and attempt.window_start > now() - window and attempt.failures >= limit:
            retry = int((attempt.window_start + window - now()).total_seconds()) + 1
            raise TooManyRequests(
                "too many failed logins; try again later",
                code="TOO_MANY_LOGIN_ATTEMPTS",
                details={"retry_after": retry},
            )


async def _record_failure(deps: IdentityDeps, keys: list[str]) -> None:
    window_start = now() - timedelta(seconds=deps.settings.login_window_seconds)
    async with deps.uow() as uow:
        for key in keys:
            stmt = insert(LoginAttempt).values(key=key, window_start=now(), failures=1)
            stmt = stmt.on_conflict_do_update(
                index_elements=[LoginAttempt.key],
                set_={
                    "failures": _case_failures(stmt, window_start),
                    "window_start": _case_window(stmt, window_start),
                },
            )
            await uow.session.execute(stmt)
        await uow.commit()


def _case_failures(stmt: Any, window_start: datetime) -> Any:
    from sqlalchemy import case

    return case((LoginAttempt.window_start > window_start, LoginAttempt.failures + 1), else_=1)


def _case_window(stmt: Any, window_start: datetime) -> Any:
    from sqlalchemy import case

    return case(
        (LoginAttempt.window_start > window_start, LoginAttempt.window_start),
        else_=stmt.excluded.window_start,
    )


async def login(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    settings = deps.settings
    email = data["email"].strip().lower()
    # Throttled by the email as typed, so unknown addresses are throttled alike and the
    # answer never tells whether an account exists.
    account_key = f"account:{email}"
    client_key = f"client:{data.get('client_address') or 'unknown'}"
    async with deps.uow() as uow:
        await _throttled(
            uow,
            deps,
            [
                (account_key, settings.login_max_failures_per_account),
                (client_key, settings.login_max_failures_per_client),
            ],
        )
        users = Users(uow.session)
        user = await users.by_email(email)
        ok = await deps.passwords.verify(user.password_hash if user else None, data["password"])
        found = await users.first_membership(user.id) if user and ok else None
        if user is None or not ok or found is None:
            failed = True
        else:
            failed = False
            assert user.password_hash is not None
            if deps.passwords.needs_rehash(user.password_hash):
                user.password_hash = await deps.passwords.hash(data["password"])
            await uow.session.execute(delete(LoginAttempt).where(LoginAttempt.key == account_key))
            workspace, membership = found
            tokens = await issue_tokens(uow, deps, user, workspace, membership.role)
            await uow.commit()
    if failed:
        await _record_failure(deps, [account_key, client_key])
        raise Unauthorized(INVALID_LOGIN, code="INVALID_CREDENTIALS")
    return tokens


async def refresh(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    """Single use and rotated: presenting a used refresh token revokes its whole family,
    so a thief and the owner both lose it."""
    invalid = Unauthorized("invalid refresh token", code="INVALID_REFRESH_TOKEN")
    async with deps.uow() as uow:
        token = await uow.session.get(
            RefreshToken, _hash(data["refresh_token"]), with_for_update=True
        )
        if token is None:
            raise invalid
        session = await uow.session.get(Session, token.family_id, with_for_update=True)
        if session is None or session.revoked_at is not None:
            raise invalid
        if token.used_at is not None:
            session.revoked_at = now()
            session.revoked_reason = "refresh_token_reused"
            uow.emit(revoked_event(session, "refresh_token_reused", None))
            await uow.commit()
            raise Unauthorized(
                "refresh token already used; the session is revoked",
                code="REFRESH_TOKEN_REUSED",
            )
        if token.expires_at <= now():
            raise invalid
        found = await Users(uow.session).membership(session.user_id, session.workspace_id)
        if found is None:
            raise invalid
        token.used_at = now()
        new_refresh = await _new_refresh(uow, deps, session)
        access = await _access(uow, deps, session, found[1].role)
        await uow.commit()
    return {
        "access_token": access,
        "refresh_token": new_refresh,
        "token_type": "Bearer",
        "expires_in": deps.settings.access_token_ttl_seconds,
    }


async def logout(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        session = await uow.session.get(
            Session, uuid.UUID(data["session_id"]), with_for_update=True
        )
        if session is None or str(session.user_id) != data["user_id"]:
            raise NotFound("session not found", code="SESSION_NOT_FOUND")
        if session.revoked_at is None:
            session.revoked_at = now()
            session.revoked_reason = "logout"
            uow.emit(revoked_event(session, "logout", data["user_id"]))
            await uow.commit()
    return {"session_ids": [data["session_id"]]}


async def switch_workspace(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        users = Users(uow.session)
        user = await users.get(uuid.UUID(data["user_id"]))
        found = await users.membership(user.id, uuid.UUID(data["workspace_id"])) if user else None
        if user is None or found is None:
            raise NotFound("workspace not found", code="WORKSPACE_NOT_FOUND")
        workspace, membership = found
        tokens = await issue_tokens(uow, deps, user, workspace, membership.role)
        await uow.commit()
    return tokens


async def me(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        users = Users(uow.session)
        user = await users.get(uuid.UUID(data["user_id"]))
        found = await users.membership(user.id, uuid.UUID(data["workspace_id"])) if user else None
        if user is None or found is None:
            raise NotFound("user not found", code="USER_NOT_FOUND")
        workspace, membership = found
        return {"user": user_view(user), "workspace": workspace_view(workspace, membership.role)}


async def check_session(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    """Whether a session is still live (the gateway asks when it starts, to fill its
    revocation list, and for tokens it has not seen before)."""
    async with deps.uow() as uow:
        session = await uow.session.get(Session, uuid.UUID(data["session_id"]))
        live = session is not None and session.revoked_at is None
        if live and session is not None:
            live = (
                await Users(uow.session).membership(session.user_id, session.workspace_id)
            ) is not None
        return {"live": live}


async def stream_ticket(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    """A token an EventSource can put in the URL, good only for the stream. It is bound
    to the caller's session and lasts until that session's refresh token expires (at
    most `stream_ticket_ttl_seconds`), so a browser's automatic reconnects keep working
    with the same URL; the gateway checks the session is still live on each connect."""
    session_id = data.get("session_id")
    if not session_id:
        raise Forbidden("stream tickets belong to a login session", code="TICKET_NEEDS_SESSION")
    async with deps.uow() as uow:
        found = await Users(uow.session).membership(
            uuid.UUID(data["user_id"]), uuid.UUID(data["workspace_id"])
        )
        if found is None:
            raise NotFound("user not found", code="USER_NOT_FOUND")
        session = await uow.session.get(Session, uuid.UUID(session_id))
        if (
            session is None
            or session.revoked_at is not None
            or str(session.user_id) != data["user_id"]
            or str(session.workspace_id) != data["workspace_id"]
        ):
            raise Unauthorized("this session has ended; log in again", code="SESSION_REVOKED")
        session_end = await uow.session.scalar(
            select(func.max(RefreshToken.expires_at)).where(
                RefreshToken.family_id == session.id, RefreshToken.revoked_at.is_(None)
            )
        )
        key = await signer(uow, deps.settings.token_issuer)
        await uow.commit()
    ttl = deps.settings.stream_ticket_ttl_seconds
    if session_end is not None:
        ttl = min(ttl, int((session_end - now()).total_seconds()))
    if ttl <= 0:
        raise Unauthorized("this session has ended; log in again", code="SESSION_REVOKED")
    claims = {
        "sub": data["user_id"],
        "wid": data["workspace_id"],
        "role": found[1].role,
        "sid": session_id,
    }
    ticket = key.sign(claims, audience=STREAM_AUDIENCE, ttl=ttl, token_type="stream")
    return {"ticket": ticket, "expires_in": ttl}
