"""OIDC login as the tests drive it: identity's deps, a browser between SkyClust and the
local provider, and the checks every answer must pass."""

from __future__ import annotations

import base64
import json
import os
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from skyclust_common.contracts import load_registry
from skyclust_common.db import session_of
from skyclust_common.errors import SkyclustError
from skyclust_common.messages.rpc import CompleteOidcLogin, GetJwks, StartOidcLogin
from skyclust_common.messaging import RpcContext
from skyclust_identity.adapters.db import User, metadata
from skyclust_identity.adapters.oidc import OidcProviders, OidcSettings
from skyclust_identity.adapters.passwords import Passwords
from skyclust_identity.adapters.uow import IdentityUnitOfWork
from skyclust_identity.handlers import auth, oidc, signing
from skyclust_identity.settings import IdentitySettings
from skyclust_tools.oidc_provider import Account, OidcProvider

CLIENT_ID = "skyclust-test"
CLIENT_SECRET = "client-secret-that-must-never-leak"
REDIRECT = "https://app.skyclust.test/oidc/callback"
CTX = RpcContext({})


@dataclass
class Deps(auth.IdentityDeps):
    oidc: OidcProviders | None = None


def provider_settings(**providers: dict[str, str]) -> OidcSettings:
    return OidcSettings.model_validate({"oidc_providers": providers})


def make_deps(sessions: async_sessionmaker[Any], providers: OidcProviders) -> Deps:
    """Identity's deps as bootstrap builds them, with cheap password hashing."""
    # The handlers reach the database through `uow` only; the URLs just satisfy settings.
    settings = IdentitySettings(
        nats_url="nats://127.0.0.1:4222",
        database_url="postgresql://identity@127.0.0.1/unused",
        mfa_keys={"v1": base64.b64encode(os.urandom(32)).decode()},
    )
    return Deps(
        uow=lambda: IdentityUnitOfWork(sessions, metadata, load_registry()),
        passwords=Passwords(memory_kib=1024, time_cost=1),
        settings=settings,
        oidc=providers,
    )


def account(provider: OidcProvider, **fields: Any) -> Account:
    """A new person at the provider, with an email of their own."""
    tag = uuid.uuid4().hex[:10]
    values: dict[str, Any] = {"sub": f"sub-{tag}", "email": f"user-{tag}@example.com"}
    values.update(fields)
    person = Account(**values)
    provider.add_user(person)
    return person


async def browse(url: str) -> dict[str, str]:
    """What a browser does between SkyClust and the provider: follow the authorization
    URL and read the query of the redirect back."""
    async with httpx.AsyncClient() as browser:
        response = await browser.get(url)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def start(deps: Deps, person: Account, provider: str = "local") -> dict[str, str]:
    started = await oidc.start_login(
        deps, StartOidcLogin.request({"provider": provider, "redirect_uri": REDIRECT}), CTX
    )
    load_registry().validate("StartOidcLogin", started, part="reply")
    url = started["authorization_url"] + "&" + urlencode({"login_hint": person.sub})
    back = await browse(url)
    assert back["state"] == started["state"]
    return {"provider": provider, "state": back["state"], "code": back["code"]}


async def complete(deps: Deps, callback: dict[str, str]) -> dict[str, Any]:
    reply = await oidc.complete_login(deps, CompleteOidcLogin.request(callback), CTX)
    load_registry().validate("CompleteOidcLogin", reply, part="reply")
    return reply


async def log_in(deps: Deps, person: Account, provider: str = "local") -> dict[str, Any]:
    return await complete(deps, await start(deps, person, provider))


async def verified_claims(deps: Deps, tokens: dict[str, Any]) -> dict[str, Any]:
    """The access token checked the way the gateway checks it: identity's JWKS, EdDSA."""
    keys = {key["kid"]: key for key in (await signing.jwks(deps, GetJwks.request({}), CTX))["keys"]}
    kid = jwt.get_unverified_header(tokens["access_token"])["kid"]
    claims: dict[str, Any] = jwt.decode(
        tokens["access_token"],
        jwt.PyJWK(keys[kid]).key,
        algorithms=["EdDSA"],
        audience=deps.settings.token_audience,
        issuer=deps.settings.token_issuer,
    )
    return claims


async def refused(call: Any) -> SkyclustError:
    with pytest.raises(SkyclustError) as info:
        await call
    error = info.value
    # Whatever went wrong, the answer names no secret and carries no token.
    assert CLIENT_SECRET not in json.dumps(error.to_dict())
    assert "eyJ" not in json.dumps(error.to_dict())
    return error


async def count_users(deps: Deps, email: str) -> int:
    async with deps.uow() as uow:
        return int(
            (
                await session_of(uow).execute(
                    select(func.count()).select_from(User).where(User.email == email)
                )
            ).scalar_one()
        )


async def mailed_token(deps: Deps, user_id: str, template: str) -> str:
    """The token in the newest account email identity queued for the user: what the
    notification service would mail."""
    from skyclust_common.db import outbox_table

    outbox = outbox_table(metadata)
    async with deps.uow() as uow:
        rows = await session_of(uow).execute(
            select(outbox.c.subject, outbox.c.payload)
            .where(outbox.c.payload["type"].astext == "io.skyclust.SendAccountEmail.v1")
            .where(outbox.c.payload["data"]["user_id"].astext == user_id)
            .order_by(outbox.c.created_at.desc())
        )
        for subject, payload in rows:
            assert subject == "skyclust.cmd.notification.SendAccountEmail"
            if payload["data"]["template"] == template:
                return parse_qs(urlsplit(payload["data"]["link"]).query)["token"][0]
    raise AssertionError(f"no {template} email queued for {user_id}")
