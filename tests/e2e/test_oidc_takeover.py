"""The account takeover through OIDC linking fails, through the gateway and the local
OIDC provider: someone signs up first with the victim's address and leaves it
unverified; the victim's OIDC login creates, and then keeps, an account of its own."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from skyclust_tools.oidc_provider import Account

from .client import Api

pytestmark = pytest.mark.e2e
PASSWORD = "correct-horse-9"


def oidc_login(platform: Any, person: Account) -> httpx.Response:
    """A browser through `/auth/oidc/local/login`, the provider and the callback."""
    with httpx.Client(base_url=platform.gateway_url, timeout=15) as browser:
        started = browser.get("/api/v1/auth/oidc/local/login")
        assert started.status_code == 302, started.text
        at_provider = started.headers["location"] + "&" + urlencode({"login_hint": person.sub})
        back = httpx.get(at_provider, timeout=15)
        assert back.status_code == 302, back.text
        return browser.get(back.headers["location"])


def test_an_unverified_sign_up_does_not_receive_the_victims_oidc_login(platform, oidc_provider):
    email = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    attacker = platform.api()
    signed_up = attacker.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "name": "Mallory", "workspace_name": "m"},
    )
    assert signed_up.status_code == 201, signed_up.text
    squatter = signed_up.json()["data"]
    assert squatter["user"]["email_verified"] is False

    victim = Account(f"sub-{uuid.uuid4().hex[:10]}", email, name="Victor")
    oidc_provider.add_user(victim)
    first = oidc_login(platform, victim)
    assert first.status_code == 200, first.text
    mine = Api(platform.gateway_url, first.json()["data"]["access_token"])
    me = mine.get("/api/v1/auth/me").json()["data"]
    assert me["user"]["id"] != squatter["user"]["id"]
    assert me["workspace"]["id"] != squatter["workspace"]["id"]
    assert me["user"]["email_verified"] is True

    # The attacker's password opens only the attacker's account, which never sees
    # the victim's workspace.
    login = attacker.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    attacker.token = login.json()["data"]["access_token"]
    assert attacker.get("/api/v1/auth/me").json()["data"]["user"]["id"] == squatter["user"]["id"]
    peek = attacker.get(f"/api/v1/workspaces/{me['workspace']['id']}")
    assert peek.status_code == 404

    again = oidc_login(platform, victim)
    assert again.status_code == 200, again.text
    relogged = Api(platform.gateway_url, again.json()["data"]["access_token"])
    assert relogged.get("/api/v1/auth/me").json()["data"]["user"]["id"] == me["user"]["id"]
