"""The event stream against a real nats-server, served by a real uvicorn: one
subscription per process fanned out to many streams, resume without gap or duplicate,
slow clients closed and resumed, and streams that cannot be set up refused before the
200."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from prometheus_client import REGISTRY

from skyclust_tools.embedded import NatsServer

from .stream_harness import (
    Gateway,
    auth,
    open_stream,
    running_gateway,
    wait_for,
)

pytestmark = pytest.mark.integration


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_events_reach_only_their_workspace_with_the_stream_sequence_as_id(
    gateway: Gateway,
) -> None:
    mine, other = str(uuid.uuid4()), str(uuid.uuid4())
    client = await open_stream(gateway.port, "", auth(mine))
    assert client.status == 200
    assert client.headers["content-type"].startswith("text/event-stream")
    await gateway.publish(other, "ClusterReady", {"cluster_id": "c-other"})
    seq = await gateway.publish(mine, "ClusterReady", {"cluster_id": "c-1"})
    event = await client.next_event()
    assert event is not None
    assert event["id"] == seq
    assert event["event"] == "ClusterReady"
    assert event["data"]["data"]["cluster_id"] == "c-1"
    await client.close()


async def test_types_and_resource_filters(gateway: Gateway) -> None:
    workspace = str(uuid.uuid4())
    by_type = await open_stream(gateway.port, "types=ClusterFailed", auth(workspace))
    by_resource = await open_stream(gateway.port, "resource=c-2", auth(workspace))
    await gateway.publish(workspace, "ClusterReady", {"cluster_id": "c-1"})
    await gateway.publish(workspace, "ClusterReady", {"cluster_id": "c-2"})
    await gateway.publish(workspace, "NetworkReady", {"network_id": "n-1", "cluster_id": "c-2"})
    failed = await gateway.publish(workspace, "ClusterFailed", {"cluster_id": "c-1"})
    typed = await by_type.collect(1)
    followed = await by_resource.collect(2)
    assert [e["id"] for e in typed] == [failed]
    assert [e["event"] for e in followed] == ["ClusterReady", "NetworkReady"]
    assert all(e["data"]["data"]["cluster_id"] == "c-2" for e in followed)
    bad = await open_stream(gateway.port, "resource=not%20an%20id", auth(workspace))
    assert bad.status == 400
    assert bad.body is not None and bad.body["error"]["code"] == "INVALID_FILTER"
    await by_type.close()
    await by_resource.close()


async def test_resume_replays_the_gap_then_joins_live_without_duplicates(
    gateway: Gateway,
) -> None:
    workspace = str(uuid.uuid4())
    first = await gateway.publish(workspace, "ClusterReady", {"cluster_id": "c-0"})
    missed = [
        await gateway.publish(workspace, "ClusterReady", {"cluster_id": f"c-{i}"})
        for i in range(1, 6)
    ]
    client = await open_stream(gateway.port, "", {**auth(workspace), "Last-Event-ID": str(first)})
    assert client.status == 200
    later = [
        await gateway.publish(workspace, "ClusterReady", {"cluster_id": f"c-{i}"})
        for i in range(6, 9)
    ]
    got = await client.collect(len(missed) + len(later))
    assert [e["id"] for e in got] == missed + later
    # The query parameter works the same for clients that cannot set the header.
    again = await open_stream(gateway.port, f"last_event_id={missed[-1]}", auth(workspace))
    assert [e["id"] for e in await again.collect(3)] == later
    await client.close()
    await again.close()


async def test_bad_cursors_are_refused(gateway: Gateway) -> None:
    workspace = str(uuid.uuid4())
    head = await gateway.publish(workspace, "ClusterReady", {"cluster_id": "c-1"})
    for cursor in ("abc", "-1", str(head + 1_000_000)):
        client = await open_stream(gateway.port, "", {**auth(workspace), "Last-Event-ID": cursor})
        assert client.status == 400, cursor
        assert client.body is not None and client.body["error"]["code"] == "BAD_CURSOR"


async def test_a_stream_that_cannot_subscribe_fails_before_the_200(
    nats_server: NatsServer,
) -> None:
    async with running_gateway(nats_server.url) as gw:
        workspace = str(uuid.uuid4())
        await gw.bus.nc.close()  # the gateway lost NATS: no live feed, no replay
        client = await open_stream(gw.port, "", auth(workspace))
        resuming = await open_stream(gw.port, "", {**auth(workspace), "Last-Event-ID": "1"})
        await gw.hub.stop()
        stopped = await open_stream(gw.port, "", auth(workspace))
    for refused in (client, resuming, stopped):
        assert refused.status == 503
        assert refused.body is not None
        assert refused.body["error"]["code"] == "STREAM_UNAVAILABLE"


async def test_too_many_resuming_streams_get_retry_after(nats_server: NatsServer) -> None:
    async with running_gateway(nats_server.url, sse_max_replays=1) as gw:
        workspace = str(uuid.uuid4())
        await gw.publish(workspace, "ClusterReady", {"cluster_id": "c-1"})
        gw.hub.replays = 1  # one replay in progress
        busy = await open_stream(gw.port, "", {**auth(workspace), "Last-Event-ID": "1"})
        gw.hub.replays = 0
    assert busy.status == 503
    assert busy.body is not None and busy.body["error"]["code"] == "STREAM_BUSY"
    assert int(busy.headers["retry-after"]) >= 1


async def test_a_slow_client_is_closed_and_loses_nothing_on_resume(gateway: Gateway) -> None:
    workspace = str(uuid.uuid4())
    overflows = metric("skyclust_sse_closed_total", reason="overflow")
    # A client that does not read: its socket fills, the server's writes back up,
    # the 16-event buffer overflows and the stream is closed after its last event.
    slow = await open_stream(gateway.port, "", auth(workspace), slow=True)
    stuck = await open_stream(gateway.port, "", auth(workspace), slow=True)
    # Large events, so the kernel's socket buffers fill well before the last one.
    padding = "x" * 60000
    sent = [
        await gateway.publish(workspace, "ClusterReady", {"cluster_id": f"c-{i}", "p": padding})
        for i in range(300)
    ]
    got: list[int] = []
    while True:
        event = await slow.next_event(timeout=10)
        if event is None:
            break
        got.append(event["id"])
    assert slow.closed
    assert metric("skyclust_sse_closed_total", reason="overflow") > overflows
    assert 0 < len(got) < len(sent)
    assert got == sent[: len(got)]  # in order, no gap, up to where it was closed
    resumed = await open_stream(
        gateway.port, "", {**auth(workspace), "Last-Event-ID": str(got[-1])}
    )
    rest: list[int] = []
    while len(got) + len(rest) < len(sent):
        event = await resumed.next_event(timeout=10)
        if event is None:  # a replay longer than one buffer: resume again
            resumed = await open_stream(
                gateway.port, "", {**auth(workspace), "Last-Event-ID": str((got + rest)[-1])}
            )
            continue
        rest.append(event["id"])
    assert got + rest == sent
    await resumed.close()
    # The one that never reads again is dropped by the server, not kept for ever.
    await wait_for(lambda: gateway.hub.connections == 0, timeout=10)
    assert stuck.reader is not None
    with contextlib.suppress(ConnectionError):
        while await asyncio.wait_for(stuck.reader.read(1 << 20), 5):
            pass
    await stuck.close()


async def test_hundreds_of_streams_miss_no_event(gateway: Gateway) -> None:
    workspace = str(uuid.uuid4())
    clients = [await open_stream(gateway.port, "", auth(workspace)) for _ in range(300)]
    assert all(c.status == 200 for c in clients)
    await wait_for(lambda: gateway.hub.connections >= 300)
    sent = []
    for i in range(10):
        sent.append(await gateway.publish(workspace, "ClusterReady", {"cluster_id": f"c-{i}"}))
        await asyncio.sleep(0.01)
    received = await asyncio.gather(*(c.collect(len(sent)) for c in clients))
    assert all([e["id"] for e in got] == sent for got in received)
    for c in clients:
        await c.close()
    await wait_for(lambda: gateway.hub.connections == 0)


async def test_open_streams_are_a_gauge_and_closed_ones_are_counted_by_reason(
    gateway: Gateway,
) -> None:
    workspace = str(uuid.uuid4())
    before = metric("skyclust_sse_connections")
    left = metric("skyclust_sse_closed_total", reason="client")
    first = await open_stream(gateway.port, "", auth(workspace))
    second = await open_stream(gateway.port, "", auth(workspace))
    await wait_for(lambda: metric("skyclust_sse_connections") == before + 2)
    await first.close()
    await wait_for(lambda: metric("skyclust_sse_connections") == before + 1)
    assert metric("skyclust_sse_closed_total", reason="client") == left + 1
    await second.close()
    await wait_for(lambda: metric("skyclust_sse_connections") == before)
