"""A change of address on the in-memory unit of work: the owner asks (password, and the
second factor with MFA on), the new address confirms, and only then does it count."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest

from skyclust_common.errors import SkyclustError
from skyclust_common.messages.rpc import (
    CompletePasswordReset,
    ConfirmMfaEnrolment,
    RequestEmailChange,
    RequestPasswordReset,
    StartMfaEnrolment,
    VerifyEmail,
)
from skyclust_identity.handlers import accounts, mfa

from .fakes import PASSWORD, Identity

pytestmark = pytest.mark.unit


async def refused(call: Any) -> SkyclustError:
    with pytest.raises(SkyclustError) as info:
        await call
    return info.value


async def _change(identity: Identity, user_id: str, email: str, **fields: Any) -> dict[str, Any]:
    body = {"user_id": user_id, "email": email, "password": PASSWORD, **fields}
    return await accounts.request_email_change(identity.deps, RequestEmailChange.request(body))


async def test_the_address_changes_only_when_the_new_one_confirms() -> None:
    identity = Identity()
    user_id = (await identity.register("old@example.com"))["user"]["id"]
    asked = await _change(identity, user_id, "New@Example.com")
    assert asked == {"email": "old@example.com", "pending_email": "new@example.com"}
    [mail] = [m for m in identity.events("SendAccountEmail") if m["template"] == "change_email"]
    assert mail["email"] == "new@example.com" and "/verify-email?token=" in mail["link"]
    # Until then the old address is the account's: logins and resets still use it.
    assert (await identity.login("old@example.com"))["access_token"]

    done = await accounts.verify_email(
        identity.deps,
        VerifyEmail.request({"token": identity.mailed_token(user_id, "change_email")}),
    )
    assert done["user"]["email"] == "new@example.com" and done["user"]["email_verified"]
    assert (await identity.login("new@example.com"))["access_token"]
    error = await refused(identity.login("old@example.com"))
    assert error.code == "INVALID_CREDENTIALS"
    again = await refused(
        accounts.verify_email(
            identity.deps,
            VerifyEmail.request({"token": identity.mailed_token(user_id, "change_email")}),
        )
    )
    assert again.code == "ACCOUNT_LINK_INVALID"


async def test_a_reset_link_sent_to_the_old_address_stops_working_after_the_change() -> None:
    identity = Identity()
    user_id = (await identity.register("old@example.com"))["user"]["id"]
    await accounts.request_password_reset(
        identity.deps, RequestPasswordReset.request({"email": "old@example.com"})
    )
    reset = identity.mailed_token(user_id, "password_reset")
    await _change(identity, user_id, "new@example.com")
    await accounts.verify_email(
        identity.deps,
        VerifyEmail.request({"token": identity.mailed_token(user_id, "change_email")}),
    )
    error = await refused(
        accounts.complete_password_reset(
            identity.deps,
            CompletePasswordReset.request({"token": reset, "password": "another-horse-7"}),
        )
    )
    assert error.code == "ACCOUNT_LINK_INVALID"


async def test_only_the_owner_may_ask() -> None:
    identity = Identity()
    user_id = (await identity.register("ada@example.com"))["user"]["id"]
    wrong = await refused(_change(identity, user_id, "new@example.com", password="guess-guess"))
    assert (wrong.code, wrong.status) == ("INVALID_CREDENTIALS", 401)
    missing = await refused(
        accounts.request_email_change(
            identity.deps,
            RequestEmailChange.request({"user_id": user_id, "email": "new@example.com"}),
        )
    )
    assert missing.code == "INVALID_CREDENTIALS"
    # Failures count like a login's: the account's login throttle closes.
    identity.settings.login_max_failures_per_account = 3
    await refused(_change(identity, user_id, "new@example.com", password="guess-again"))
    throttled = await refused(_change(identity, user_id, "new@example.com"))
    assert throttled.code == "TOO_MANY_LOGIN_ATTEMPTS"
    assert not [m for m in identity.events("SendAccountEmail") if m["template"] == "change_email"]


async def test_with_mfa_on_the_second_factor_is_asked_too() -> None:
    identity = Identity()
    user_id = (await identity.register("ada@example.com"))["user"]["id"]
    started = await mfa.start_enrolment(
        identity.deps, StartMfaEnrolment.request({"user_id": user_id})
    )
    authenticator = pyotp.TOTP(started["secret"])
    await mfa.confirm_enrolment(
        identity.deps,
        ConfirmMfaEnrolment.request(
            {"user_id": user_id, "code": authenticator.at(time.time() - 30)}
        ),
    )
    error = await refused(_change(identity, user_id, "new@example.com"))
    assert error.code == "INVALID_MFA_CODE"
    asked = await _change(identity, user_id, "new@example.com", code=authenticator.now())
    assert asked["pending_email"] == "new@example.com"


async def test_a_taken_or_unchanged_or_bad_address_is_refused() -> None:
    identity = Identity()
    user_id = (await identity.register("ada@example.com"))["user"]["id"]
    await identity.register("bob@example.com")
    taken = await refused(_change(identity, user_id, "bob@example.com"))
    assert (taken.code, taken.status) == ("EMAIL_TAKEN", 409)
    same = await refused(_change(identity, user_id, "ada@example.com"))
    assert (same.code, same.status) == ("INVALID_EMAIL", 422)
    bad = await refused(_change(identity, user_id, "not an address"))
    assert bad.code == "INVALID_EMAIL"
