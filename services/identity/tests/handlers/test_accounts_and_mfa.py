"""Password reset and TOTP MFA on the in-memory unit of work, with codes from pyotp."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pyotp
import pytest

from skyclust_common.errors import SkyclustError
from skyclust_common.messages.rpc import (
    AddMember,
    CheckSession,
    CompleteMfaLogin,
    CompletePasswordReset,
    ConfirmMfaEnrolment,
    RequestPasswordReset,
    SetWorkspaceMfaPolicy,
    StartMfaEnrolment,
    SwitchWorkspace,
)
from skyclust_identity.handlers import accounts, mfa, sessions, workspaces

from .fakes import PASSWORD, Identity

pytestmark = pytest.mark.unit
NEW_PASSWORD = "another-horse-7"


async def refused(call: Any) -> SkyclustError:
    with pytest.raises(SkyclustError) as info:
        await call
    return info.value


def claims(tokens: dict[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(
        tokens["access_token"], options={"verify_signature": False}
    )
    return decoded


async def test_the_reset_answer_is_the_same_whether_or_not_the_account_exists() -> None:
    identity = Identity()
    await identity.register("known@example.com")
    known = await accounts.request_password_reset(
        identity.deps, RequestPasswordReset.request({"email": "known@example.com"})
    )
    unknown = await accounts.request_password_reset(
        identity.deps, RequestPasswordReset.request({"email": "nobody@example.com"})
    )
    assert known == unknown == {"accepted": True}
    mails = [m for m in identity.events("SendAccountEmail") if m["template"] == "password_reset"]
    assert [m["email"] for m in mails] == ["known@example.com"]
    # Nothing that could not be an address (a NUL, no @) reaches the store; same answer.
    for garbage in ("known@example.com\x00", "\u0016no-at-sign"):
        assert (
            await accounts.request_password_reset(
                identity.deps, RequestPasswordReset.request({"email": garbage})
            )
            == known
        )


async def test_a_reset_sets_the_password_once_and_ends_every_session() -> None:
    identity = Identity()
    registered = await identity.register("ada@example.com")
    user_id = registered["user"]["id"]
    old = claims(await identity.login("ada@example.com"))
    await accounts.request_password_reset(
        identity.deps, RequestPasswordReset.request({"email": "ada@example.com"})
    )
    token = identity.mailed_token(user_id, "password_reset")
    done = await accounts.complete_password_reset(
        identity.deps, CompletePasswordReset.request({"token": token, "password": NEW_PASSWORD})
    )
    assert done["ended_sessions"] == 1
    [revoked] = [e for e in identity.events("SessionsRevoked") if e["reason"] == "password_reset"]
    assert revoked["session_ids"] == [old["sid"]]
    live = await sessions.check_session(
        identity.deps, CheckSession.request({"session_id": old["sid"]})
    )
    assert live == {"live": False}
    error = await refused(identity.login("ada@example.com", PASSWORD))
    assert error.code == "INVALID_CREDENTIALS"
    assert claims(await identity.login("ada@example.com", NEW_PASSWORD))["sub"] == user_id
    again = await refused(
        accounts.complete_password_reset(
            identity.deps, CompletePasswordReset.request({"token": token, "password": NEW_PASSWORD})
        )
    )
    assert (again.code, again.status) == ("ACCOUNT_LINK_INVALID", 400)


async def test_a_newer_reset_link_voids_the_older_one() -> None:
    identity = Identity()
    user_id = (await identity.register("ada@example.com"))["user"]["id"]
    await accounts.request_password_reset(
        identity.deps, RequestPasswordReset.request({"email": "ada@example.com"})
    )
    first = identity.mailed_token(user_id, "password_reset")
    await accounts.request_password_reset(
        identity.deps, RequestPasswordReset.request({"email": "ada@example.com"})
    )
    error = await refused(
        accounts.complete_password_reset(
            identity.deps, CompletePasswordReset.request({"token": first, "password": NEW_PASSWORD})
        )
    )
    assert error.code == "ACCOUNT_LINK_INVALID"


async def test_reset_requests_are_throttled_per_address_and_per_client() -> None:
    identity = Identity()
    identity.settings.account_emails_per_address = 2
    identity.settings.account_emails_per_client = 3
    for _ in range(2):
        await accounts.request_password_reset(
            identity.deps, RequestPasswordReset.request({"email": "x@example.com"})
        )
    error = await refused(
        accounts.request_password_reset(
            identity.deps, RequestPasswordReset.request({"email": "x@example.com"})
        )
    )
    assert (error.code, error.status) == ("TOO_MANY_ACCOUNT_EMAILS", 429)
    assert error.details["retry_after"] > 0
    for n in range(3):
        body = {"email": f"c{n}@example.com", "client_address": "10.0.0.9"}
        await accounts.request_password_reset(identity.deps, RequestPasswordReset.request(body))
    body = {"email": "c9@example.com", "client_address": "10.0.0.9"}
    assert (
        await refused(
            accounts.request_password_reset(identity.deps, RequestPasswordReset.request(body))
        )
    ).code == ("TOO_MANY_ACCOUNT_EMAILS")


async def _enrol(identity: Identity, user_id: str) -> tuple[pyotp.TOTP, list[str]]:
    started = await mfa.start_enrolment(
        identity.deps, StartMfaEnrolment.request({"user_id": user_id})
    )
    authenticator = pyotp.parse_uri(started["otpauth_uri"])
    assert isinstance(authenticator, pyotp.TOTP)
    now = time.time()
    near = {authenticator.at(now + offset) for offset in (-30, 0, 30)}
    wrong_code = next(c for c in ("000000", "111111", "222222", "333333") if c not in near)
    body = {"user_id": user_id, "code": wrong_code}
    wrong = await refused(mfa.confirm_enrolment(identity.deps, ConfirmMfaEnrolment.request(body)))
    assert wrong.code == "INVALID_MFA_CODE"
    # The code of the previous step: the one the login below uses must be a later one.
    earlier = authenticator.at(time.time() - 30)
    confirmed = await mfa.confirm_enrolment(
        identity.deps, ConfirmMfaEnrolment.request({"user_id": user_id, "code": earlier})
    )
    return authenticator, confirmed["recovery_codes"]


async def test_mfa_login_asks_for_a_code_and_refuses_its_replay() -> None:
    identity = Identity()
    user_id = (await identity.register("ada@example.com"))["user"]["id"]
    authenticator, recovery = await _enrol(identity, user_id)
    assert len(recovery) == 10

    first = await identity.login("ada@example.com")
    assert first["mfa_required"] is True and "access_token" not in first
    code = authenticator.now()
    tokens = await mfa.complete_login(
        identity.deps, CompleteMfaLogin.request({"mfa_token": first["mfa_token"], "code": code})
    )
    assert claims(tokens)["sub"] == user_id
    # The challenge is single use, and so is the code, even in a new challenge.
    used = await refused(
        mfa.complete_login(
            identity.deps, CompleteMfaLogin.request({"mfa_token": first["mfa_token"], "code": code})
        )
    )
    assert used.code == "MFA_CHALLENGE_INVALID"
    second = await identity.login("ada@example.com")
    replay = await refused(
        mfa.complete_login(
            identity.deps,
            CompleteMfaLogin.request({"mfa_token": second["mfa_token"], "code": code}),
        )
    )
    assert (replay.code, replay.status) == ("INVALID_MFA_CODE", 401)
    # A recovery code works once.
    body = {"mfa_token": second["mfa_token"], "recovery_code": recovery[0].upper()}
    assert (
        claims(await mfa.complete_login(identity.deps, CompleteMfaLogin.request(body)))["sub"]
        == user_id
    )
    third = await identity.login("ada@example.com")
    body = {"mfa_token": third["mfa_token"], "recovery_code": recovery[0]}
    assert (
        await refused(mfa.complete_login(identity.deps, CompleteMfaLogin.request(body)))
    ).code == "INVALID_MFA_CODE"


async def test_wrong_codes_count_as_failed_logins() -> None:
    identity = Identity()
    user_id = (await identity.register("ada@example.com"))["user"]["id"]
    await _enrol(identity, user_id)
    challenge = await identity.login("ada@example.com")
    for _ in range(3):
        body = {"mfa_token": challenge["mfa_token"], "code": "12345x"}
        assert (
            await refused(mfa.complete_login(identity.deps, CompleteMfaLogin.request(body)))
        ).code == "INVALID_MFA_CODE"
    body = {"mfa_token": challenge["mfa_token"], "code": "123456"}
    assert (
        await refused(mfa.complete_login(identity.deps, CompleteMfaLogin.request(body)))
    ).code == ("TOO_MANY_LOGIN_ATTEMPTS")


async def test_a_workspace_requiring_mfa_marks_the_tokens_of_members_without_it() -> None:
    identity = Identity()
    registered = await identity.register("ada@example.com")
    user_id, ws = registered["user"]["id"], registered["workspace"]["id"]
    assert "mfa_unmet" not in claims(await identity.login("ada@example.com"))
    policy = {"user_id": user_id, "workspace_id": ws, "require_mfa": True}
    # An admin without MFA may not require it: they would lock themselves out.
    error = await refused(
        mfa.set_workspace_policy(identity.deps, SetWorkspaceMfaPolicy.request(policy))
    )
    assert error.code == "MFA_NOT_ENROLLED"
    authenticator, _ = await _enrol(identity, user_id)
    assert (await mfa.set_workspace_policy(identity.deps, SetWorkspaceMfaPolicy.request(policy)))[
        "require_mfa"
    ] is True
    member = await identity.register("member@example.com")
    await workspaces.add_member(
        identity.deps,
        AddMember.request(
            {"workspace_id": ws, "email": "member@example.com", "role": "user", "actor_id": user_id}
        ),
    )
    switched = await sessions.switch_workspace(
        identity.deps,
        SwitchWorkspace.request({"user_id": member["user"]["id"], "workspace_id": ws}),
    )
    assert claims(switched)["mfa_unmet"] is True
    challenge = await identity.login("ada@example.com")
    body = {"mfa_token": challenge["mfa_token"], "code": authenticator.now()}
    assert "mfa_unmet" not in claims(
        await mfa.complete_login(identity.deps, CompleteMfaLogin.request(body))
    )
