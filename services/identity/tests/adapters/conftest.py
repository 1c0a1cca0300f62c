"""Fixtures of the OIDC tests: two local providers and identity's migrated schema."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from skyclust_common.db import create_engine
from skyclust_common.dbadmin import provision_service
from skyclust_common.migrations import upgrade_head
from skyclust_identity.adapters.oidc import OidcProviders
from skyclust_tools.embedded import free_port
from skyclust_tools.oidc_provider import Client, OidcProvider, running_provider

from .oidc_harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    Deps,
    make_deps,
    provider_settings,
)

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


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
