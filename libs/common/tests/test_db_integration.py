"""The connection pool against a real PostgreSQL: idle connections pinged (and a dead one
replaced before anyone gets it), busy ones trusted, and read-only units of work that
run without a transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from skyclust_common.contracts import load_registry
from skyclust_common.db import UnitOfWork, create_engine, service_metadata
from skyclust_common.dbadmin import provision_service

pytestmark = pytest.mark.integration

metadata = service_metadata("pooltest")


@pytest.fixture(scope="module")
async def url(postgres: Any) -> str:
    return await provision_service(postgres.url, "pooltest", "pooltest-pw")


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url, pool_size=1, ping_idle_seconds=0.2)
    yield engine
    await engine.dispose()


def count_pings(engine: AsyncEngine) -> list[int]:
    pings: list[int] = []
    dialect = engine.sync_engine.dialect
    real = dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return bool(real(dbapi_connection))

    dialect.do_ping = counted  # type: ignore[method-assign]
    return pings


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_connection_killed_while_idle_is_replaced_before_anyone_uses_it(
    engine: AsyncEngine, postgres: Any
) -> None:
    pings = count_pings(engine)
    first = await backend_pid(engine)
    admin = await asyncpg.connect(postgres.url.replace("postgresql+asyncpg", "postgresql"))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
    finally:
        await admin.close()
    await asyncio.sleep(0.3)
    second = await backend_pid(engine)  # no error: the dead one was found and dropped
    assert second != first
    assert len(pings) == 1


async def test_a_connection_used_moments_ago_is_not_pinged(engine: AsyncEngine) -> None:
    pings = count_pings(engine)
    pids = {await backend_pid(engine) for _ in range(20)}
    assert len(pids) == 1  # the same pooled connection every time
    assert pings == []
    await asyncio.sleep(0.3)
    await backend_pid(engine)
    assert len(pings) == 1


async def test_a_read_only_unit_of_work_runs_without_a_transaction(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    registry = load_registry()
    now = text("SELECT now()")  # the start of the current transaction

    async def two_nows(uow: UnitOfWork) -> tuple[Any, Any]:
        first = (await uow.session.execute(now)).scalar_one()
        await asyncio.sleep(0.02)
        return first, (await uow.session.execute(now)).scalar_one()

    async with UnitOfWork(sessions, metadata, registry).read_only() as uow:
        alone = await two_nows(uow)
        with pytest.raises(RuntimeError, match="cannot commit"):
            await uow.commit()
    async with UnitOfWork(sessions, metadata, registry) as uow:
        inside = await two_nows(uow)
    assert alone[0] < alone[1]  # each statement was a transaction of its own
    assert inside[0] == inside[1]
    # The connection went back to the pool in its normal mode.
    async with engine.connect() as conn:
        level = (await conn.execute(text("SHOW transaction_isolation"))).scalar_one()
        assert level == "read committed"
        assert (await conn.get_isolation_level()) == "READ COMMITTED"
