"""Two logins racing with one TOTP code, each in a challenge of its own, on real
PostgreSQL: the code is spent once, so exactly one of them gets tokens."""

from __future__ import annotations

import asyncio
import time
import uuid

import pyotp
import pytest

from skyclust_common.db import session_of
from skyclust_common.errors import SkyclustError
from skyclust_common.messages.rpc import (
    CompleteMfaLogin,
    ConfirmMfaEnrolment,
    Login,
    RegisterUser,
    StartMfaEnrolment,
)
from skyclust_identity.adapters.db import User
from skyclust_identity.handlers import auth, mfa

from .oidc_harness import CTX

pytestmark = pytest.mark.integration
PASSWORD = "a-long-password-1"


async def _user_with_mfa(deps) -> tuple[str, pyotp.TOTP]:
    email = f"racer-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": PASSWORD, "name": "N", "workspace_name": "W"}
    registered = await auth.register(deps, RegisterUser.request(body), CTX)
    user_id = registered["user"]["id"]
    started = await mfa.start_enrolment(deps, StartMfaEnrolment.request({"user_id": user_id}), CTX)
    authenticator = pyotp.TOTP(started["secret"])
    # Enrol with the previous step's code, so the current one is still unspent.
    code = authenticator.at(time.time() - 30)
    await mfa.confirm_enrolment(
        deps, ConfirmMfaEnrolment.request({"user_id": user_id, "code": code}), CTX
    )
    async with deps.uow() as uow:
        row = await session_of(uow).get(User, uuid.UUID(user_id))
        # What PostgreSQL holds is sealed: no second factor in a copy of the database.
        assert row is not None and row.mfa_secret is not None
        assert row.mfa_secret.startswith("v1:") and authenticator.secret not in row.mfa_secret
    return email, authenticator


async def _outcome(deps, body: dict) -> str:
    try:
        tokens = await mfa.complete_login(deps, CompleteMfaLogin.request(body), CTX)
    except SkyclustError as exc:
        return exc.code
    assert tokens["access_token"]
    return "tokens"


@pytest.mark.parametrize("round_", range(3))
async def test_one_code_in_two_challenges_logs_in_once(deps, round_):
    email, authenticator = await _user_with_mfa(deps)
    login = Login.request({"email": email, "password": PASSWORD})
    first = await auth.login(deps, login, CTX)
    second = await auth.login(deps, login, CTX)
    assert first["mfa_required"] and second["mfa_required"]
    code = authenticator.now()
    outcomes = await asyncio.gather(
        _outcome(deps, {"mfa_token": first["mfa_token"], "code": code}),
        _outcome(deps, {"mfa_token": second["mfa_token"], "code": code}),
    )
    assert sorted(outcomes) == ["INVALID_MFA_CODE", "tokens"]
