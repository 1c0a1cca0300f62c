"""Account links sent by email: address verification, a change of address and password
reset. The token
travels only in the email (through the notification service, by a command in the
outbox, so it is sent once and only after the commit); the database keeps its hash and
spends it once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from skyclust_common.envelope import new_event
from skyclust_common.messages.rpc import (
    CompletePasswordReset,
    RequestEmailChange,
    RequestPasswordReset,
    ResendVerification,
    VerifyEmail,
)
from skyclust_common.messaging import RpcContext

from ..domain.account_tokens import TTL, Purpose, link, new_token, token_hash
from ..domain.errors import (
    AccountLinkInvalid,
    EmailTaken,
    InvalidCredentials,
    InvalidEmail,
    InvalidMfaCode,
    TooManyAccountEmails,
    UserNotFound,
)
from ..domain.model import check_password, normalize_email
from ..domain.ports import DuplicateKey, IdentityUow, UserRecord
from . import mfa
from .base import SOURCE, IdentityDeps, now, user_view
from .sessions import revoke_sessions
from .throttle import login_keys, record_failure, throttled

ACCEPTED = {"accepted": True}
EMAIL_FIELD = {"field": "email"}


async def send_link(
    uow: IdentityUow, deps: IdentityDeps, user: UserRecord, purpose: Purpose, to: str = ""
) -> None:
    """Issue a fresh link for `purpose` (earlier ones stop working) and queue its email
    to `to`, the account's own address unless given; the caller commits `uow`. The link
    vouches for the address it was sent to and no other."""
    to = to or user.email
    at = now()
    token, hashed = new_token()
    expires_at = at + TTL[purpose]
    await uow.account_tokens.void(user.id, purpose=purpose, at=at)
    await uow.account_tokens.add(
        token_hash=hashed,
        user_id=user.id,
        purpose=purpose,
        email=to,
        expires_at=expires_at,
        created_at=at,
    )
    uow.send(
        "notification",
        new_event(
            "SendAccountEmail",
            {
                "user_id": str(user.id),
                "email": to,
                "template": str(purpose),
                "link": link(deps.settings.account_link_base_url, purpose, token),
                "expires_at": expires_at.isoformat(),
            },
            source=SOURCE,
            subject=str(user.id),
            actor_id=str(user.id),
        ),
    )


async def _throttled(uow: IdentityUow, deps: IdentityDeps, keys: list[tuple[str, int]]) -> None:
    """Counted before the account is looked up, so an unknown address is counted and
    refused alike."""
    settings = deps.settings
    window = timedelta(seconds=settings.account_email_window_seconds)
    for key, limit in keys:
        seen = await uow.login_attempts.get(key)
        if seen and seen.window_start > now() - window and seen.failures >= limit:
            retry = int((seen.window_start + window - now()).total_seconds()) + 1
            raise TooManyAccountEmails(
                "too many account emails asked for; try again later",
                details={"retry_after": retry},
            )
    for key, _ in keys:
        await uow.login_attempts.record_failure(key, at=now(), window_start=now() - window)


def _could_be_an_address(email: str) -> bool:
    return "@" in email and email.isprintable()


def _email_keys(
    deps: IdentityDeps, kind: str, email: str, client: str | None
) -> list[tuple[str, int]]:
    settings = deps.settings
    return [
        (f"{kind}:account:{email}", settings.account_emails_per_address),
        (f"{kind}:client:{client or 'unknown'}", settings.account_emails_per_client),
    ]


async def resend_verification(
    deps: IdentityDeps, req: ResendVerification.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        user = await uow.users.get(req.user_id)
        if user is None:
            raise UserNotFound("user not found")
        if user.email_verified_at is not None:
            return {"email": user.email, "verified": True}
        keys = _email_keys(deps, "verify", user.email, req.client_address)
        await _throttled(uow, deps, keys)
        await send_link(uow, deps, user, Purpose.VERIFY_EMAIL)
        await uow.commit()
        return {"email": user.email, "verified": False}


async def request_email_change(
    deps: IdentityDeps, req: RequestEmailChange.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    """Mail a link to the new address; until it is used the account keeps its old one.
    Only the owner may ask: the password of an account that has one, and the second
    factor of an account with MFA, are checked like a login's (and their failures
    counted like a login's), so a stolen access token alone cannot move the account."""
    email = normalize_email(req.email)
    async with deps.uow() as uow:
        user = await uow.users.get(req.user_id, for_update=True)
        if user is None:
            raise UserNotFound("user not found")
        keys = login_keys(deps, user.email, req.client_address)
        await throttled(uow, deps, keys)
        failure: InvalidCredentials | InvalidMfaCode | None = None
        if user.password_hash is not None and not await deps.passwords.verify(
            user.password_hash, req.password or ""
        ):
            failure = InvalidCredentials("the password is wrong", details={"field": "password"})
        elif user.mfa_enabled_at is not None:
            try:
                await mfa.check_second_factor(
                    deps, uow, user, code=req.code, recovery_code=req.recovery_code
                )
            except InvalidMfaCode as exc:
                failure = exc
        if failure is None:
            if email == user.email:
                raise InvalidEmail(
                    "this is the account's address already", details={"field": "email"}
                )
            holder = await uow.users.by_email(email)
            if holder is not None and holder.id != user.id:
                # What sign-up says of a taken address too.
                raise EmailTaken("an account with this email exists")
            await _throttled(uow, deps, _email_keys(deps, "change", user.email, req.client_address))
            await send_link(uow, deps, user, Purpose.CHANGE_EMAIL, to=email)
            await uow.commit()
            return {"email": user.email, "pending_email": email}
    await record_failure(deps, [k for k, _ in keys])
    raise failure


async def verify_email(
    deps: IdentityDeps, req: VerifyEmail.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    """The link of a sign-up's verification mail, or of a change of address: the second
    moves the account to the address the link was sent to, verified."""
    invalid = AccountLinkInvalid("this link is invalid, used or expired; ask for a new one")
    hashed = token_hash(req.token)
    try:
        async with deps.uow() as uow:
            token = await uow.account_tokens.spend(hashed, purpose=Purpose.VERIFY_EMAIL, at=now())
            changing = token is None
            if changing:
                token = await uow.account_tokens.spend(
                    hashed, purpose=Purpose.CHANGE_EMAIL, at=now()
                )
            user = await uow.users.get(token.user_id, for_update=True) if token else None
            if token is None or user is None:
                raise invalid
            if changing:
                user.email = token.email
                # Links of other kinds went to the old address; they stop working.
                for purpose in (Purpose.VERIFY_EMAIL, Purpose.PASSWORD_RESET):
                    await uow.account_tokens.void(user.id, purpose=purpose, at=now())
            elif user.email != token.email:
                # A link sent before an email change vouches for the old address only.
                raise invalid
            user.email_verified_at = now()
            await uow.commit()
            return {"user": user_view(user), "verified": True}
    except DuplicateKey:
        raise EmailTaken("another account has verified this email already") from None


async def request_password_reset(
    deps: IdentityDeps, req: RequestPasswordReset.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    """The same answer whether the address has an account or not; only the mailbox
    learns which."""
    email = req.email.strip().lower()
    if not _could_be_an_address(email):
        # No account can have it (nor can the database hold a NUL), and the answer must not
        # differ from one for an address without an account.
        return ACCEPTED
    async with deps.uow() as uow:
        await _throttled(uow, deps, _email_keys(deps, "reset", email, req.client_address))
        user = await uow.users.for_login(email) or await uow.users.by_email(email)
        if user is not None:
            await send_link(uow, deps, user, Purpose.PASSWORD_RESET)
        await uow.commit()
    return ACCEPTED


async def complete_password_reset(
    deps: IdentityDeps, req: CompletePasswordReset.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    check_password(req.password, min_length=deps.settings.password_min_length)
    password_hash = await deps.passwords.hash(req.password)
    invalid = AccountLinkInvalid("this link is invalid, used or expired; ask for a new one")
    try:
        async with deps.uow() as uow:
            token = await uow.account_tokens.spend(
                token_hash(req.token), purpose=Purpose.PASSWORD_RESET, at=now()
            )
            user = await uow.users.get(token.user_id) if token else None
            if token is None or user is None or user.email != token.email:
                raise invalid
            user.password_hash = password_hash
            # Whoever held the old password, or a stolen refresh token, is out.
            ended: list[str] = []
            for workspace, _ in await uow.memberships.of_user(user.id):
                ids = await revoke_sessions(
                    uow, user.id, workspace.id, "password_reset", str(user.id)
                )
                ended += [str(i) for i in ids]
            await uow.login_attempts.clear(f"account:{user.email}")
            await uow.commit()
            return {"user": user_view(user), "ended_sessions": len(ended)}
    except DuplicateKey:
        raise EmailTaken("another account has a password under this email") from None
