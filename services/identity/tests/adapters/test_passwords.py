"""Password hashing and login throttling against real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from skyclust_common.contracts import load_registry
from skyclust_common.db import create_engine
from skyclust_common.dbadmin import provision_service
from skyclust_common.errors import TooManyRequests, Unauthorized, ValidationFailed
from skyclust_common.messages.rpc import Login, RegisterUser
from skyclust_common.migrations import upgrade_head
from skyclust_identity.adapters.db import metadata
from skyclust_identity.adapters.passwords import Passwords
from skyclust_identity.adapters.repositories import Users
from skyclust_identity.adapters.uow import IdentityUnitOfWork
from skyclust_identity.handlers import auth
from skyclust_identity.settings import IdentitySettings

pytestmark = pytest.mark.integration
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def test_owasp_parameters_by_default() -> None:
    encoded = asyncio.run(Passwords().hash("correct-horse-9"))
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.fixture(scope="module")
async def deps(postgres):
    url = await provision_service(postgres.url, "identity", "pw-test")
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    engine = create_engine(url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    settings = IdentitySettings(
        nats_url="nats://127.0.0.1:1",
        database_url=url,
        login_max_failures_per_account=3,
        login_max_failures_per_client=5,
    )
    yield auth.IdentityDeps(
        uow=lambda: IdentityUnitOfWork(sessions, metadata, load_registry()),
        passwords=Passwords(),
        settings=settings,
    )
    await engine.dispose()


async def register(deps: auth.IdentityDeps, password: str = "correct-horse-9") -> str:
    email = f"u{uuid.uuid4().hex[:10]}@example.com"
    # Built unchecked: the handler's own password rules are under test, a password
    # longer than the contract allows among them.
    body = RegisterUser.Request.model_construct(
        email=email, password=password, name="U", workspace_name="w"
    )
    await auth.register(deps, body)
    return email


async def test_weak_passwords_are_refused_with_the_rule(deps) -> None:
    for weak in ("short1", "onlyletterslong", "x" * 1025):
        with pytest.raises(ValidationFailed) as info:
            await register(deps, weak)
        assert info.value.code == "WEAK_PASSWORD"
        assert weak not in info.value.message


async def test_login_rehashes_when_parameters_change(deps) -> None:
    old = auth.IdentityDeps(deps.uow, Passwords(time_cost=1, memory_kib=8192), deps.settings)
    email = await register(old)
    async with deps.uow() as uow:
        user = await Users(uow.session).by_email(email)
        assert user is not None and user.password_hash is not None
        before = user.password_hash
    assert ",t=1," in before
    await auth.login(deps, Login.request({"email": email, "password": "correct-horse-9"}))
    async with deps.uow() as uow:
        user = await Users(uow.session).by_email(email)
        assert user is not None and user.password_hash is not None
        after = user.password_hash
    assert after.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_throttled_per_account_and_per_client(deps) -> None:
    email = await register(deps)
    attempt = {"email": email, "password": "wrong-one-1", "client_address": "10.0.0.1"}
    for _ in range(3):
        with pytest.raises(Unauthorized):
            await auth.login(deps, Login.request(attempt))
    with pytest.raises(TooManyRequests) as info:
        await auth.login(deps, Login.request({**attempt, "password": "correct-horse-9"}))
    assert info.value.details["retry_after"] > 0

    # One client address trying many accounts is stopped too.
    client = {"password": "wrong-one-1", "client_address": "10.0.0.2"}
    for n in range(5):
        with pytest.raises(Unauthorized):
            await auth.login(deps, Login.request({**client, "email": f"nobody{n}@example.com"}))
    with pytest.raises(TooManyRequests):
        await auth.login(deps, Login.request({**client, "email": "someone-else@example.com"}))
    other = await register(deps)
    body = {"email": other, "password": "correct-horse-9", "client_address": "10.0.0.3"}
    tokens = await auth.login(deps, Login.request(body))
    assert tokens["token_type"] == "Bearer"
