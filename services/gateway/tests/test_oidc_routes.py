"""The OIDC login routes through the real gateway app, in process, with identity faked:
the login's state is bound to the browser that started it by a cookie, and a callback
from any other browser is refused before identity sees (and spends) the state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from skyclust_common.contracts import load_registry
from skyclust_gateway.app import create_app
from skyclust_gateway.routers.deps import Services, services
from skyclust_gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit

REGISTRY = load_registry()
LOGIN = "/api/v1/auth/oidc/local/login"
CALLBACK = "/api/v1/auth/oidc/local/callback"
TOKENS = {"access_token": "a", "refresh_token": "r", "token_type": "Bearer", "expires_in": 900}


class FakeIdentity(Services):
    """Identity's OIDC queries: each login gets the next state."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.states = 0

    async def call(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        assert service == "identity"
        REGISTRY.validate(name, data, part="request")
        self.calls.append((name, data))
        if name == "StartOidcLogin":
            self.states += 1
            state = f"state-{self.states}"
            url = f"https://idp.example/authorize?state={state}"
            return {"authorization_url": url, "state": state}
        assert name == "CompleteOidcLogin"
        return TOKENS

    def completed(self) -> list[dict[str, Any]]:
        return [data for name, data in self.calls if name == "CompleteOidcLogin"]


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(GatewaySettings(nats_url="nats://127.0.0.1:1"))


@pytest.fixture
def identity(app: FastAPI) -> FakeIdentity:
    fake = FakeIdentity()
    app.dependency_overrides[services] = lambda: fake
    return fake


def browser(app: FastAPI, scheme: str = "http") -> httpx.AsyncClient:
    """A client with its own cookie jar, as a browser has."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=f"{scheme}://gw.example"
    )


@pytest.fixture
async def alice(app: FastAPI, identity: FakeIdentity) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app) as client:
        yield client


async def start(client: httpx.AsyncClient) -> str:
    response = await client.get(LOGIN)
    assert response.status_code == 302, response.text
    return str(httpx.URL(response.headers["location"]).params["state"])


async def test_login_sets_the_state_cookie_and_its_callback_logs_in(
    alice: httpx.AsyncClient, identity: FakeIdentity
) -> None:
    response = await alice.get(LOGIN)

    assert response.status_code == 302
    assert response.headers["location"] == "https://idp.example/authorize?state=state-1"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("skyclust_oidc_state=state-1;")
    attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/api/v1/auth/oidc", "max-age=600"} <= attributes
    assert "secure" not in attributes  # plain http: a browser would drop a Secure cookie

    done = await alice.get(CALLBACK, params={"code": "c1", "state": "state-1"})

    assert done.status_code == 200, done.text
    assert done.json()["data"] == TOKENS
    assert done.headers["cache-control"] == "no-store"
    assert 'skyclust_oidc_state=""' in done.headers["set-cookie"]  # cleared
    assert "max-age=0" in done.headers["set-cookie"].lower()
    assert identity.completed() == [{"provider": "local", "state": "state-1", "code": "c1"}]


async def test_a_callback_in_another_browser_is_refused_and_the_state_is_not_spent(
    app: FastAPI, alice: httpx.AsyncClient, identity: FakeIdentity
) -> None:
    """The attacker starts a login, then sends its callback link to a victim."""
    state = await start(alice)
    async with browser(app) as victim:
        refused = await victim.get(CALLBACK, params={"code": "c1", "state": state})

    assert refused.status_code == 400
    error = refused.json()["error"]
    assert (error["code"], error["details"]) == ("OIDC_STATE_INVALID", {"reason": "other_browser"})
    assert identity.completed() == []


async def test_only_the_latest_login_of_a_browser_completes(
    alice: httpx.AsyncClient, identity: FakeIdentity
) -> None:
    first = await start(alice)
    second = await start(alice)

    stale = await alice.get(CALLBACK, params={"code": "c1", "state": first})
    assert stale.status_code == 400
    assert stale.json()["error"]["details"] == {"reason": "other_browser"}
    forged = await alice.get(CALLBACK, params={"code": "c1", "state": f"{second}x"})
    assert forged.status_code == 400
    done = await alice.get(CALLBACK, params={"code": "c2", "state": second})
    assert done.status_code == 200, done.text
    assert [d["state"] for d in identity.completed()] == [second]


async def test_over_https_the_cookie_is_secure(app: FastAPI, identity: FakeIdentity) -> None:
    async with browser(app, "https") as client:
        response = await client.get(LOGIN)
        assert "secure" in {a.strip().lower() for a in response.headers["set-cookie"].split(";")}
        state = str(httpx.URL(response.headers["location"]).params["state"])
        done = await client.get(CALLBACK, params={"code": "c1", "state": state})
    assert done.status_code == 200, done.text
