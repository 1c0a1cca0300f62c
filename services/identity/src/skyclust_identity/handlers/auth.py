"""Sign-up and login with a password, with login throttling per account and per
client. Sessions and tokens are `sessions.py`'s, signing keys `signing.py`'s."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from skyclust_common.messages.rpc import Login, RegisterUser
from skyclust_common.messaging import RpcContext

from ..domain.account_tokens import Purpose
from ..domain.errors import EmailTaken, InvalidCredentials
from ..domain.model import Role, check_password, normalize_email
from ..domain.ports import DuplicateKey, IdentityUow, UserRecord, WorkspaceRecord
from . import mfa
from .accounts import send_link
from .base import IdentityDeps, identity_event, user_view, workspace_view
from .sessions import issue_tokens
from .throttle import login_keys, record_failure, throttled

__all__ = ["IdentityDeps", "create_user_with_workspace", "login", "register"]

INVALID_LOGIN = "invalid email or password"


async def create_user_with_workspace(
    uow: IdentityUow,
    *,
    email: str,
    name: str,
    password_hash: str | None,
    workspace_name: str,
    email_verified_at: datetime | None = None,
) -> tuple[UserRecord, WorkspaceRecord]:
    """A new user, admin of a new workspace of theirs (sign-up and first OIDC login)."""
    user = await uow.users.add(
        email=email, name=name, password_hash=password_hash, email_verified_at=email_verified_at
    )
    workspace = await uow.workspaces.add(workspace_name)
    await uow.memberships.add(workspace.id, user.id, Role.ADMIN)
    ws = str(workspace.id)
    uow.emit(
        identity_event(
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
        identity_event(
            "WorkspaceCreated",
            {"workspace_id": ws, "name": workspace.name, "owner_id": str(user.id)},
            subject=ws,
            workspace_id=ws,
            actor=str(user.id),
        )
    )
    return user, workspace


async def register(
    deps: IdentityDeps, req: RegisterUser.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    email = normalize_email(req.email)
    check_password(req.password, min_length=deps.settings.password_min_length)
    password_hash = await deps.passwords.hash(req.password)
    taken = EmailTaken("an account with this email exists")
    try:
        async with deps.uow() as uow:
            if await uow.users.by_email(email) is not None:
                raise taken
            user, workspace = await create_user_with_workspace(
                uow,
                email=email,
                name=req.name,
                password_hash=password_hash,
                workspace_name=req.workspace_name,
            )
            await send_link(uow, deps, user, Purpose.VERIFY_EMAIL)
            await uow.commit()
            return {"user": user_view(user), "workspace": workspace_view(workspace, Role.ADMIN)}
    except DuplicateKey:
        raise taken from None


async def login(
    deps: IdentityDeps, req: Login.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    email = req.email.strip().lower()
    # Throttled by the email as typed, so unknown addresses are throttled alike and the
    # answer never tells whether an account exists.
    keys = login_keys(deps, email, req.client_address)
    async with deps.uow() as uow:
        await throttled(uow, deps, keys)
        user = await uow.users.for_login(email)
        ok = await deps.passwords.verify(user.password_hash if user else None, req.password)
        found = await uow.memberships.first(user.id) if user and ok else None
        if user is None or not ok or found is None:
            failed = True
        else:
            failed = False
            assert user.password_hash is not None
            if deps.passwords.needs_rehash(user.password_hash):
                user.password_hash = await deps.passwords.hash(req.password)
            workspace, membership = found
            if user.mfa_enabled_at is not None:
                # The password alone proves half: failures stay counted until the code.
                answer = await mfa.challenge(uow, user, workspace.id)
            else:
                await uow.login_attempts.clear(keys[0][0])
                answer = await issue_tokens(uow, deps, user, workspace, membership.role)
            await uow.commit()
    if failed:
        await record_failure(deps, [k for k, _ in keys])
        raise InvalidCredentials(INVALID_LOGIN)
    return answer
