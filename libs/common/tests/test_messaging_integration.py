"""Acks, redelivery, dedup, dead-lettering and transactions against a real nats-server
and PostgreSQL: these cannot be shown in memory."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Column, Integer, String, Table, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from skyclust_common.contracts import load_registry
from skyclust_common.db import UnitOfWork, create_engine, service_metadata
from skyclust_common.dbadmin import provision_service
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import NotFound, PermanentFailure, ServiceUnavailable, SkyclustError
from skyclust_common.messaging import EVENTS_STREAM, Bus, BusConfig, Delivery, connect_nats
from skyclust_common.outbox import OutboxRelay

pytestmark = pytest.mark.integration

metadata = service_metadata("libtest")
effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False),
)


@pytest.fixture(scope="module")
async def engine(postgres):
    url = await provision_service(postgres.url, "libtest", "libtest-pw")
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
async def bus(nats_server) -> AsyncIterator[Bus]:
    nc = await connect_nats(nats_server.url, name="libtest", attempts=3)
    bus = Bus(
        nc,
        load_registry(),
        BusConfig(
            service="libtest",
            max_deliver=3,
            retry_backoff_seconds=(0.3, 0.6),
            duplicate_window_seconds=60,
            ack_wait_seconds=5,
        ),
    )
    await bus.ensure_streams()
    yield bus
    await bus.close()


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def workspace_event(workspace: str, name: str = "demo") -> CloudEvent:
    return new_event(
        "WorkspaceCreated",
        {"workspace_id": workspace, "name": name, "owner_id": str(uuid.uuid4())},
        source="identity",  # its owner: from another source it is dead-lettered
        subject=workspace,
        workspace_id=workspace,
    )


async def stream_messages(bus: Bus, subject: str) -> list[dict[str, Any]]:
    """Every message the events stream holds on `subject`, read with an ephemeral consumer."""
    info = await bus.js.stream_info(EVENTS_STREAM)
    out: list[dict[str, Any]] = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            msg = await bus.js.get_msg(EVENTS_STREAM, seq)
        except Exception:
            continue
        if msg.subject == subject and msg.data is not None:
            out.append(json.loads(msg.data))
    return out


async def test_event_committed_but_not_published_is_published_once_after_restart(engine, bus):
    workspace = str(uuid.uuid4())
    subject = f"skyclust.evt.{workspace}.WorkspaceCreated"
    uow = UnitOfWork(async_sessionmaker(engine), metadata, bus.registry)
    async with uow:
        uow.emit(workspace_event(workspace))
        await uow.commit()
    # The process "died" after commit: nothing was published yet.
    assert await stream_messages(bus, subject) == []

    # The process died after publishing but before marking the row published:
    # the restarted relay publishes the same row again.
    relay = OutboxRelay(engine, metadata, bus)
    outbox = metadata.tables["libtest.outbox"]
    async with engine.connect() as conn:
        row = (await conn.execute(select(outbox).where(outbox.c.subject == subject))).one()
    await bus.publish_raw(
        row.subject, json.dumps(row.payload).encode(), {"Nats-Msg-Id": str(row.id)}
    )
    await asyncio.sleep(0.2)
    assert await relay.publish_pending() >= 1
    # The pass saw the row unpublished since its commit: that age is the relay's lag.
    assert metric("skyclust_outbox_lag_seconds", service=bus.service) >= 0.2
    assert await relay.publish_pending() == 0
    assert metric("skyclust_outbox_lag_seconds", service=bus.service) == 0

    held = await stream_messages(bus, subject)
    assert len(held) == 1
    assert held[0]["id"] == str(row.id)
    assert held[0]["data"]["workspace_id"] == workspace


async def test_rolled_back_transaction_leaves_no_event(engine, bus):
    workspace = str(uuid.uuid4())
    uow = UnitOfWork(async_sessionmaker(engine), metadata, bus.registry)
    with pytest.raises(RuntimeError):
        async with uow:
            uow.emit(workspace_event(workspace))
            raise RuntimeError("handler failed before commit")
    outbox = metadata.tables["libtest.outbox"]
    async with engine.connect() as conn:
        count = await conn.scalar(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.subject == f"skyclust.evt.{workspace}.WorkspaceCreated")
        )
    assert count == 0


async def test_same_message_delivered_twice_has_one_effect(engine, bus):
    workspace = str(uuid.uuid4())
    sessions = async_sessionmaker(engine)
    handled = asyncio.Event()
    calls = 0

    async def handler(event: CloudEvent, delivery: Delivery) -> None:
        nonlocal calls
        calls += 1
        uow = UnitOfWork(sessions, metadata, bus.registry)
        async with uow:
            if not await uow.seen(delivery.consumer, event.id):
                await uow.session.execute(effects.insert().values(event_id=event.id))
            await uow.commit()
        if calls == 2:
            handled.set()

    await bus.consume(
        f"dedup-{workspace[:8]}", [f"skyclust.evt.{workspace}.WorkspaceCreated"], handler
    )
    event = workspace_event(workspace)
    # Two publishes of the same event under different stream message ids: a redelivery
    # as far as the consumer can tell.
    for msg_id in ("first", "second"):
        await bus.publish_raw(
            f"skyclust.evt.{workspace}.WorkspaceCreated",
            event.to_json(),
            {"Nats-Msg-Id": f"{event.id}-{msg_id}"},
        )
    await asyncio.wait_for(handled.wait(), 10)
    async with engine.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(effects).where(effects.c.event_id == event.id)
        )
    assert calls == 2
    assert count == 1


async def dlq_entries(bus: Bus, consumer: str, timeout: float = 10) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = await bus.js.stream_info("SKYCLUST_DLQ")
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            try:
                msg = await bus.js.get_msg("SKYCLUST_DLQ", seq)
            except Exception:
                continue
            assert msg.data is not None
            body = json.loads(msg.data)
            if body["data"]["consumer"] == consumer:
                found.append(body)
        if found:
            return found
        await asyncio.sleep(0.1)
    return []


async def test_malformed_message_is_dead_lettered_and_consumer_keeps_consuming(bus):
    workspace = str(uuid.uuid4())
    subject = f"skyclust.evt.{workspace}.WorkspaceCreated"
    good_seen = asyncio.Event()

    async def handler(event: CloudEvent, delivery: Delivery) -> None:
        good_seen.set()

    durable = f"malformed-{workspace[:8]}"
    await bus.consume(durable, [subject], handler)
    await bus.publish_raw(subject, b"{not json", {"Nats-Msg-Id": f"bad-{workspace}"})
    wrong = workspace_event(workspace).model_dump(mode="json")
    wrong["data"]["owner_id"] = 42  # violates the contract
    await bus.publish_raw(subject, json.dumps(wrong).encode(), {"Nats-Msg-Id": f"w-{workspace}"})
    await bus.publish_raw(subject, workspace_event(workspace).to_json())

    await asyncio.wait_for(good_seen.wait(), 10)
    entries = await dlq_entries(bus, durable)
    deadline = time.monotonic() + 5
    while len(entries) < 2 and time.monotonic() < deadline:
        entries = await dlq_entries(bus, durable)
    reasons = sorted(entry["data"]["reason"] for entry in entries)
    assert len(entries) == 2
    assert all(entry["type"] == "io.skyclust.MessageDeadLettered.v1" for entry in entries)
    assert all(entry["data"]["error_code"] == "INVALID_MESSAGE" for entry in entries)
    assert any("owner_id" in reason for reason in reasons)
    assert any("not a CloudEvent" in reason for reason in reasons)


async def test_failing_handler_is_retried_with_backoff_then_dead_lettered(bus):
    workspace = str(uuid.uuid4())
    subject = f"skyclust.evt.{workspace}.WorkspaceCreated"
    attempts: list[tuple[int, float]] = []

    async def handler(event: CloudEvent, delivery: Delivery) -> None:
        attempts.append((delivery.num_delivered, time.monotonic()))
        raise NotFound("the thing this handler needs is missing")

    durable = f"failing-{workspace[:8]}"
    await bus.consume(durable, [subject], handler)
    await bus.publish(workspace_event(workspace))
    entries = await dlq_entries(bus, durable, timeout=15)
    labels = {"service": bus.service, "consumer": durable}
    assert metric("skyclust_redeliveries_total", **labels) == 2
    assert metric("skyclust_messages_total", **labels, outcome="retried") == 2
    assert metric("skyclust_messages_total", **labels, outcome="dead_lettered") == 1

    assert [n for n, _ in attempts] == [1, 2, 3]
    gaps = [b - a for (_, a), (_, b) in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.25 and gaps[1] >= 0.5  # the configured backoff, not an immediate nak
    assert len(entries) == 1
    assert entries[0]["data"]["num_delivered"] == 3
    assert entries[0]["data"]["error_code"] == "NOT_FOUND"
    assert "missing" in entries[0]["data"]["reason"]
    await asyncio.sleep(1.0)
    assert len(attempts) == 3  # terminated: never delivered again


async def test_a_handler_runs_with_its_events_correlation_id_for_the_logs(bus):
    from skyclust_common.delivery import current_correlation

    workspace = str(uuid.uuid4())
    subject = f"skyclust.evt.{workspace}.WorkspaceCreated"
    seen: asyncio.Queue[str | None] = asyncio.Queue()

    async def handler(event: CloudEvent, delivery: Delivery) -> None:
        await seen.put(current_correlation.get())

    await bus.consume(f"correlated-{workspace[:8]}", [subject], handler)
    event = workspace_event(workspace)
    await bus.publish(event.model_copy(update={"correlationid": f"corr-{workspace}"}))
    assert await asyncio.wait_for(seen.get(), 10) == f"corr-{workspace}"
    assert current_correlation.get() is None


async def test_permanent_failure_is_dead_lettered_without_retry(bus):
    workspace = str(uuid.uuid4())
    subject = f"skyclust.evt.{workspace}.WorkspaceCreated"
    attempts = 0

    async def handler(event: CloudEvent, delivery: Delivery) -> None:
        nonlocal attempts
        attempts += 1
        raise PermanentFailure("cannot ever work", code="BAD_THING")

    durable = f"permanent-{workspace[:8]}"
    await bus.consume(durable, [subject], handler)
    await bus.publish(workspace_event(workspace))
    entries = await dlq_entries(bus, durable)
    assert attempts == 1
    assert entries[0]["data"]["error_code"] == "BAD_THING"


async def test_request_reply_carries_results_and_errors(bus):
    async def jwks(data: dict[str, Any], ctx: Any) -> dict[str, Any]:
        return {"keys": [{"kty": "OKP", "kid": "k1", "caller": ctx.caller}]}

    async def me(data: dict[str, Any], ctx: Any) -> dict[str, Any]:
        raise NotFound("no such user", code="USER_NOT_FOUND")

    await bus.serve("GetJwks", jwks)
    await bus.serve("GetMe", me)
    served = metric("skyclust_rpc_seconds_count", service=bus.service, query="GetJwks")
    result = await bus.request("libtest", "GetJwks", {})
    assert metric("skyclust_rpc_seconds_count", service=bus.service, query="GetJwks") == served + 1
    assert result["keys"][0]["kid"] == "k1"
    # GetJwks's subject does not carry the caller, and no header is taken for one.
    assert result["keys"][0]["caller"] is None
    with pytest.raises(SkyclustError) as info:
        await bus.request(
            "libtest", "GetMe", {"user_id": str(uuid.uuid4()), "workspace_id": str(uuid.uuid4())}
        )
    assert info.value.code == "USER_NOT_FOUND"
    assert info.value.status == 404
    with pytest.raises(ServiceUnavailable):
        await bus.request("nobody", "GetJwks", {}, timeout=1)


async def test_events_of_one_transaction_are_published_in_emission_order(engine, bus):
    workspace = str(uuid.uuid4())
    names = [f"step-{n}" for n in range(8)]
    uow = UnitOfWork(async_sessionmaker(engine), metadata, bus.registry)
    async with uow:
        for name in names:
            uow.emit(workspace_event(workspace, name))
        await uow.commit()
    relay = OutboxRelay(engine, metadata, bus)
    while await relay.publish_pending():
        pass
    held = await stream_messages(bus, f"skyclust.evt.{workspace}.WorkspaceCreated")
    assert [m["data"]["name"] for m in held] == names


async def test_a_burst_fills_every_handler_slot_and_never_more(bus):
    workspace = str(uuid.uuid4())
    subject = f"skyclust.evt.{workspace}.WorkspaceCreated"
    running, most, handled = 0, 0, []
    all_done = asyncio.Event()

    async def handler(event: CloudEvent, delivery: Delivery) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.2)
        running -= 1
        handled.append(event.data["name"])
        if len(handled) == 24:
            all_done.set()

    for n in range(24):
        await bus.publish(workspace_event(workspace, f"ws-{n}"))
    started = time.monotonic()
    await bus.consume(f"burst-{workspace[:8]}", [subject], handler, concurrency=6)
    await asyncio.wait_for(all_done.wait(), 10)

    assert sorted(handled) == sorted(f"ws-{n}" for n in range(24))
    assert most == 6
    # 24 messages, 6 at a time, 0.2 s each: four rounds, not 24 one after another.
    assert time.monotonic() - started < 2.4


async def test_a_relay_pass_publishes_a_whole_batch_in_emission_order(engine, bus):
    workspace = str(uuid.uuid4())
    names = [f"row-{n}" for n in range(60)]
    uow = UnitOfWork(async_sessionmaker(engine), metadata, bus.registry)
    for chunk in (names[:30], names[30:]):
        async with uow:
            for name in chunk:
                uow.emit(workspace_event(workspace, name))
            await uow.commit()
    relay = OutboxRelay(engine, metadata, bus, batch_size=100)

    assert await relay.publish_pending() >= 60  # other tests' rows may be pending too
    assert await relay.publish_pending() == 0
    held = await stream_messages(bus, f"skyclust.evt.{workspace}.WorkspaceCreated")
    assert [m["data"]["name"] for m in held] == names
