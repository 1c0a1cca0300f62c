"""OIDC login refused: each way a callback, an ID token or a provider can be wrong."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from skyclust_common.messages.rpc import CompleteOidcLogin, StartOidcLogin
from skyclust_identity.adapters.db import OidcState
from skyclust_identity.adapters.oidc import OidcProviders
from skyclust_identity.handlers import oidc
from skyclust_tools.oidc_provider import Client, running_provider

from .oidc_harness import (
    CTX,
    REDIRECT,
    account,
    complete,
    count_users,
    make_deps,
    provider_settings,
    refused,
    start,
)

pytestmark = pytest.mark.integration


async def test_an_unknown_provider_is_refused(deps):
    error = await refused(
        oidc.start_login(
            deps, StartOidcLogin.request({"provider": "nope", "redirect_uri": REDIRECT}), CTX
        )
    )
    assert (error.code, error.status) == ("OIDC_PROVIDER_UNKNOWN", 404)
    error = await refused(
        oidc.complete_login(
            deps, CompleteOidcLogin.request({"provider": "nope", "state": "s", "code": "c"}), CTX
        )
    )
    assert error.code == "OIDC_PROVIDER_UNKNOWN"


async def test_a_wrong_state_is_refused(deps, provider):
    callback = await start(deps, account(provider))
    error = await refused(complete(deps, {**callback, "state": "forged-state"}))
    assert (error.code, error.status, error.details["reason"]) == (
        "OIDC_STATE_INVALID",
        400,
        "unknown",
    )


async def test_a_state_works_once(deps, provider):
    callback = await start(deps, account(provider))
    await complete(deps, callback)
    error = await refused(complete(deps, callback))
    assert (error.code, error.details["reason"]) == ("OIDC_STATE_INVALID", "used")


async def test_a_state_of_another_provider_is_refused(deps, provider, other_provider):
    callback = await start(deps, account(other_provider), provider="other")
    error = await refused(complete(deps, {**callback, "provider": "local"}))
    assert (error.code, error.details["reason"]) == ("OIDC_STATE_INVALID", "provider_mismatch")
    # It is still good where it belongs.
    await complete(deps, callback)


async def test_a_state_older_than_ten_minutes_is_refused(deps, provider):
    callback = await start(deps, account(provider))
    async with deps.uow() as uow:
        await uow.session.execute(
            update(OidcState)
            .where(OidcState.state == callback["state"])
            .values(created_at=OidcState.created_at - timedelta(minutes=10, seconds=1))
        )
        await uow.commit()
    error = await refused(complete(deps, callback))
    assert (error.code, error.details["reason"]) == ("OIDC_STATE_INVALID", "expired")


@pytest.mark.parametrize(
    ("knobs", "reason"),
    [
        ({"nonce": "a-nonce-from-another-login"}, "nonce"),
        ({"expired": True}, "expired"),
        ({"audience": "someone-elses-client"}, "audience"),
        ({"bad_signature": True}, "signature"),
        ({"issuer": "https://impostor.example"}, "issuer"),
    ],
)
async def test_a_bad_id_token_is_refused(deps, provider, knobs, reason):
    person = account(provider)
    callback = await start(deps, person)
    provider.tamper_next_id_token(**knobs)
    error = await refused(complete(deps, callback))
    assert (error.code, error.status, error.details["reason"]) == (
        "OIDC_TOKEN_INVALID",
        401,
        reason,
    )
    assert await count_users(deps, str(person.email)) == 0
    # The state was spent by the attempt: replaying the callback does not get a retry.
    error = await refused(complete(deps, callback))
    assert error.code == "OIDC_STATE_INVALID"


async def test_a_code_the_provider_does_not_know_is_refused(deps, provider):
    callback = await start(deps, account(provider))
    error = await refused(complete(deps, {**callback, "code": "made-up-code"}))
    assert (error.code, error.details["reason"]) == ("OIDC_TOKEN_INVALID", "code_rejected")


async def test_the_code_is_redeemed_only_with_this_logins_pkce_verifier(deps, provider):
    callback = await start(deps, account(provider))
    async with deps.uow() as uow:
        await uow.session.execute(
            update(OidcState)
            .where(OidcState.state == callback["state"])
            .values(code_verifier="a-verifier-an-attacker-would-have-to-guess-" + "x" * 20)
        )
        await uow.commit()
    error = await refused(complete(deps, callback))
    assert (error.code, error.details["reason"]) == ("OIDC_TOKEN_INVALID", "code_rejected")


async def test_a_discovery_document_of_another_issuer_is_not_trusted(deps):
    error = await refused(
        oidc.start_login(
            deps, StartOidcLogin.request({"provider": "renamed", "redirect_uri": REDIRECT}), CTX
        )
    )
    assert (error.code, error.status) == ("OIDC_PROVIDER_UNAVAILABLE", 503)


async def test_a_provider_that_is_down_is_reported_as_unavailable(deps):
    error = await refused(
        oidc.start_login(
            deps, StartOidcLogin.request({"provider": "down", "redirect_uri": REDIRECT}), CTX
        )
    )
    assert (error.code, error.status) == ("OIDC_PROVIDER_UNAVAILABLE", 503)


async def test_a_provider_going_down_mid_login_is_reported_as_unavailable(sessions):
    with running_provider(clients=[Client("c", "s")]) as flaky:
        providers = OidcProviders(
            provider_settings(
                flaky={"issuer": flaky.issuer, "client_id": "c", "client_secret": "s"}
            )
        )
        deps = make_deps(sessions, providers)
        callback = await start(deps, account(flaky), provider="flaky")
    try:
        error = await refused(complete(deps, callback))
        assert (error.code, error.status) == ("OIDC_PROVIDER_UNAVAILABLE", 503)
    finally:
        await providers.aclose()


async def test_a_wrong_client_secret_is_an_operator_problem_not_the_users(deps, provider):
    callback = await start(deps, account(provider), provider="misconfigured")
    error = await refused(complete(deps, callback))
    assert (error.code, error.status) == ("OIDC_PROVIDER_UNAVAILABLE", 503)
    assert "not-the-secret" not in json.dumps(error.to_dict())
