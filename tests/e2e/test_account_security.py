"""Account security through the gateway: MFA with codes from pyotp, a workspace that
requires it, a password reset by the emailed link ending the old sessions, a
verification link as the local SMTP sink receives it from the notification service, and
a change of address confirmed from the new mailbox."""

from __future__ import annotations

import email
import re
import time
from email import policy
from typing import Any

import pyotp
import pytest

from .client import Api
from .mailbox import mailed_token, verify

pytestmark = pytest.mark.e2e
PASSWORD = "correct-horse-9"


def _data(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _enrol(api: Api) -> pyotp.TOTP:
    started = _data(api.post("/api/v1/auth/mfa/enrolment"))
    authenticator = pyotp.parse_uri(started["otpauth_uri"])
    assert isinstance(authenticator, pyotp.TOTP) and authenticator.secret == started["secret"]
    # The previous step's code, so the login that follows has a later one to use.
    code = authenticator.at(time.time() - 30)
    confirmed = _data(api.post("/api/v1/auth/mfa/enrolment/confirm", json={"code": code}))
    assert len(confirmed["recovery_codes"]) == 10
    return authenticator


def _mfa_login(api: Api, email: str, authenticator: pyotp.TOTP) -> dict[str, Any]:
    challenge = _data(api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}))
    assert challenge["mfa_required"] is True and "access_token" not in challenge
    body = {"mfa_token": challenge["mfa_token"], "code": authenticator.now()}
    tokens = _data(api.post("/api/v1/auth/login/mfa", json=body))
    api.token = tokens["access_token"]
    # The same code again, even in a fresh challenge, is a replay.
    again = _data(api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}))
    replay = api.post(
        "/api/v1/auth/login/mfa", json={"mfa_token": again["mfa_token"], "code": body["code"]}
    )
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "INVALID_MFA_CODE"
    return tokens


def test_mfa_with_pyotp_and_a_workspace_that_requires_it(platform):
    admin = platform.api()
    account = admin.signup()
    verify(platform, account["email"])
    workspace_id = account["workspace"]["id"]
    authenticator = _enrol(admin)
    _mfa_login(admin, account["email"], authenticator)
    key = _data(admin.post("/api/v1/api-keys", json={"name": "ci", "role": "viewer"}), 201)
    policy = admin.request(
        "PUT", f"/api/v1/workspaces/{workspace_id}/mfa-policy", json={"require_mfa": True}
    )
    assert _data(policy) == {"workspace_id": workspace_id, "require_mfa": True}

    member = platform.api()
    member_account = member.signup()
    verify(platform, member_account["email"])
    added = admin.post(
        f"/api/v1/workspaces/{workspace_id}/members",
        json={"email": member_account["email"], "role": "user"},
    )
    assert added.status_code == 201, added.text
    switched = _data(
        member.post("/api/v1/auth/switch-workspace", json={"workspace_id": workspace_id})
    )
    member.token = switched["access_token"]
    refused = member.get(f"/api/v1/workspaces/{workspace_id}/members")
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "MFA_REQUIRED"
    # The account's own routes stay open, so the member can enrol.
    assert _data(member.get("/api/v1/auth/me"))["workspace"]["id"] == workspace_id
    # API keys are not a login and are unaffected.
    keyed = Api(platform.gateway_url, key["key"])
    assert keyed.get(f"/api/v1/workspaces/{workspace_id}/members").status_code == 200

    member_authenticator = _enrol(member)
    _mfa_login(member, member_account["email"], member_authenticator)
    switched = _data(
        member.post("/api/v1/auth/switch-workspace", json={"workspace_id": workspace_id})
    )
    member.token = switched["access_token"]
    assert member.get(f"/api/v1/workspaces/{workspace_id}/members").status_code == 200


def test_a_password_reset_by_the_emailed_link_ends_old_sessions(platform):
    user = platform.api()
    account = user.signup()
    login = _data(
        user.post("/api/v1/auth/login", json={"email": account["email"], "password": PASSWORD})
    )
    assert user.get("/api/v1/auth/me").status_code == 200
    anonymous = platform.api()
    known = anonymous.post("/api/v1/auth/password-reset", json={"email": account["email"]})
    unknown = anonymous.post("/api/v1/auth/password-reset", json={"email": "no-one@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json()["data"] == unknown.json()["data"] == {"accepted": True}

    token = mailed_token(platform, account["email"], "password_reset")
    body = {"token": token, "password": "a-new-horse-10"}
    done = _data(anonymous.post("/api/v1/auth/password-reset/complete", json=body))
    assert done["ended_sessions"] >= 2
    used = anonymous.post("/api/v1/auth/password-reset/complete", json=body)
    assert used.status_code == 400 and used.json()["error"]["code"] == "ACCOUNT_LINK_INVALID"

    # The gateway learns of the ended sessions from identity's SessionsRevoked events.
    deadline = time.monotonic() + 10
    while (status := user.get("/api/v1/auth/me").status_code) == 200:
        assert time.monotonic() < deadline, "the old access token still works"
        time.sleep(0.2)
    assert status == 401
    stale = anonymous.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert stale.status_code == 401
    old = anonymous.post(
        "/api/v1/auth/login", json={"email": account["email"], "password": PASSWORD}
    )
    assert old.status_code == 401
    new = anonymous.post(
        "/api/v1/auth/login", json={"email": account["email"], "password": "a-new-horse-10"}
    )
    assert new.status_code == 200, new.text


def _sink_token(platform: Any, address: str, subject_has: str) -> str:
    """The token of the link in the mail to `address` that the local SMTP sink received."""
    folder = platform.state_dir / "mail"
    deadline = time.monotonic() + 30
    while True:
        assert time.monotonic() < deadline, f"no mail to {address} reached the sink"
        for path in sorted(folder.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if address not in str(message["To"]) or subject_has not in str(message["Subject"]):
                continue
            body = message.get_body(preferencelist=("plain", "html"))
            assert body is not None
            found = re.search(
                r"https?://\S*verify-email\?token=([A-Za-z0-9_-]+)", body.get_content()
            )
            if found:
                return found.group(1)
        time.sleep(0.3)


def test_an_email_is_verified_through_the_mail_the_local_smtp_sink_receives(platform):
    user = platform.api()
    account = user.signup()
    assert _data(user.get("/api/v1/auth/me"))["user"]["email_verified"] is False
    link = _sink_token(platform, account["email"], "Confirm your SkyClust email")
    verified = _data(platform.api().post("/api/v1/auth/verify-email", json={"token": link}))
    assert verified["user"]["email_verified"] is True
    assert _data(user.get("/api/v1/auth/me"))["user"]["email_verified"] is True


def test_a_change_of_address_counts_once_the_new_mailbox_confirms(platform):
    user = platform.api()
    account = user.signup()
    new_address = "moved-" + account["email"]
    wrong = user.post(
        "/api/v1/auth/email-change", json={"email": new_address, "password": "not-it-at-all"}
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "INVALID_CREDENTIALS"
    asked = _data(
        user.post("/api/v1/auth/email-change", json={"email": new_address, "password": PASSWORD}),
        202,
    )
    assert asked == {"email": account["email"], "pending_email": new_address}
    assert _data(user.get("/api/v1/auth/me"))["user"]["email"] == account["email"]

    token = _sink_token(platform, new_address, "Confirm your new SkyClust email")
    done = _data(platform.api().post("/api/v1/auth/verify-email", json={"token": token}))
    assert done["user"]["email"] == new_address and done["user"]["email_verified"] is True
    anonymous = platform.api()
    moved = anonymous.post("/api/v1/auth/login", json={"email": new_address, "password": PASSWORD})
    assert moved.status_code == 200, moved.text
    old = anonymous.post(
        "/api/v1/auth/login", json={"email": account["email"], "password": PASSWORD}
    )
    assert old.status_code == 401
