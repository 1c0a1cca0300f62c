"""TOTP secrets are stored sealed: an enrolment keeps no clear secret, one stored before
sealing or under an older key is sealed anew when used, and without keys MFA says so."""

from __future__ import annotations

import base64
import os
import time
import uuid
from typing import Any

import pyotp
import pytest

from skyclust_common.errors import SkyclustError
from skyclust_common.messages.rpc import CompleteMfaLogin, ConfirmMfaEnrolment, StartMfaEnrolment
from skyclust_identity.handlers import mfa
from skyclust_identity.settings import IdentitySettings

from .fakes import Identity

pytestmark = pytest.mark.unit


def _row(identity: Identity, user_id: str) -> Any:
    return identity.db.tables["users"][uuid.UUID(user_id)]


async def _enrol(identity: Identity, user_id: str) -> pyotp.TOTP:
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
    return authenticator


async def _mfa_login(identity: Identity, email: str, code: str) -> dict[str, Any]:
    challenge = await identity.login(email)
    return await mfa.complete_login(
        identity.deps, CompleteMfaLogin.request({"mfa_token": challenge["mfa_token"], "code": code})
    )


async def test_an_enrolment_stores_the_secret_sealed() -> None:
    identity = Identity()
    user_id = (await identity.register("ada@example.com"))["user"]["id"]
    authenticator = await _enrol(identity, user_id)
    stored = _row(identity, user_id).mfa_secret
    assert stored.startswith("v1:") and authenticator.secret not in stored
    assert (await _mfa_login(identity, "ada@example.com", authenticator.now()))["access_token"]


async def test_a_clear_secret_from_before_is_sealed_when_next_used() -> None:
    identity = Identity()
    user_id = (await identity.register("ada@example.com"))["user"]["id"]
    authenticator = await _enrol(identity, user_id)
    # As an account enrolled before secrets were sealed has it.
    _row(identity, user_id).mfa_secret = authenticator.secret
    assert (await _mfa_login(identity, "ada@example.com", authenticator.now()))["access_token"]
    stored = _row(identity, user_id).mfa_secret
    assert stored.startswith("v1:") and authenticator.secret not in stored


async def test_a_new_active_key_takes_over_each_secret_as_it_is_used() -> None:
    identity = Identity()
    user_id = (await identity.register("ada@example.com"))["user"]["id"]
    authenticator = await _enrol(identity, user_id)
    keys = {**identity.settings.mfa_keys, "v2": base64.b64encode(os.urandom(32)).decode()}
    identity.settings = IdentitySettings.model_validate(
        {**identity.settings.model_dump(), "mfa_keys": keys, "mfa_active_key": "v2"}
    )
    assert (await _mfa_login(identity, "ada@example.com", authenticator.now()))["access_token"]
    assert _row(identity, user_id).mfa_secret.startswith("v2:")


async def test_without_keys_mfa_answers_a_clear_code() -> None:
    identity = Identity()
    user_id = (await identity.register("ada@example.com"))["user"]["id"]
    identity.settings.mfa_keys = {}
    with pytest.raises(SkyclustError) as info:
        await mfa.start_enrolment(identity.deps, StartMfaEnrolment.request({"user_id": user_id}))
    assert (info.value.code, info.value.status) == ("MFA_UNAVAILABLE", 503)
    assert info.value.retryable is False
