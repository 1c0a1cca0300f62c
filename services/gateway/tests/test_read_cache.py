"""The read cache: hot reads answered from memory until anything in their workspace
changes, as told by the events the stream hub follows and by the gateway's own calls."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any, cast

import pytest
from starlette.requests import Request

from skyclust_common.errors import ServiceUnavailable
from skyclust_common.messaging import Bus
from skyclust_gateway.read_cache import ReadCache
from skyclust_gateway.routers import deps
from skyclust_gateway.routers.deps import Services
from skyclust_tools.embedded import NatsServer

from .test_event_stream import running_gateway, wait_for

READS = {"provisioning": frozenset({"ListClusters", "GetCluster"})}


class FakeBus:
    """Answers every request with a counter, so a test sees which ones reached a service."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.fail_next = False
        self.hold: asyncio.Event | None = None

    async def request(
        self, service: str, name: str, data: dict[str, Any], headers: Any = None
    ) -> dict[str, Any]:
        self.calls.append((service, name, data))
        answer = {"items": [], "n": len(self.calls)}
        if self.hold is not None:
            await self.hold.wait()
        if self.fail_next:
            self.fail_next = False
            raise ServiceUnavailable("provisioning is away")
        return answer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def services(**kwargs: Any) -> tuple[Services, FakeBus, ReadCache]:
    bus = FakeBus()
    cache = ReadCache(READS, **kwargs)
    return Services(cast(Bus, bus), cache), bus, cache


def ask(workspace: str, provider: str = "aws") -> dict[str, Any]:
    return {"workspace_id": workspace, "provider": provider}


W1, W2 = str(uuid.uuid4()), str(uuid.uuid4())


async def test_a_repeated_read_is_answered_from_memory() -> None:
    svc, bus, cache = services()
    first = await svc.call("provisioning", "ListClusters", ask(W1))
    second = await svc.call("provisioning", "ListClusters", ask(W1))
    assert first == second == {"items": [], "n": 1}
    assert len(bus.calls) == 1
    assert (cache.hits, cache.misses) == (1, 1)


async def test_the_key_is_the_whole_question_and_its_workspace() -> None:
    svc, bus, _ = services()
    await svc.call("provisioning", "ListClusters", ask(W1, "aws"))
    await svc.call("provisioning", "ListClusters", ask(W1, "gcp"))
    await svc.call("provisioning", "ListClusters", ask(W2, "aws"))
    assert len(bus.calls) == 3


async def test_an_event_of_the_workspace_drops_its_answers_and_no_other() -> None:
    svc, _bus, cache = services()
    await svc.call("provisioning", "ListClusters", ask(W1))
    await svc.call("provisioning", "ListClusters", ask(W2))
    cache.changed(W1)
    assert (await svc.call("provisioning", "ListClusters", ask(W1)))["n"] == 3
    assert (await svc.call("provisioning", "ListClusters", ask(W2)))["n"] == 2


async def test_a_change_relayed_by_the_gateway_is_seen_by_the_next_read() -> None:
    svc, _bus, _ = services()
    await svc.call("provisioning", "ListClusters", ask(W1))
    await svc.call("provisioning", "CreateCluster", {"workspace_id": W1, "name": "c"})
    after = await svc.call("provisioning", "ListClusters", ask(W1))
    assert after["n"] == 3


async def test_a_failed_change_still_drops_the_answers() -> None:
    svc, bus, _ = services()
    await svc.call("provisioning", "ListClusters", ask(W1))
    bus.fail_next = True
    with pytest.raises(ServiceUnavailable):
        await svc.call("provisioning", "DeleteCluster", {"workspace_id": W1})
    assert (await svc.call("provisioning", "ListClusters", ask(W1)))["n"] == 3


async def test_a_read_that_raced_a_change_is_served_but_not_kept() -> None:
    svc, bus, cache = services()
    bus.hold = asyncio.Event()
    reading = asyncio.create_task(svc.call("provisioning", "ListClusters", ask(W1)))
    await wait_for(lambda: len(bus.calls) == 1)
    cache.changed(W1)  # an event arrives while the read is on its way back
    bus.hold.set()
    assert (await reading)["n"] == 1
    bus.hold = None
    assert (await svc.call("provisioning", "ListClusters", ask(W1)))["n"] == 2


async def test_failures_are_not_kept() -> None:
    svc, bus, _ = services()
    bus.fail_next = True
    with pytest.raises(ServiceUnavailable):
        await svc.call("provisioning", "ListClusters", ask(W1))
    assert (await svc.call("provisioning", "ListClusters", ask(W1)))["n"] == 2


async def test_answers_expire() -> None:
    clock = Clock()
    svc, _bus, _ = services(ttl=1.0, clock=clock)
    await svc.call("provisioning", "ListClusters", ask(W1))
    clock.now += 0.9
    assert (await svc.call("provisioning", "ListClusters", ask(W1)))["n"] == 1
    clock.now += 0.2
    assert (await svc.call("provisioning", "ListClusters", ask(W1)))["n"] == 2


async def test_without_a_live_event_feed_every_read_goes_to_the_service() -> None:
    live = [True]
    svc, _bus, _ = services(live=lambda: live[0])
    await svc.call("provisioning", "ListClusters", ask(W1))
    live[0] = False
    assert (await svc.call("provisioning", "ListClusters", ask(W1)))["n"] == 2
    assert (await svc.call("provisioning", "ListClusters", ask(W1)))["n"] == 3
    live[0] = True
    # What was kept before the feed went away is gone too.
    assert (await svc.call("provisioning", "ListClusters", ask(W1)))["n"] == 4


async def test_a_reconnect_clears_everything() -> None:
    reconnects = [0]
    svc, _bus, _ = services(reconnects=lambda: reconnects[0])
    await svc.call("provisioning", "ListClusters", ask(W1))
    reconnects[0] = 1
    assert (await svc.call("provisioning", "ListClusters", ask(W1)))["n"] == 2
    assert (await svc.call("provisioning", "ListClusters", ask(W1)))["n"] == 2


async def test_reads_not_declared_and_a_zero_ttl_always_go_to_the_service() -> None:
    svc, bus, _ = services()
    await svc.call("provisioning", "GetKubeconfig", ask(W1))
    await svc.call("provisioning", "GetKubeconfig", ask(W1))
    assert len(bus.calls) == 2
    off, off_bus, _ = services(ttl=0)
    await off.call("provisioning", "ListClusters", ask(W1))
    await off.call("provisioning", "ListClusters", ask(W1))
    assert len(off_bus.calls) == 2


async def test_it_stays_bounded() -> None:
    svc, _bus, cache = services(max_entries=10)
    for n in range(25):
        await svc.call("provisioning", "GetCluster", {"workspace_id": W1, "cluster_id": str(n)})
    assert len(cache.entries) <= 10


@pytest.mark.integration
async def test_the_hubs_events_drop_the_answers_of_their_workspace(
    nats_server: NatsServer,
) -> None:
    async with running_gateway(nats_server.url) as gateway:
        cache = ReadCache(READS, live=lambda: gateway.hub.live)
        gateway.hub.on_event = cache.changed
        svc = Services(cast(Bus, FakeBus()), cache)
        await svc.call("provisioning", "ListClusters", ask(W1))
        await svc.call("provisioning", "ListClusters", ask(W2))
        assert cache.hits == 0
        await gateway.publish(W1, "ClusterReady", {"cluster_id": str(uuid.uuid4())})
        await wait_for(lambda: cache.generations.get(W1, 0) == 1)
        assert (await svc.call("provisioning", "ListClusters", ask(W1)))["n"] == 3
        assert (await svc.call("provisioning", "ListClusters", ask(W2)))["n"] == 2
        await gateway.hub.stop()
        assert not gateway.hub.live
        assert (await svc.call("provisioning", "ListClusters", ask(W2)))["n"] == 4


async def test_no_cache_in_the_request_sends_its_reads_to_the_service() -> None:
    svc, _bus, _ = services()
    await svc.call("provisioning", "ListClusters", ask(W1))

    async def request_with(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
        app = SimpleNamespace(state=SimpleNamespace(services=svc))
        scope = {"type": "http", "headers": headers, "app": app}
        given = await deps.services(Request(scope))
        return await given.call("provisioning", "ListClusters", ask(W1))

    # Each request runs in its own context, as it does under the server.
    fresh = await asyncio.create_task(request_with([(b"cache-control", b"No-Cache")]))
    cached = await asyncio.create_task(request_with([]))
    assert fresh["n"] == 2
    assert cached["n"] == 1


async def test_questions_asked_while_their_read_is_on_its_way_share_it() -> None:
    svc, bus, cache = services()
    bus.hold = asyncio.Event()
    readers = [
        asyncio.create_task(svc.call("provisioning", "ListClusters", ask(W1))) for _ in range(20)
    ]
    await wait_for(lambda: len(bus.calls) == 1)
    await asyncio.sleep(0.05)
    assert len(bus.calls) == 1
    bus.hold.set()
    answers = await asyncio.gather(*readers)
    assert all(answer["n"] == 1 for answer in answers)
    assert (cache.misses, cache.joined) == (1, 19)
    assert not cache.flights


async def test_a_question_asked_after_a_change_does_not_join_the_read_before_it() -> None:
    svc, bus, cache = services()
    bus.hold = asyncio.Event()
    before = asyncio.create_task(svc.call("provisioning", "ListClusters", ask(W1)))
    await wait_for(lambda: len(bus.calls) == 1)
    cache.changed(W1)
    after = asyncio.create_task(svc.call("provisioning", "ListClusters", ask(W1)))
    await wait_for(lambda: len(bus.calls) == 2)
    bus.hold.set()
    assert [(await before)["n"], (await after)["n"]] == [1, 2]


async def test_a_caller_that_goes_away_does_not_cancel_the_shared_read() -> None:
    svc, bus, _ = services()
    bus.hold = asyncio.Event()
    leader = asyncio.create_task(svc.call("provisioning", "ListClusters", ask(W1)))
    await wait_for(lambda: len(bus.calls) == 1)
    follower = asyncio.create_task(svc.call("provisioning", "ListClusters", ask(W1)))
    await asyncio.sleep(0.01)
    leader.cancel()
    bus.hold.set()
    assert (await follower)["n"] == 1
    assert (await svc.call("provisioning", "ListClusters", ask(W1)))["n"] == 1
