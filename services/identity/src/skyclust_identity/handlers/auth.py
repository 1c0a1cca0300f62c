"""Sign-up and login with a password, with login throttling per account and per
client. Sessions and tokens are `sessions.py`'s, signing keys `signing.py`'s."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from skyclust_common.messaging import RpcContext

from ..domain.errors import EmailTaken, InvalidCredentials, TooManyLoginAttempts
from ..domain.model import Role, check_password, normalize_email
from ..domain.ports import DuplicateKey, IdentityUow, UserRecord, WorkspaceRecord
from .base import IdentityDeps, identity_event, now, user_view, workspace_view
from .sessions import issue_tokens

__all__ = ["IdentityDeps", "create_user_with_workspace", "login", "register"]

INVALID_LOGIN = "invalid email or password"


async def create_user_with_workspace(
    uow: IdentityUow, *, email: str, name: str, password_hash: str | None, workspace_name: str
) -> tuple[UserRecord, WorkspaceRecord]:
    """A new user, admin of a new workspace of theirs (sign-up and first OIDC login)."""
    user = await uow.users.add(email=email, name=name, password_hash=password_hash)
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
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    email = normalize_email(data["email"])
    check_password(data["password"], min_length=deps.settings.password_min_length)
    password_hash = await deps.passwords.hash(data["password"])
    taken = EmailTaken("an account with this email exists")
    try:
        async with deps.uow() as uow:
            if await uow.users.by_email(email) is not None:
                raise taken
            user, workspace = await create_user_with_workspace(
                uow,
                email=email,
                name=data["name"],
                password_hash=password_hash,
                workspace_name=data["workspace_name"],
            )
            await uow.commit()
            return {"user": user_view(user), "workspace": workspace_view(workspace, Role.ADMIN)}
    except DuplicateKey:
        raise taken from None


async def _throttled(uow: IdentityUow, deps: IdentityDeps, keys: list[tuple[str, int]]) -> None:
    window = timedelta(seconds=deps.settings.login_window_seconds)
    for key, limit in keys:
        attempt = await uow.login_attempts.get(key)
        if attempt and attempt.window_start > now() - window and attempt.failures >= limit:
            retry = int((attempt.window_start + window - now()).total_seconds()) + 1
            raise TooManyLoginAttempts(
                "too many failed logins; try again later", details={"retry_after": retry}
            )


async def _record_failure(deps: IdentityDeps, keys: list[str]) -> None:
    window_start = now() - timedelta(seconds=deps.settings.login_window_seconds)
    async with deps.uow() as uow:
        for key in keys:
            await uow.login_attempts.record_failure(key, at=now(), window_start=window_start)
        await uow.commit()


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
        user = await uow.users.by_email(email)
        ok = await deps.passwords.verify(user.password_hash if user else None, data["password"])
        found = await uow.memberships.first(user.id) if user and ok else None
        if user is None or not ok or found is None:
            failed = True
        else:
            failed = False
            assert user.password_hash is not None
            if deps.passwords.needs_rehash(user.password_hash):
                user.password_hash = await deps.passwords.hash(data["password"])
            await uow.login_attempts.clear(account_key)
            workspace, membership = found
            tokens = await issue_tokens(uow, deps, user, workspace, membership.role)
            await uow.commit()
    if failed:
        await _record_failure(deps, [account_key, client_key])
        raise InvalidCredentials(INVALID_LOGIN)
    return tokens
