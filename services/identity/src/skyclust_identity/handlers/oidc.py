"""Login with an OpenID Connect provider: the authorization code flow with PKCE, state
and nonce. Start records what the callback must match; Complete checks and spends the
state, lets the provider's client exchange and verify, then finds, links or creates the
user and issues SkyClust tokens."""

from __future__ import annotations

import functools
import logging
from datetime import timedelta
from typing import Any

from skyclust_common.errors import ValidationFailed
from skyclust_common.messages.rpc import (
    CompleteOidcLogin,
    ConfirmOidcLink,
    ListOidcProviders,
    StartOidcLogin,
)
from skyclust_common.messaging import RpcContext

from ..adapters.oidc import OidcProviders, OidcSettings
from ..domain.account_tokens import new_token, token_hash
from ..domain.errors import (
    NoWorkspace,
    OidcEmailUnverified,
    OidcLinkInvalid,
    OidcLinkRequired,
    OidcStateInvalid,
)
from ..domain.model import normalize_email
from ..domain.oidc import VerifiedIdentity, new_code_verifier, new_secret, state_problem
from ..domain.ports import DuplicateKey, IdentityUow, UserRecord
from . import mfa
from .auth import create_user_with_workspace
from .base import IdentityDeps, now
from .sessions import issue_tokens

log = logging.getLogger(__name__)

# Spent and abandoned states are kept a while for the record, then dropped.
STATE_RETENTION = timedelta(days=1)
LINK = "oidc_link"
LINK_TTL = timedelta(minutes=30)


@functools.cache
def _from_environment() -> OidcProviders:
    return OidcProviders(OidcSettings())


def providers_of(deps: IdentityDeps) -> OidcProviders:
    """The composition root gives identity's deps an `oidc` attribute; without one the
    providers are read from SKYCLUST_OIDC_PROVIDERS once, on first use."""
    configured = getattr(deps, "oidc", None)
    return configured if isinstance(configured, OidcProviders) else _from_environment()


async def list_providers(
    deps: IdentityDeps, req: ListOidcProviders.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    return {"providers": [{"name": p.name, "issuer": p.issuer} for p in providers_of(deps)]}


async def start_login(
    deps: IdentityDeps, req: StartOidcLogin.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    provider = providers_of(deps).get(req.provider)
    state, nonce, verifier = new_secret(), new_secret(), new_code_verifier()
    url = await provider.authorization_url(
        state=state, nonce=nonce, code_verifier=verifier, redirect_uri=req.redirect_uri
    )
    async with deps.uow() as uow:
        await uow.oidc_states.purge_before(now() - STATE_RETENTION)
        await uow.oidc_states.add(
            state=state,
            provider=provider.name,
            nonce=nonce,
            code_verifier=verifier,
            redirect_uri=req.redirect_uri,
            # Set here rather than by the database so expiry is judged on one clock.
            created_at=now(),
        )
        await uow.commit()
    return {"authorization_url": url, "state": state}


async def complete_login(
    deps: IdentityDeps, req: CompleteOidcLogin.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    provider = providers_of(deps).get(req.provider)
    # The state is checked and spent in one short transaction, committed before the
    # provider is called: a state works once whatever happens next, and no database
    # connection is held while the provider answers.
    async with deps.uow() as uow:
        pending = await uow.oidc_states.lock(req.state)
        if pending is None:
            raise _state_invalid("unknown")
        problem = state_problem(
            provider=pending.provider,
            used_at=pending.used_at,
            created_at=pending.created_at,
            expected=provider.name,
            now=now(),
        )
        if problem is not None:
            raise _state_invalid(problem)
        pending.used_at = now()
        nonce, verifier, redirect_uri = pending.nonce, pending.code_verifier, pending.redirect_uri
        await uow.commit()

    identity = await provider.redeem(
        code=req.code, code_verifier=verifier, redirect_uri=redirect_uri, nonce=nonce
    )
    try:
        return await _log_in(deps, provider.name, identity)
    except DuplicateKey:
        # A concurrent first login of the same person (or a sign-up with the email)
        # committed first; trying again finds what it created.
        log.info("OIDC login raced another; retrying", extra={"provider": provider.name})
        return await _log_in(deps, provider.name, identity)


def _state_invalid(reason: str) -> OidcStateInvalid:
    return OidcStateInvalid(
        "this login link is invalid or has expired; start the login again",
        details={"reason": reason},
    )


async def _log_in(deps: IdentityDeps, provider: str, identity: VerifiedIdentity) -> dict[str, Any]:
    async with deps.uow() as uow:
        user = await _find_or_create_user(uow, provider, identity)
        if isinstance(user, OidcLinkRequired):
            await uow.commit()  # the link token it carries
            raise user
        found = await uow.memberships.first(user.id)
        if found is None:
            raise NoWorkspace(
                "this account belongs to no workspace; ask a workspace admin to add you"
            )
        workspace, membership = found
        if user.mfa_enabled_at is not None:
            # The provider's own factors are not SkyClust's to judge: an account that
            # turned MFA on is asked for its code whichever way it logs in.
            answer = await mfa.challenge(uow, user, workspace.id)
        else:
            answer = await issue_tokens(uow, deps, user, workspace, membership.role)
        await uow.commit()
    return answer


async def _find_or_create_user(
    uow: IdentityUow, provider: str, identity: VerifiedIdentity
) -> UserRecord | OidcLinkRequired:
    email = _usable_email(identity)
    known = await uow.user_identities.get(provider, identity.subject)
    if known is not None:
        user = await uow.users.get(known.user_id)
        assert user is not None  # the foreign key cascades deletes
        if email is not None and known.email != email:
            known.email = email
        return user
    # Only an email the provider vouches for may pick an account or create one: an
    # unverified address would let anyone claim someone else's account, now or later.
    if email is None:
        raise OidcEmailUnverified(
            "the provider gave no usable email address; allow SkyClust to see it",
            details={"reason": "missing"},
        )
    if not identity.email_verified:
        raise OidcEmailUnverified(
            "the provider has not verified your email address", details={"reason": "unverified"}
        )
    user = await uow.users.by_email(email)
    if user is not None and user.email_verified_at is not None:
        # Even a verified address is not enough to join two accounts: the owner of the
        # SkyClust one says yes from inside it.
        return await _link_required(uow, provider, identity.subject, user)
    # An account whose address nobody proved is not the provider's user: anyone may
    # have signed up with it. The provider's user gets an account of their own.
    name = identity.name or email.split("@", 1)[0]
    user, _ = await create_user_with_workspace(
        uow,
        email=email,
        name=name,
        password_hash=None,
        workspace_name=name[:100],
        email_verified_at=now(),
    )
    await uow.user_identities.add(
        provider=provider, subject=identity.subject, user_id=user.id, email=email
    )
    return user


def _usable_email(identity: VerifiedIdentity) -> str | None:
    if identity.email is None:
        return None
    try:
        return normalize_email(identity.email)
    except ValidationFailed:
        return None


async def _link_required(
    uow: IdentityUow, provider: str, subject: str, user: UserRecord
) -> OidcLinkRequired:
    token, hashed = new_token()
    at = now()
    await uow.account_tokens.add(
        token_hash=hashed,
        user_id=user.id,
        purpose=LINK,
        email=user.email,
        expires_at=at + LINK_TTL,
        created_at=at,
        details={"provider": provider, "subject": subject},
    )
    return OidcLinkRequired(
        "a SkyClust account uses this email; log in to it and confirm the link",
        details={"link_token": token, "provider": provider},
    )


async def confirm_link(
    deps: IdentityDeps, req: ConfirmOidcLink.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    """The logged-in owner of the account says yes to the provider account that asked."""
    invalid = OidcLinkInvalid("this link request is invalid, used or expired; log in again")
    try:
        async with deps.uow() as uow:
            pending = await uow.account_tokens.live(
                token_hash(req.link_token), purpose=LINK, at=now()
            )
            if pending is None or pending.user_id != req.user_id:
                raise invalid
            pending.used_at = now()
            provider, subject = pending.details["provider"], pending.details["subject"]
            await uow.user_identities.add(
                provider=provider, subject=subject, user_id=pending.user_id, email=pending.email
            )
            await uow.commit()
    except DuplicateKey:
        raise invalid from None
    return {"provider": provider, "linked": True}
