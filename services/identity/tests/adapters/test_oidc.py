"""OIDC login against the project's local provider (a real HTTP server with a real RSA
key) and real PostgreSQL with identity's migrations: the whole code flow, account
linking, and each way a callback or an ID token can be wrong."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from skyclust_common.contracts import load_registry
from skyclust_common.db import create_engine, outbox_table
from skyclust_common.dbadmin import provision_service
from skyclust_common.errors import SkyclustError
from skyclust_common.messages.rpc import RefreshTokens
from skyclust_common.messaging import Bus, BusConfig, RpcContext, connect_nats
from skyclust_common.migrations import upgrade_head
from skyclust_identity.adapters.db import Membership, OidcState, User, UserIdentity, metadata
from skyclust_identity.adapters.oidc import OidcProviders, OidcSettings, pkce_challenge
from skyclust_identity.adapters.passwords import Passwords
from skyclust_identity.adapters.uow import IdentityUnitOfWork
from skyclust_identity.handlers import auth, oidc, signing
from skyclust_identity.handlers import sessions as session_handlers
from skyclust_identity.settings import IdentitySettings
from skyclust_tools.embedded import free_port
from skyclust_tools.oidc_provider import Account, Client, OidcProvider, running_provider

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
CLIENT_ID = "skyclust-test"
CLIENT_SECRET = "client-secret-that-must-never-leak"
REDIRECT = "https://app.skyclust.test/oidc/callback"
CTX = RpcContext({})


@dataclass
class Deps(auth.IdentityDeps):
    oidc: OidcProviders | None = None


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with running_provider(clients=[Client(CLIENT_ID, CLIENT_SECRET)]) as running:
        yield running


@pytest.fixture(scope="module")
def other_provider() -> Iterator[OidcProvider]:
    with running_provider(clients=[Client("other-client", "other-secret")]) as running:
        yield running


@pytest.fixture(scope="module")
async def database_url(postgres) -> str:
    url = await provision_service(postgres.url, "identity", "identity-oidc-test")
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    return url


@pytest.fixture(scope="module")
async def sessions(database_url) -> AsyncIterator[async_sessionmaker[Any]]:
    engine = create_engine(database_url)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


def provider_settings(**providers: dict[str, str]) -> OidcSettings:
    return OidcSettings.model_validate({"oidc_providers": providers})


def make_deps(sessions: async_sessionmaker[Any], providers: OidcProviders) -> Deps:
    """Identity's deps as bootstrap builds them, with cheap password hashing."""
    # The handlers reach the database through `uow` only; the URLs just satisfy settings.
    settings = IdentitySettings(
        nats_url="nats://127.0.0.1:4222", database_url="postgresql://identity@127.0.0.1/unused"
    )
    return Deps(
        uow=lambda: IdentityUnitOfWork(sessions, metadata, load_registry()),
        passwords=Passwords(memory_kib=1024, time_cost=1),
        settings=settings,
        oidc=providers,
    )


@pytest.fixture(scope="module")
async def deps(sessions, provider, other_provider) -> AsyncIterator[Deps]:
    down = f"http://127.0.0.1:{free_port()}"
    providers = OidcProviders(
        provider_settings(
            local={
                "issuer": provider.issuer,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
            other={
                "issuer": other_provider.issuer,
                "client_id": "other-client",
                "client_secret": "other-secret",
            },
            # The same provider with a wrong secret: SkyClust is misconfigured.
            misconfigured={
                "issuer": provider.issuer,
                "client_id": CLIENT_ID,
                "client_secret": "not-the-secret",
            },
            down={"issuer": down, "client_id": "c", "client_secret": "s"},
            # Reached under another name: its discovery document names a different issuer.
            renamed={
                "issuer": provider.issuer.replace("127.0.0.1", "localhost"),
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        )
    )
    yield make_deps(sessions, providers)
    await providers.aclose()


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
    started = await oidc.start_login(deps, {"provider": provider, "redirect_uri": REDIRECT}, CTX)
    load_registry().validate("StartOidcLogin", started, part="reply")
    url = started["authorization_url"] + "&" + urlencode({"login_hint": person.sub})
    back = await browse(url)
    assert back["state"] == started["state"]
    return {"provider": provider, "state": back["state"], "code": back["code"]}


async def complete(deps: Deps, callback: dict[str, str]) -> dict[str, Any]:
    reply = await oidc.complete_login(deps, callback, CTX)
    load_registry().validate("CompleteOidcLogin", reply, part="reply")
    return reply


async def log_in(deps: Deps, person: Account, provider: str = "local") -> dict[str, Any]:
    return await complete(deps, await start(deps, person, provider))


async def verified_claims(deps: Deps, tokens: dict[str, Any]) -> dict[str, Any]:
    """The access token checked the way the gateway checks it: identity's JWKS, EdDSA."""
    keys = {key["kid"]: key for key in (await signing.jwks(deps, {}, CTX))["keys"]}
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
                await uow.session.execute(
                    select(func.count()).select_from(User).where(User.email == email)
                )
            ).scalar_one()
        )


# settings ----------------------------------------------------------------------------


def test_providers_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv(
        "SKYCLUST_OIDC_PROVIDERS",
        json.dumps(
            {
                "google": {
                    "issuer": "https://accounts.google.com",
                    "client_id": "g",
                    "client_secret": "g-secret",
                },
                "dex": {
                    "issuer": "http://localhost:5556/dex",
                    "client_id": "d",
                    "client_secret": "d-secret",
                    "scopes": ["openid", "email"],
                },
            }
        ),
    )
    settings = OidcSettings()
    assert sorted(settings.oidc_providers) == ["dex", "google"]
    assert settings.oidc_providers["dex"].scopes == ("openid", "email")
    assert settings.oidc_providers["google"].client_secret.get_secret_value() == "g-secret"
    assert "g-secret" not in repr(settings)
    # Without the variable OIDC login is simply off.
    monkeypatch.delenv("SKYCLUST_OIDC_PROVIDERS")
    assert OidcSettings().oidc_providers == {}


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"issuer": "http://idp.example.com", "client_id": "c", "client_secret": "x1"}, "issuer"),
        ({"issuer": "https://idp.example.com", "client_id": "c"}, "client_secret"),
        ({"issuer": "https://idp.example.com", "client_secret": "x1"}, "client_id"),
        (
            {
                "issuer": "https://idp.example.com",
                "client_id": "c",
                "client_secret": "x1",
                "scopes": ["email"],
            },
            "scopes",
        ),
        (
            {"issuer": "https://idp.example.com", "client_id": "c", "client_secret": "x1", "x": 1},
            "x",
        ),
    ],
)
def test_bad_provider_config_fails_naming_the_field_not_the_secret(monkeypatch, entry, field):
    monkeypatch.setenv("SKYCLUST_OIDC_PROVIDERS", json.dumps({"corp": entry}))
    with pytest.raises(ValidationError) as info:
        OidcSettings()
    assert f"oidc_providers.corp.{field}" in str(info.value)
    assert "x1" not in str(info.value)


def test_a_provider_name_must_fit_a_url_path(monkeypatch):
    monkeypatch.setenv(
        "SKYCLUST_OIDC_PROVIDERS",
        json.dumps(
            {"Bad Name": {"issuer": "https://i.example", "client_id": "c", "client_secret": "s"}}
        ),
    )
    with pytest.raises(ValidationError, match="oidc_providers"):
        OidcSettings()


# the flow ----------------------------------------------------------------------------


async def test_the_configured_providers_are_listed(deps, provider, other_provider):
    reply = await oidc.list_providers(deps, {}, CTX)
    load_registry().validate("ListOidcProviders", reply, part="reply")
    listed = {p["name"]: p["issuer"] for p in reply["providers"]}
    assert listed["local"] == provider.issuer
    assert listed["other"] == other_provider.issuer
    assert len(listed) == 5


async def test_start_asks_for_code_flow_with_pkce_state_and_nonce(deps, provider):
    before = provider.discovery_requests
    started = await oidc.start_login(deps, {"provider": "local", "redirect_uri": REDIRECT}, CTX)
    again = await oidc.start_login(deps, {"provider": "local", "redirect_uri": REDIRECT}, CTX)
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
    assert await count_users(deps, moved.email) == 0
    async with deps.uow() as uow:
        link = await uow.session.get(UserIdentity, ("local", person.sub))
        assert link is not None and link.email == moved.email


async def test_a_verified_email_links_to_the_existing_password_user(deps, provider):
    email = f"grace-{uuid.uuid4().hex[:8]}@example.com"
    registered = await auth.register(
        deps,
        {
            "email": email,
            "password": "a-long-password-1",
            "name": "Grace",
            "workspace_name": "Navy",
        },
        CTX,
    )
    person = account(provider, email=email.upper().replace("EXAMPLE.COM", "example.com"))
    claims = await verified_claims(deps, await log_in(deps, person))
    assert claims["sub"] == registered["user"]["id"]
    assert claims["wid"] == registered["workspace"]["id"]
    assert await count_users(deps, email) == 1
    # The password still works: linking adds a way in, it does not replace one.
    tokens = await auth.login(deps, {"email": email, "password": "a-long-password-1"}, CTX)
    assert (await verified_claims(deps, tokens))["sub"] == claims["sub"]


async def test_an_unverified_email_neither_links_nor_creates(deps, provider):
    email = f"eve-{uuid.uuid4().hex[:8]}@example.com"
    await auth.register(
        deps,
        {"email": email, "password": "a-long-password-1", "name": "V", "workspace_name": "V"},
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


# refusals ----------------------------------------------------------------------------


async def test_an_unknown_provider_is_refused(deps):
    error = await refused(
        oidc.start_login(deps, {"provider": "nope", "redirect_uri": REDIRECT}, CTX)
    )
    assert (error.code, error.status) == ("OIDC_PROVIDER_UNKNOWN", 404)
    error = await refused(
        oidc.complete_login(deps, {"provider": "nope", "state": "s", "code": "c"}, CTX)
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
        oidc.start_login(deps, {"provider": "renamed", "redirect_uri": REDIRECT}, CTX)
    )
    assert (error.code, error.status) == ("OIDC_PROVIDER_UNAVAILABLE", 503)


async def test_a_provider_that_is_down_is_reported_as_unavailable(deps):
    error = await refused(
        oidc.start_login(deps, {"provider": "down", "redirect_uri": REDIRECT}, CTX)
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
