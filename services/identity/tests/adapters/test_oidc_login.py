"""OIDC login against the project's local provider (a real HTTP server with a real RSA
key) and real PostgreSQL with identity's migrations: the whole code flow, account
linking, and the same flow through the gateway."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from skyclust_common.contracts import load_registry
from skyclust_common.db import outbox_table
from skyclust_common.messages.rpc import (
    ListOidcProviders,
    RefreshTokens,
    RegisterUser,
    StartOidcLogin,
)
from skyclust_common.messaging import Bus, BusConfig, connect_nats
from skyclust_identity.adapters.db import Membership, OidcState, User, UserIdentity, metadata
from skyclust_identity.adapters.oidc import OidcProviders, pkce_challenge
from skyclust_identity.handlers import auth, oidc
from skyclust_identity.handlers import sessions as session_handlers
from skyclust_tools.oidc_provider import Account, Client

from .oidc_harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    CTX,
    REDIRECT,
    account,
    count_users,
    log_in,
    make_deps,
    provider_settings,
    refused,
    verified_claims,
)

pytestmark = pytest.mark.integration


async def test_the_configured_providers_are_listed(deps, provider, other_provider):
    reply = await oidc.list_providers(deps, ListOidcProviders.request({}), CTX)
    load_registry().validate("ListOidcProviders", reply, part="reply")
    listed = {p["name"]: p["issuer"] for p in reply["providers"]}
    assert listed["local"] == provider.issuer
    assert listed["other"] == other_provider.issuer
    assert len(listed) == 5


async def test_start_asks_for_code_flow_with_pkce_state_and_nonce(deps, provider):
    before = provider.discovery_requests
    started = await oidc.start_login(
        deps, StartOidcLogin.request({"provider": "local", "redirect_uri": REDIRECT}), CTX
    )
    again = await oidc.start_login(
        deps, StartOidcLogin.request({"provider": "local", "redirect_uri": REDIRECT}), CTX
    )
    url = urlsplit(started["authorization_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{provider.issuer}/authorize"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == REDIRECT
    assert query["scope"].split() == ["openid", "email", "profile"]
    assert query["state"] == started["state"] != again["state"]
    assert query["code_challenge_method"] == "S256"
    assert CLIENT_SECRET not in started["authorization_url"]
    async with deps.uow() as uow:
        row = await uow.session.get(OidcState, started["state"])
        assert row is not None and row.provider == "local" and row.used_at is None
        assert row.nonce == query["nonce"] and row.redirect_uri == REDIRECT
        # The verifier stays here; only its S256 challenge went to the provider.
        assert pkce_challenge(row.code_verifier) == query["code_challenge"]
        assert row.code_verifier not in started["authorization_url"]
    # The discovery document is fetched once and then cached.
    assert provider.discovery_requests - before <= 1


async def test_a_first_login_creates_the_user_and_ends_with_skyclust_tokens(deps, provider):
    person = account(provider, name="Ada Lovelace")
    tokens = await log_in(deps, person)
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"]
    claims = await verified_claims(deps, tokens)
    assert claims["role"] == "admin" and claims["typ"] == "access"
    async with deps.uow() as uow:
        user = await uow.session.get(User, uuid.UUID(claims["sub"]))
        assert user is not None
        assert (user.email, user.name, user.password_hash) == (person.email, "Ada Lovelace", None)
        link = await uow.session.get(UserIdentity, ("local", person.sub))
        assert link is not None and link.user_id == user.id
        members = (
            await uow.session.execute(select(Membership).where(Membership.user_id == user.id))
        ).scalars()
        assert [(str(m.workspace_id), m.role) for m in members] == [(claims["wid"], "admin")]
        outbox = outbox_table(metadata)
        events = [
            row[0]["type"]
            for row in await uow.session.execute(
                select(outbox.c.payload).where(
                    outbox.c.payload["subject"].astext.in_([str(user.id), claims["wid"]])
                )
            )
        ]
    assert sorted(events) == ["io.skyclust.UserRegistered.v1", "io.skyclust.WorkspaceCreated.v1"]
    # The refresh token works like a password login's.
    refreshed = await session_handlers.refresh(
        deps, RefreshTokens.request({"refresh_token": tokens["refresh_token"]}), CTX
    )
    assert (await verified_claims(deps, refreshed))["sub"] == claims["sub"]


async def test_the_same_subject_logs_in_as_the_same_user(deps, provider):
    person = account(provider)
    first = await verified_claims(deps, await log_in(deps, person))
    # Even with a new email at the provider, the subject is what identifies them.
    moved = Account(person.sub, f"moved-{uuid.uuid4().hex[:8]}@example.com", name=person.name)
    provider.add_user(moved)
    second = await verified_claims(deps, await log_in(deps, moved))
    assert (second["sub"], second["wid"]) == (first["sub"], first["wid"])
    assert second["sid"] != first["sid"]
    assert moved.email is not None
    assert await count_users(deps, moved.email) == 0
    async with deps.uow() as uow:
        link = await uow.session.get(UserIdentity, ("local", person.sub))
        assert link is not None and link.email == moved.email


async def test_an_unverified_email_neither_links_nor_creates(deps, provider):
    email = f"eve-{uuid.uuid4().hex[:8]}@example.com"
    await auth.register(
        deps,
        RegisterUser.request(
            {"email": email, "password": "a-long-password-1", "name": "V", "workspace_name": "V"}
        ),
        CTX,
    )
    claiming = account(provider, email=email, email_verified=False)
    error = await refused(log_in(deps, claiming))
    assert (error.code, error.status, error.details["reason"]) == (
        "OIDC_EMAIL_UNVERIFIED",
        403,
        "unverified",
    )
    stranger = account(provider, email_verified=False)
    error = await refused(log_in(deps, stranger))
    assert error.code == "OIDC_EMAIL_UNVERIFIED"
    assert await count_users(deps, str(stranger.email)) == 0
    anonymous = account(provider, email=None)
    error = await refused(log_in(deps, anonymous))
    assert (error.code, error.details["reason"]) == ("OIDC_EMAIL_UNVERIFIED", "missing")
    async with deps.uow() as uow:
        assert await uow.session.get(UserIdentity, ("local", claiming.sub)) is None


async def test_an_email_missing_from_the_id_token_is_taken_from_userinfo(deps, provider):
    person = account(provider)
    provider.tamper_next_id_token(drop_email=True)
    claims = await verified_claims(deps, await log_in(deps, person))
    async with deps.uow() as uow:
        user = await uow.session.get(User, uuid.UUID(claims["sub"]))
        assert user is not None and user.email == person.email


async def test_several_providers_keep_their_subjects_apart(deps, provider, other_provider):
    # The same `sub` at two issuers is two different people.
    sub = f"shared-{uuid.uuid4().hex[:8]}"
    here = account(provider, sub=sub)
    there = account(other_provider, sub=sub)
    mine = await verified_claims(deps, await log_in(deps, here))
    theirs = await verified_claims(deps, await log_in(deps, there, provider="other"))
    assert mine["sub"] != theirs["sub"]


# through the gateway -----------------------------------------------------------------


async def test_gateway_redirects_to_the_provider_and_its_callback_answers_with_tokens(
    nats_server, sessions, provider
):
    from skyclust_gateway.app import attach, create_app
    from skyclust_gateway.settings import GatewaySettings
    from skyclust_identity.entrypoints import rpc

    provider.add_client(Client("gateway-client", "gateway-secret"))
    providers = OidcProviders(
        provider_settings(
            local={
                "issuer": provider.issuer,
                "client_id": "gateway-client",
                "client_secret": "gateway-secret",
            }
        )
    )
    deps = make_deps(sessions, providers)
    registry = load_registry()
    identity_bus = Bus(
        await connect_nats(nats_server.url, name="identity", attempts=3),
        registry,
        BusConfig(service="identity"),
    )
    gateway_bus = Bus(
        await connect_nats(nats_server.url, name="gateway", attempts=3),
        registry,
        BusConfig(service="gateway"),
    )
    person = account(provider, name="Gateway User")
    try:
        await rpc.register(identity_bus, deps)
        await identity_bus.nc.flush()
        settings = GatewaySettings(nats_url=nats_server.url)
        app = create_app(settings)
        attach(app, gateway_bus, settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw.test") as api:
            listed = (await api.get("/api/v1/auth/oidc/providers")).json()
            assert listed["data"]["providers"] == [{"name": "local", "issuer": provider.issuer}]

            started = await api.get("/api/v1/auth/oidc/local/login")
            assert started.status_code == 302
            assert started.headers["cache-control"] == "no-store"
            to_provider = started.headers["location"] + f"&login_hint={person.sub}"
            assert to_provider.startswith(f"{provider.issuer}/authorize?")
            query = parse_qs(urlsplit(to_provider).query)
            assert query["redirect_uri"] == ["http://gw.test/api/v1/auth/oidc/local/callback"]

            async with httpx.AsyncClient() as browser:
                back = (await browser.get(to_provider)).headers["location"]
            assert back.startswith("http://gw.test/api/v1/auth/oidc/local/callback?")
            done = await api.get(back)
            assert done.status_code == 200, done.text
            body = done.json()
            assert body["success"] is True
            token = body["data"]["access_token"]

            me = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200, me.text
            assert me.json()["data"]["user"]["email"] == person.email

            replayed = await api.get(back)
            assert replayed.status_code == 400
            assert replayed.json()["error"]["code"] == "OIDC_STATE_INVALID"

            denied = await api.get("/api/v1/auth/oidc/local/callback?error=access_denied&state=x")
            assert (denied.status_code, denied.json()["error"]["code"]) == (
                401,
                "OIDC_LOGIN_REFUSED",
            )
            unknown = await api.get("/api/v1/auth/oidc/nope/login")
            assert (unknown.status_code, unknown.json()["error"]["code"]) == (
                404,
                "OIDC_PROVIDER_UNKNOWN",
            )
    finally:
        await identity_bus.close()
        await gateway_bus.close()
        await providers.aclose()
