"""The delivery rules FastStream runs as middleware, against a real nats-server. The risk
they answer: FastStream's own ack policy on an exception terminates the message, so a
failing message would vanish with no dead letter and no redelivery."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import ServiceUnavailable
from skyclust_common.messaging import EVENTS_STREAM, Bus, BusConfig, Delivery, connect_nats

pytestmark = pytest.mark.integration


@pytest.fixture
async def bus(nats_server) -> AsyncIterator[Bus]:
    nc = await connect_nats(nats_server.url, name="rules", attempts=3)
    bus = Bus(
        nc,
        load_registry(),
        BusConfig(
            service="rules",
            max_deliver=2,
            retry_backoff_seconds=(0.4,),
            ack_wait_seconds=1.5,
        ),
    )
    await bus.ensure_streams()
    yield bus
    await bus.close()


def an_event(workspace: str, source: str = "identity") -> CloudEvent:
    # WorkspaceCreated is identity's: from any other source it is dead-lettered.
    return new_event(
        "WorkspaceCreated",
        {"workspace_id": workspace, "name": "w", "owner_id": str(uuid.uuid4())},
        source=source,
        workspace_id=workspace,
    )


async def dead_letters(bus: Bus, consumer: str) -> list[dict[str, Any]]:
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
    return found


async def until(check: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_handler_that_keeps_crashing_leaves_a_dead_letter_not_a_vanished_message(bus):
    workspace = str(uuid.uuid4())
    durable = f"crash-{workspace[:8]}"
    attempts: list[int] = []

    async def handler(event: CloudEvent, delivery: Delivery) -> None:
        attempts.append(delivery.num_delivered)
        raise ValueError("a bug, not a SkyclustError")

    await bus.consume(durable, [f"skyclust.evt.{workspace}.WorkspaceCreated"], handler)
    event = an_event(workspace)
    await bus.publish(event)

    async def dead_lettered() -> bool:
        return bool(await dead_letters(bus, durable))

    await until(dead_lettered)
    (entry,) = await dead_letters(bus, durable)
    assert attempts == [1, 2]
    assert entry["data"]["error_code"] == "ValueError"
    assert entry["data"]["original"]["id"] == event.id
    info = await bus.js.consumer_info(EVENTS_STREAM, durable)
    assert (info.num_pending, info.num_ack_pending) == (0, 0)


async def test_a_retryable_failure_is_redelivered_after_its_delay_and_then_acked(bus):
    workspace = str(uuid.uuid4())
    durable = f"retry-{workspace[:8]}"
    seen: list[float] = []
    done = asyncio.Event()

    async def handler(event: CloudEvent, delivery: Delivery) -> None:
        seen.append(time.monotonic())
        if delivery.num_delivered == 1:
            raise ServiceUnavailable("the other side is down for a moment")
        done.set()

    await bus.consume(durable, [f"skyclust.evt.{workspace}.WorkspaceCreated"], handler)
    await bus.publish(an_event(workspace))
    await asyncio.wait_for(done.wait(), 10)

    assert len(seen) == 2
    assert seen[1] - seen[0] >= 0.35  # the backoff table's 0.4 s, not an immediate nak
    await asyncio.sleep(2 * bus.config.ack_wait_seconds)
    assert len(seen) == 2, "acked after the second attempt: never delivered again"
    assert await dead_letters(bus, durable) == []


@pytest.mark.parametrize(
    "outage",
    [
        ServiceUnavailable("the service it asks is restarting"),
        ConnectionRefusedError(111, "its database is not listening"),
    ],
    ids=["service", "database"],
)
async def test_an_outage_longer_than_max_deliver_is_waited_for_not_dead_lettered(
    bus: Bus, outage: Exception
) -> None:
    """What stalled a saga in the replicated e2e: a command dead-lettered because the
    network service's database had no connection slot for five quick attempts."""
    workspace = str(uuid.uuid4())
    durable = f"outage-{workspace[:8]}"
    attempts: list[int] = []
    done = asyncio.Event()
    failing = 2 * bus.config.max_deliver

    async def handler(event: CloudEvent, delivery: Delivery) -> None:
        attempts.append(delivery.num_delivered)
        if len(attempts) <= failing:
            raise outage
        done.set()

    await bus.consume(durable, [f"skyclust.evt.{workspace}.WorkspaceCreated"], handler)
    await bus.publish(an_event(workspace))
    await asyncio.wait_for(done.wait(), 15)

    assert attempts == list(range(1, failing + 2))
    assert await dead_letters(bus, durable) == []
    info = await bus.js.consumer_info(EVENTS_STREAM, durable)
    assert (info.num_pending, info.num_ack_pending) == (0, 0)


async def test_a_handler_running_past_the_ack_wait_is_not_redelivered(bus):
    workspace = str(uuid.uuid4())
    calls = 0
    done = asyncio.Event()

    async def slow(event: CloudEvent, delivery: Delivery) -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(2.5 * bus.config.ack_wait_seconds)
        done.set()

    await bus.consume(f"slow-{workspace[:8]}", [f"skyclust.evt.{workspace}.WorkspaceCreated"], slow)
    await bus.publish(an_event(workspace))
    await asyncio.wait_for(done.wait(), 15)
    await asyncio.sleep(bus.config.ack_wait_seconds)
    assert calls == 1, "in-progress acks kept the message this handler's"


async def test_requests_queued_when_the_bus_stops_answering_are_all_answered(nats_server):
    registry = load_registry()
    server = Bus(
        await connect_nats(nats_server.url, name="stopping", attempts=3),
        registry,
        BusConfig(service=f"stop{uuid.uuid4().hex[:6]}", rpc_concurrency=2),
    )
    caller = Bus(
        await connect_nats(nats_server.url, name="caller", attempts=3),
        registry,
        BusConfig(service="caller"),
    )

    async def slow(data: dict[str, Any], ctx: Any) -> dict[str, Any]:
        await asyncio.sleep(0.2)
        return {"keys": []}

    await server.serve("GetJwks", slow)
    await server.nc.flush()
    await asyncio.sleep(0.1)
    try:
        asks = [
            asyncio.create_task(caller.request(server.service, "GetJwks", {}, timeout=5))
            for _ in range(8)
        ]
        await asyncio.sleep(0.1)  # two are answering, six wait their turn in this process
        await server.stop_answering()
        answers = await asyncio.gather(*asks, return_exceptions=True)
    finally:
        await server.close()
        await caller.close()
    assert answers == [{"keys": []}] * 8


async def test_an_event_from_a_service_that_does_not_own_it_is_dead_lettered(bus):
    workspace = str(uuid.uuid4())
    durable = f"forged-{workspace[:8]}"
    handled: list[str] = []

    async def handler(event: CloudEvent, delivery: Delivery) -> None:
        handled.append(event.id)

    await bus.consume(durable, [f"skyclust.evt.{workspace}.>"], handler)
    forged = an_event(workspace, source="provisioning")
    await bus.publish(forged)
    # The owner's own event, on the subject of another: the subject is what NATS checks.
    disguised = an_event(workspace)
    await bus.publish_raw(f"skyclust.evt.{workspace}.ClusterReady", disguised.to_json())
    genuine = an_event(workspace)
    await bus.publish(genuine)

    async def both_dead_lettered() -> bool:
        return len(await dead_letters(bus, durable)) == 2

    await until(both_dead_lettered)
    await until(lambda: _true(handled))
    letters = {e["data"]["original"]["id"]: e["data"] for e in await dead_letters(bus, durable)}
    assert set(letters) == {forged.id, disguised.id}
    assert {letter["error_code"] for letter in letters.values()} == {"UNTRUSTED_SOURCE"}
    assert letters[forged.id]["reason"] == (
        "WorkspaceCreated is published only by skyclust/identity, not by 'skyclust/provisioning'"
    )
    assert "a subject for another message" in letters[disguised.id]["reason"]
    assert handled == [genuine.id]
    info = await bus.js.consumer_info(EVENTS_STREAM, durable)
    assert (info.num_pending, info.num_ack_pending) == (0, 0)


async def _true(items: list[str]) -> bool:
    return bool(items)
