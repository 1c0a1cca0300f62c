"""Account takeover through OIDC linking is impossible: an address nobody verified never
receives the provider's user, and a verified one is linked only when its owner says so
from inside the account."""

from __future__ import annotations

import time
import uuid

import pyotp
import pytest

from skyclust_common.db import session_of
from skyclust_common.messages.rpc import (
    AddMember,
    CompleteMfaLogin,
    ConfirmMfaEnrolment,
    ConfirmOidcLink,
    Login,
    RegisterUser,
    StartMfaEnrolment,
    VerifyEmail,
)
from skyclust_identity.adapters.db import User, UserIdentity
from skyclust_identity.handlers import accounts, auth, mfa, oidc, workspaces

from .oidc_harness import CTX, account, count_users, log_in, mailed_token, refused, verified_claims

pytestmark = pytest.mark.integration
PASSWORD = "a-long-password-1"


async def _register(deps, email: str) -> dict:
    body = {"email": email, "password": PASSWORD, "name": "N", "workspace_name": "W"}
    return await auth.register(deps, RegisterUser.request(body), CTX)


async def test_an_unverified_sign_up_never_receives_the_owners_oidc_login(deps, provider):
    email = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    squatter = await _register(deps, email)
    assert squatter["user"]["email_verified"] is False

    victim = account(provider, email=email)
    first = await verified_claims(deps, await log_in(deps, victim))
    assert first["sub"] != squatter["user"]["id"]
    assert first["wid"] != squatter["workspace"]["id"]
    assert await count_users(deps, email) == 2
    # The next login keeps the same separate account.
    again = await verified_claims(deps, await log_in(deps, victim))
    assert (again["sub"], again["wid"]) == (first["sub"], first["wid"])
    async with deps.uow() as uow:
        link = await session_of(uow).get(UserIdentity, ("local", victim.sub))
        assert link is not None and str(link.user_id) == first["sub"]
        mine = await session_of(uow).get(User, uuid.UUID(first["sub"]))
        assert mine is not None and mine.email_verified_at is not None
    # The squatter's password opens only the squatter's own account.
    theirs = await verified_claims(
        deps, await auth.login(deps, Login.request({"email": email, "password": PASSWORD}), CTX)
    )
    assert theirs["sub"] == squatter["user"]["id"]
    # And the squatter's verification link, mailed to the victim, cannot make a second
    # verified holder of the address.
    token = await mailed_token(deps, squatter["user"]["id"], "verify_email")
    error = await refused(accounts.verify_email(deps, VerifyEmail.request({"token": token}), CTX))
    assert (error.code, error.status) == ("EMAIL_TAKEN", 409)


async def test_an_unverified_account_cannot_be_invited_by_its_email(deps, provider):
    admin = await _register(deps, f"admin-{uuid.uuid4().hex[:8]}@example.com")
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    invitee = await _register(deps, email)
    request = AddMember.request(
        {
            "workspace_id": admin["workspace"]["id"],
            "email": email,
            "role": "user",
            "actor_id": admin["user"]["id"],
        }
    )
    error = await refused(workspaces.add_member(deps, request, CTX))
    assert (error.code, error.status) == ("EMAIL_UNVERIFIED", 409)
    token = await mailed_token(deps, invitee["user"]["id"], "verify_email")
    verified = await accounts.verify_email(deps, VerifyEmail.request({"token": token}), CTX)
    assert verified["user"]["email_verified"] is True
    added = await workspaces.add_member(deps, request, CTX)
    assert added["user_id"] == invitee["user"]["id"]


async def test_a_verified_account_is_linked_only_after_its_owner_confirms(deps, provider):
    email = f"grace-{uuid.uuid4().hex[:8]}@example.com"
    owner = await _register(deps, email)
    token = await mailed_token(deps, owner["user"]["id"], "verify_email")
    await accounts.verify_email(deps, VerifyEmail.request({"token": token}), CTX)
    # The link is single use.
    error = await refused(accounts.verify_email(deps, VerifyEmail.request({"token": token}), CTX))
    assert (error.code, error.status) == ("ACCOUNT_LINK_INVALID", 400)

    person = account(provider, email=email)
    error = await refused(log_in(deps, person))
    assert (error.code, error.status) == ("OIDC_LINK_REQUIRED", 409)
    link_token = error.details["link_token"]
    assert await count_users(deps, email) == 1
    async with deps.uow() as uow:
        assert await session_of(uow).get(UserIdentity, ("local", person.sub)) is None

    stranger = await _register(deps, f"other-{uuid.uuid4().hex[:8]}@example.com")
    wrong = {"user_id": stranger["user"]["id"], "link_token": link_token}
    error = await refused(oidc.confirm_link(deps, ConfirmOidcLink.request(wrong), CTX))
    assert error.code == "OIDC_LINK_INVALID"

    confirm = {"user_id": owner["user"]["id"], "link_token": link_token}
    assert (await oidc.confirm_link(deps, ConfirmOidcLink.request(confirm), CTX))["linked"] is True
    claims = await verified_claims(deps, await log_in(deps, person))
    assert (claims["sub"], claims["wid"]) == (owner["user"]["id"], owner["workspace"]["id"])
    error = await refused(oidc.confirm_link(deps, ConfirmOidcLink.request(confirm), CTX))
    assert error.code == "OIDC_LINK_INVALID"
    # The password still works: linking adds a way in, it does not replace one.
    tokens = await auth.login(deps, Login.request({"email": email, "password": PASSWORD}), CTX)
    assert (await verified_claims(deps, tokens))["sub"] == owner["user"]["id"]


async def test_an_oidc_login_asks_for_the_code_of_an_account_with_mfa(deps, provider):
    person = account(provider)
    user_id = (await verified_claims(deps, await log_in(deps, person)))["sub"]
    started = await mfa.start_enrolment(deps, StartMfaEnrolment.request({"user_id": user_id}), CTX)
    authenticator = pyotp.TOTP(started["secret"])
    code = authenticator.at(time.time() - 30)
    await mfa.confirm_enrolment(
        deps, ConfirmMfaEnrolment.request({"user_id": user_id, "code": code}), CTX
    )
    challenge = await log_in(deps, person)
    assert challenge["mfa_required"] is True and "access_token" not in challenge
    body = {"mfa_token": challenge["mfa_token"], "code": authenticator.now()}
    assert (
        await verified_claims(
            deps, await mfa.complete_login(deps, CompleteMfaLogin.request(body), CTX)
        )
    )["sub"] == user_id
