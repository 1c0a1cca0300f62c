"""advisory_xact_lock against real PostgreSQL: two sessions, one key."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from skyclust_common.db import advisory_xact_lock, create_engine
from skyclust_common.dbadmin import provision_service

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def sessions(postgres):
    url = await provision_service(postgres.url, "locktest", "locktest-pw")
    engine = create_engine(url)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def test_a_second_session_waits_until_the_holder_commits(sessions):
    order: list[str] = []
    async with sessions() as first, first.begin():
        assert await advisory_xact_lock(first, "cluster:1") is True
        order.append("first holds")

        async def second() -> None:
            async with sessions() as other, other.begin():
                await advisory_xact_lock(other, "cluster:1")
                order.append("second holds")

        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.5)
        assert not waiting.done(), "the second session took a lock the first one holds"
        order.append("first commits")
    await asyncio.wait_for(waiting, timeout=5)
    assert order == ["first holds", "first commits", "second holds"]


async def test_trying_a_held_lock_answers_false_at_once_and_other_keys_are_free(sessions):
    async with sessions() as first, first.begin():
        await advisory_xact_lock(first, "cluster:2")
        async with sessions() as other, other.begin():
            assert await advisory_xact_lock(other, "cluster:2", wait=False) is False
            assert await advisory_xact_lock(other, "cluster:3", wait=False) is True
    async with sessions() as later, later.begin():
        assert await advisory_xact_lock(later, "cluster:2", wait=False) is True


async def test_a_rollback_lets_the_lock_go(sessions):
    first = sessions()
    transaction = await first.begin()
    await advisory_xact_lock(first, "cluster:4")
    await transaction.rollback()
    await first.close()
    async with sessions() as other, other.begin():
        assert await advisory_xact_lock(other, "cluster:4", wait=False) is True
