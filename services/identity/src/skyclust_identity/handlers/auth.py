"""Identity's use cases: sign-up, login, who-am-I, the JWKS and stream tickets."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from skyclust_common.db import UnitOfWork
from skyclust_common.envelope import new_event
from skyclust_common.errors import Conflict, NotFound, Unauthorized
from skyclust_common.messaging import RpcContext

from ..adapters.db import Membership, RefreshToken, SigningKey, SigningKeys, User, Users, Workspace
from ..adapters.passwords import Passwords
from ..adapters.tokens import ALGORITHM, TokenSigner, generate_signing_key
from ..domain.model import Role, check_password, normalize_email
from ..settings import IdentitySettings

SOURCE = "identity"


@dataclass
class IdentityDeps:
    uow: Callable[[], UnitOfWork]
    passwords: Passwords
    settings: IdentitySettings


def _user(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "created_at": user.created_at.isoformat(),
    }


def _workspace(workspace: Workspace, role: str) -> dict[str, Any]:
    return {"id": str(workspace.id), "name": workspace.name, "role": role}


async def register(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    email = normalize_email(data["email"])
    check_password(data["password"], min_length=deps.settings.password_min_length)
    password_hash = await deps.passwords.hash(data["password"])
    async with deps.uow() as uow:
        users = Users(uow.session)
        if await users.by_email(email) is not None:
            raise Conflict("an account with this email exists", code="EMAIL_TAKEN")
        user = User(id=uuid.uuid4(), email=email, name=data["name"], password_hash=password_hash)
        workspace = Workspace(id=uuid.uuid4(), name=data["workspace_name"])
        uow.session.add_all([user, workspace])
        await uow.session.flush()
        uow.session.add(Membership(workspace_id=workspace.id, user_id=user.id, role=Role.ADMIN))
        uow.emit(
            new_event(
                "UserRegistered",
                {
                    "user_id": str(user.id),
                    "email": email,
                    "name": user.name,
                    "workspace_id": str(workspace.id),
                    "workspace_name": workspace.name,
                },
                source=SOURCE,
                subject=str(user.id),
                workspace_id=str(workspace.id),
                actor_id=str(user.id),
            )
        )
        uow.emit(
            new_event(
                "WorkspaceCreated",
                {
                    "workspace_id": str(workspace.id),
                    "name": workspace.name,
                    "owner_id": str(user.id),
                },
                source=SOURCE,
                subject=str(workspace.id),
                workspace_id=str(workspace.id),
                actor_id=str(user.id),
            )
        )
        try:
            await uow.commit()
        except IntegrityError:
            raise Conflict("an account with this email exists", code="EMAIL_TAKEN") from None
        await uow.session.refresh(user)
        return {"user": _user(user), "workspace": _workspace(workspace, Role.ADMIN)}


async def _signer(uow: UnitOfWork, issuer: str) -> TokenSigner:
    keys = await SigningKeys(uow.session).active()
    if keys:
        key = keys[0]
    else:
        kid, pem, jwk = generate_signing_key()
        key = SigningKey(kid=kid, algorithm=ALGORITHM, private_pem=pem, public_jwk=jwk)
        uow.session.add(key)
        await uow.session.flush()
    return TokenSigner(key.kid, key.private_pem, issuer)


def _hash_refresh(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


INVALID_LOGIN = "invalid email or password"


async def login(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    settings = deps.settings
    try:
        email = normalize_email(data["email"])
    except Exception:
        email = data["email"].strip().lower()
    async with deps.uow() as uow:
        users = Users(uow.session)
        user = await users.by_email(email)
        ok = await deps.passwords.verify(user.password_hash if user else None, data["password"])
        if user is None or not ok:
            raise Unauthorized(INVALID_LOGIN, code="INVALID_CREDENTIALS")
        if deps.passwords.needs_rehash(user.password_hash):
            user.password_hash = await deps.passwords.hash(data["password"])
        found = await users.first_membership(user.id)
        if found is None:
            raise Unauthorized(INVALID_LOGIN, code="INVALID_CREDENTIALS")
        workspace, membership = found
        signer = await _signer(uow, settings.token_issuer)
        access = signer.sign(
            {"sub": str(user.id), "wid": str(workspace.id), "role": membership.role},
            audience=settings.token_audience,
            ttl=settings.access_token_ttl_seconds,
            token_type="access",
        )
        refresh = secrets.token_urlsafe(32)
        uow.session.add(
            RefreshToken(
                token_hash=_hash_refresh(refresh),
                family_id=uuid.uuid4(),
                user_id=user.id,
                workspace_id=workspace.id,
                expires_at=datetime.now(UTC)
                + timedelta(seconds=settings.refresh_token_ttl_seconds),
            )
        )
        await uow.commit()
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl_seconds,
    }


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
        return {"user": _user(user), "workspace": _workspace(workspace, membership.role)}


async def jwks(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        keys = await SigningKeys(uow.session).active()
        if not keys:
            await _signer(uow, deps.settings.token_issuer)
            await uow.commit()
            keys = await SigningKeys(uow.session).active()
        return {"keys": [json.loads(key.public_jwk) for key in keys]}


STREAM_AUDIENCE = "skyclust-stream"


async def stream_ticket(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    """A short-lived token an EventSource can put in the URL, good only for the stream."""
    async with deps.uow() as uow:
        users = Users(uow.session)
        found = await users.membership(uuid.UUID(data["user_id"]), uuid.UUID(data["workspace_id"]))
        if found is None:
            raise NotFound("user not found", code="USER_NOT_FOUND")
        _, membership = found
        signer = await _signer(uow, deps.settings.token_issuer)
        await uow.commit()
    ttl = deps.settings.stream_ticket_ttl_seconds
    ticket = signer.sign(
        {"sub": data["user_id"], "wid": data["workspace_id"], "role": membership.role},
        audience=STREAM_AUDIENCE,
        ttl=ttl,
        token_type="stream",
    )
    return {"ticket": ticket, "expires_in": ttl}
