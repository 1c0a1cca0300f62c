"""TOTP MFA: enrolment (a secret, confirmed by a first code, then recovery codes),
the second step of a password login, and the workspace setting that requires it.

A password login of an account with MFA answers with a challenge instead of tokens;
the challenge is an account token of its own, so it is single use and short-lived
like the others. API keys never meet any of this: they are not a login."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from skyclust_common.messages.rpc import (
    CompleteMfaLogin,
    ConfirmMfaEnrolment,
    DisableMfa,
    SetWorkspaceMfaPolicy,
    StartMfaEnrolment,
)
from skyclust_common.messaging import RpcContext

from ..domain import totp
from ..domain.account_tokens import new_token, token_hash
from ..domain.errors import (
    InvalidMfaCode,
    MfaAlreadyEnabled,
    MfaChallengeInvalid,
    MfaNotEnrolled,
    MfaUnavailable,
    NoWorkspace,
    UserNotFound,
    WorkspaceNotFound,
)
from ..domain.ports import IdentityUow, UserRecord
from ..domain.secret_box import SecretBox, SecretBoxError, is_sealed
from .base import IdentityDeps, now
from .sessions import issue_tokens
from .throttle import login_keys, record_failure, throttled

CHALLENGE = "mfa_challenge"
CHALLENGE_TTL = timedelta(minutes=5)


async def _user(uow: IdentityUow, user_id: uuid.UUID) -> UserRecord:
    # Locked: every caller here reads and then changes the account's MFA state.
    user = await uow.users.get(user_id, for_update=True)
    if user is None:
        raise UserNotFound("user not found")
    return user


def _box(deps: IdentityDeps) -> SecretBox:
    box = deps.settings.mfa_box()
    if box is None:
        raise MfaUnavailable("MFA is not available: its keys (SKYCLUST_MFA_KEYS) are not set")
    return box


def _secret(deps: IdentityDeps, user: UserRecord) -> str:
    """The account's TOTP secret in the clear. One stored before secrets were sealed, or
    under an older key version, is sealed anew under the active one; the caller's commit
    keeps that."""
    stored = user.mfa_secret
    assert stored is not None
    box = _box(deps)
    if not is_sealed(stored):
        secret = stored
    else:
        try:
            secret = box.open(stored, context=str(user.id))
        except SecretBoxError as exc:
            raise MfaUnavailable(
                "the account's MFA secret does not open with the configured keys",
                details={"reason": str(exc)},
            ) from None
    if box.needs_reseal(stored):
        user.mfa_secret = box.seal(secret, context=str(user.id))
    return secret


async def start_enrolment(
    deps: IdentityDeps, req: StartMfaEnrolment.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        user = await _user(uow, req.user_id)
        if user.mfa_enabled_at is not None:
            raise MfaAlreadyEnabled("MFA is enabled already; disable it to enrol again")
        secret = totp.new_secret()
        # Only sealed is it stored; the clear secret is shown this once.
        user.mfa_secret = _box(deps).seal(secret, context=str(user.id))
        user.mfa_last_step = None
        await uow.commit()
        return {"secret": secret, "otpauth_uri": totp.provisioning_uri(secret, user.email)}


async def confirm_enrolment(
    deps: IdentityDeps, req: ConfirmMfaEnrolment.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    """A first good code proves the authenticator has the secret; only then is MFA on.
    The recovery codes are shown this once and kept only as hashes."""
    async with deps.uow() as uow:
        user = await _user(uow, req.user_id)
        if user.mfa_enabled_at is not None:
            raise MfaAlreadyEnabled("MFA is enabled already")
        if user.mfa_secret is None:
            raise MfaNotEnrolled("start an enrolment first")
        step = totp.matching_step(
            _secret(deps, user), req.code, at=now().timestamp(), last_step=None
        )
        if step is None:
            raise InvalidMfaCode("wrong code; check the authenticator's clock and try again")
        user.mfa_enabled_at = now()
        user.mfa_last_step = step
        codes = totp.new_recovery_codes()
        await uow.recovery_codes.replace(user.id, [totp.recovery_code_hash(c) for c in codes])
        await uow.commit()
        return {"enabled": True, "recovery_codes": codes}


async def disable(
    deps: IdentityDeps, req: DisableMfa.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        user = await _user(uow, req.user_id)
        if user.mfa_enabled_at is None:
            raise MfaNotEnrolled("MFA is not enabled")
        await check_second_factor(deps, uow, user, code=req.code, recovery_code=req.recovery_code)
        user.mfa_secret = user.mfa_enabled_at = user.mfa_last_step = None
        await uow.recovery_codes.replace(user.id, [])
        await uow.commit()
        return {"enabled": False}


async def check_second_factor(
    deps: IdentityDeps,
    uow: IdentityUow,
    user: UserRecord,
    *,
    code: str | None,
    recovery_code: str | None,
) -> None:
    """Accept a TOTP code of a step after the last one used, or an unused recovery code;
    spend whichever it was. The caller holds the user row locked
    (`users.get(..., for_update=True)`)."""
    assert user.mfa_secret is not None
    if code:
        step = totp.matching_step(
            _secret(deps, user), code, at=now().timestamp(), last_step=user.mfa_last_step
        )
        if step is not None:
            user.mfa_last_step = step
            return
    elif recovery_code and await uow.recovery_codes.spend(
        user.id, totp.recovery_code_hash(recovery_code), at=now()
    ):
        return
    raise InvalidMfaCode("wrong or already used code")


async def challenge(uow: IdentityUow, user: UserRecord, workspace_id: uuid.UUID) -> dict[str, Any]:
    """The answer to a good password of an account with MFA; the caller commits."""
    token, hashed = new_token()
    at = now()
    await uow.account_tokens.add(
        token_hash=hashed,
        user_id=user.id,
        purpose=CHALLENGE,
        email=user.email,
        expires_at=at + CHALLENGE_TTL,
        created_at=at,
        details={"workspace_id": str(workspace_id)},
    )
    return {
        "mfa_required": True,
        "mfa_token": token,
        "expires_in": int(CHALLENGE_TTL.total_seconds()),
    }


async def complete_login(
    deps: IdentityDeps, req: CompleteMfaLogin.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    invalid = MfaChallengeInvalid("this login step has expired or is finished; log in again")
    async with deps.uow() as uow:
        pending = await uow.account_tokens.live(
            token_hash(req.mfa_token), purpose=CHALLENGE, at=now()
        )
        # The user row is locked before the code is checked: two logins racing with one
        # code in two challenges take turns, and the second sees the step already spent.
        user = await uow.users.get(pending.user_id, for_update=True) if pending else None
        if pending is None or user is None or user.mfa_secret is None:
            raise invalid
        keys = login_keys(deps, user.email, req.client_address)
        await throttled(uow, deps, keys)
        try:
            await check_second_factor(
                deps, uow, user, code=req.code, recovery_code=req.recovery_code
            )
        except InvalidMfaCode:
            failed = True
        else:
            failed = False
            pending.used_at = now()
            found = await uow.memberships.of(user.id, uuid.UUID(pending.details["workspace_id"]))
            if found is None:
                found = await uow.memberships.first(user.id)
            if found is None:
                raise NoWorkspace("this account belongs to no workspace")
            await uow.login_attempts.clear(keys[0][0])
            tokens = await issue_tokens(uow, deps, user, found[0], found[1].role)
            await uow.commit()
    if failed:
        await record_failure(deps, [k for k, _ in keys])
        raise InvalidMfaCode("wrong or already used code")
    return tokens


async def set_workspace_policy(
    deps: IdentityDeps, req: SetWorkspaceMfaPolicy.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    """The gateway lets only the workspace's admins here."""
    async with deps.uow() as uow:
        found = await uow.memberships.of(req.user_id, req.workspace_id)
        if found is None:
            raise WorkspaceNotFound("workspace not found")
        workspace = found[0]
        user = await _user(uow, req.user_id)
        if req.require_mfa and user.mfa_enabled_at is None:
            # Else the admin would lock themselves out of the workspace with one call.
            raise MfaNotEnrolled("enable MFA on your own account before requiring it")
        workspace.require_mfa = req.require_mfa
        await uow.commit()
        return {"workspace_id": str(workspace.id), "require_mfa": workspace.require_mfa}
