from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from skyclust_common.db import create_engine
from skyclust_common.dbadmin import provision_service
from skyclust_common.migrations import upgrade_head

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


@pytest.fixture(scope="module")
async def sessions(postgres: Any) -> AsyncIterator[async_sessionmaker[Any]]:
    """Sessions on provisioning's schema, migrated to head, as its own role."""
    url = await provision_service(postgres.url, "provisioning", "saga-test")
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    engine = create_engine(url, pool_size=10)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()
