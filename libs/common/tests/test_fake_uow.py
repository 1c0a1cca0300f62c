"""The fake unit of work keeps the real one's contract: nothing is visible before
commit, and leaving without a commit discards rows, events and inbox marks."""

from __future__ import annotations

import pytest

from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.fake_uow import FakeDatabase, FakeUnitOfWork

pytestmark = pytest.mark.unit


def _event(name: str = "ClusterReady") -> CloudEvent:
    return new_event(name, {"cluster_id": "c1"}, source="test", workspace_id="w1")


async def test_commit_publishes_rows_events_and_marks_together() -> None:
    db = FakeDatabase()
    async with FakeUnitOfWork(db) as uow:
        uow.table("clusters")["c1"] = {"status": "READY"}
        uow.emit(_event())
        assert await uow.seen("provisioning", "m1") is False
        assert db.tables == {} and db.outbox == []
        await uow.commit()
    assert db.tables == {"clusters": {"c1": {"status": "READY"}}}
    assert [e.name for e in db.events()] == ["ClusterReady"]
    assert ("provisioning", "m1") in db.inbox
    assert db.commits == 1


async def test_leaving_without_commit_discards_everything() -> None:
    db = FakeDatabase()
    async with FakeUnitOfWork(db) as uow:
        uow.table("clusters")["c1"] = {"status": "READY"}
        await uow.commit()
    with pytest.raises(RuntimeError, match="boom"):
        async with FakeUnitOfWork(db) as uow:
            uow.table("clusters")["c1"]["status"] = "FAILED"
            uow.emit(_event("ClusterFailed"))
            await uow.seen("provisioning", "m2")
            raise RuntimeError("boom")
    assert db.tables["clusters"]["c1"] == {"status": "READY"}
    assert db.events("ClusterFailed") == []
    assert ("provisioning", "m2") not in db.inbox


async def test_a_seen_message_is_reported_as_duplicate() -> None:
    db = FakeDatabase()
    async with FakeUnitOfWork(db) as uow:
        assert await uow.seen("c", "m") is False
        await uow.commit()
    async with FakeUnitOfWork(db) as uow:
        assert await uow.seen("c", "m") is True


async def test_used_outside_a_block_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="outside"):
        FakeUnitOfWork().table("clusters")
