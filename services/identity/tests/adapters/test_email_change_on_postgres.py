"""A change of address against identity's real schema: the partial unique indexes, not
the handler, decide a race for one address."""

from __future__ import annotations

import uuid

import pytest

from skyclust_common.messages.rpc import (
    Login,
    RegisterUser,
    RequestEmailChange,
    VerifyEmail,
)
from skyclust_identity.handlers import accounts, auth

from .oidc_harness import CTX, mailed_token, refused

pytestmark = pytest.mark.integration
PASSWORD = "a-long-password-1"


async def _register(deps, email: str) -> str:
    body = {"email": email, "password": PASSWORD, "name": "N", "workspace_name": "W"}
    user_id: str = (await auth.register(deps, RegisterUser.request(body), CTX))["user"]["id"]
    token = await mailed_token(deps, user_id, "verify_email")
    await accounts.verify_email(deps, VerifyEmail.request({"token": token}), CTX)
    return user_id


async def test_a_confirmation_loses_to_an_account_that_verified_the_address_first(deps):
    tag = uuid.uuid4().hex[:8]
    wanted = f"shared-{tag}@example.com"
    first = await _register(deps, f"first-{tag}@example.com")
    body = {"user_id": first, "email": wanted, "password": PASSWORD}
    assert (await accounts.request_email_change(deps, RequestEmailChange.request(body), CTX))[
        "pending_email"
    ] == wanted
    # Another sign-up takes and verifies the address while the link is on its way.
    await _register(deps, wanted)
    error = await refused(
        accounts.verify_email(
            deps,
            VerifyEmail.request({"token": await mailed_token(deps, first, "change_email")}),
            CTX,
        )
    )
    assert (error.code, error.status) == ("EMAIL_TAKEN", 409)
    login = Login.request({"email": f"first-{tag}@example.com", "password": PASSWORD})
    tokens = await auth.login(deps, login, CTX)
    assert tokens["access_token"]


async def test_the_new_address_logs_in_and_the_old_one_no_longer_does(deps):
    tag = uuid.uuid4().hex[:8]
    user_id = await _register(deps, f"before-{tag}@example.com")
    body = {"user_id": user_id, "email": f"after-{tag}@example.com", "password": PASSWORD}
    await accounts.request_email_change(deps, RequestEmailChange.request(body), CTX)
    token = await mailed_token(deps, user_id, "change_email")
    done = await accounts.verify_email(deps, VerifyEmail.request({"token": token}), CTX)
    assert done["user"]["email"] == f"after-{tag}@example.com"
    login = Login.request({"email": f"after-{tag}@example.com", "password": PASSWORD})
    assert (await auth.login(deps, login, CTX))["access_token"]
    old = await refused(
        auth.login(
            deps, Login.request({"email": f"before-{tag}@example.com", "password": PASSWORD}), CTX
        )
    )
    assert old.code == "INVALID_CREDENTIALS"
