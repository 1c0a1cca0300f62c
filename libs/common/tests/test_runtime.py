"""The service skeleton: a ServiceSpec is all a service declares, and run_service does
the rest. Against a real nats-server: the spec's handlers answer over the bus, the health
app answers over HTTP, jobs start after wiring, survive a failing tick, and stop on
shutdown while the bus is still up."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from skyclust_common.contracts import load_registry
from skyclust_common.messaging import Bus, BusConfig, RpcContext, connect_nats
from skyclust_common.runtime import PeriodicJob, Runtime, ServiceSpec, serve
from skyclust_common.settings import ServiceSettings
from skyclust_tools.embedded import free_port

pytestmark = pytest.mark.integration


async def until(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


class Probe:
    """A tiny service: it answers GetJwks and ticks a job whose second tick fails."""

    def __init__(self) -> None:
        self.runtime: Runtime | None = None
        self.wired = False
        self.ticks = 0
        self.tick_before_wiring = False
        self.bus_up_when_job_stopped: bool | None = None

    async def wire(self, runtime: Runtime, settings: ServiceSettings) -> Probe:
        self.runtime = runtime

        async def jwks(data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
            return {"keys": [{"kty": "OKP", "kid": "probe"}]}

        await runtime.bus.serve("GetJwks", jwks)
        await asyncio.sleep(0.1)  # a job that started now would tick before wiring ends
        self.wired = True
        return self

    async def tick(self) -> None:
        self.tick_before_wiring |= not self.wired
        self.ticks += 1
        if self.ticks == 2:
            raise RuntimeError("a tick that fails")

    async def stopped(self) -> None:
        assert self.runtime is not None
        self.bus_up_when_job_stopped = self.runtime.bus.nc.is_connected

    def jobs(self, deps: Probe, settings: ServiceSettings) -> list[PeriodicJob]:
        return [PeriodicJob("probe", 0.05, deps.tick, on_stop=deps.stopped)]


async def test_a_service_spec_runs_a_service_and_its_jobs_until_it_is_stopped(nats_server):
    gc.unfreeze()  # what an earlier runtime in this process froze
    probe = Probe()
    spec = ServiceSpec(
        name="identity",  # whose query it answers
        settings=ServiceSettings,
        wire=probe.wire,
        jobs=probe.jobs,
    )
    port = free_port()
    settings = ServiceSettings(nats_url=nats_server.url, health_port=port)
    stop = asyncio.Event()
    service = asyncio.create_task(serve(spec, settings, stop=stop))
    client = Bus(
        await connect_nats(nats_server.url, name="runtime-test"),
        load_registry(),
        BusConfig(service="gateway"),
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:

            async def ready() -> httpx.Response | None:
                try:
                    return await http.get("/readyz")
                except httpx.TransportError:
                    return None

            deadline = time.monotonic() + 15
            while (answer := await ready()) is None or answer.status_code != 200:
                assert time.monotonic() < deadline, answer
                await asyncio.sleep(0.05)
            assert answer.json()["checks"]["nats"] is True
        # What start-up built is out of the collector's way (the p99 under load).
        assert gc.get_freeze_count() > 1000
        before = REGISTRY.get_sample_value(
            "skyclust_rpc_client_seconds_count",
            {"service": "gateway", "callee": "identity", "query": "GetJwks", "outcome": "answered"},
        )
        reply = await client.request("identity", "GetJwks", {})
        assert reply == {"keys": [{"kty": "OKP", "kid": "probe"}]}
        timed = {"service": "gateway", "callee": "identity", "query": "GetJwks"}
        assert (
            REGISTRY.get_sample_value(
                "skyclust_rpc_client_seconds_count", {**timed, "outcome": "answered"}
            )
            == (before or 0) + 1
        )

        await until(lambda: probe.ticks >= 4)
        assert not probe.tick_before_wiring
        assert probe.runtime is not None
        (job,) = probe.runtime.jobs
        assert job.failures == 1 and job.running
    finally:
        stop.set()
        await asyncio.wait_for(service, timeout=15)
        await client.close()
    assert not job.running
    assert probe.bus_up_when_job_stopped is True
    assert not probe.runtime.bus.nc.is_connected
    ticks = probe.ticks
    await asyncio.sleep(0.2)
    assert probe.ticks == ticks


def counting(counter: list[float], fail_on: int = 0) -> Callable[[], Awaitable[None]]:
    async def tick() -> None:
        counter.append(time.monotonic())
        if len(counter) == fail_on:
            raise ValueError("boom")

    return tick


async def test_a_failing_tick_is_logged_and_the_job_runs_on(caplog):
    ticks: list[float] = []
    job = PeriodicJob("flaky", 0.02, counting(ticks, fail_on=1))
    job.start()
    try:
        await until(lambda: len(ticks) >= 3)
    finally:
        await job.stop()
    assert job.failures == 1
    assert any(
        r.getMessage().startswith("periodic job failed") and getattr(r, "job", None) == "flaky"
        for r in caplog.records
    )


async def test_a_job_waits_first_after_and_stops_mid_sleep():
    ticks: list[float] = []
    started = time.monotonic()
    job = PeriodicJob("late", 10.0, counting(ticks), first_after=0.3)
    job.start()
    await until(lambda: len(ticks) == 1)
    assert ticks[0] - started >= 0.29
    await job.stop()  # it is sleeping its 10 s: stopping does not wait for them
    assert not job.running
    assert time.monotonic() - started < 5


async def test_the_runtime_starts_a_job_added_after_the_others_started(nats_server):
    nc = await connect_nats(nats_server.url, name="runtime-jobs")
    runtime = Runtime(
        "jobs",
        ServiceSettings(nats_url=nats_server.url),
        load_registry(),
        Bus(nc, load_registry(), BusConfig(service="jobs")),
    )
    early: list[float] = []
    late: list[float] = []
    runtime.every("early", 0.02, counting(early))
    await asyncio.sleep(0.1)
    assert early == [], "jobs wait for start_jobs (after wiring)"
    runtime.start_jobs()
    runtime.every("late", 0.02, counting(late))
    await until(lambda: len(early) >= 2 and len(late) >= 2)
    await runtime.stop_jobs()
    assert not any(job.running for job in runtime.jobs)
    await nc.close()


def test_a_job_needs_a_positive_interval():
    with pytest.raises(ValueError, match="interval"):
        PeriodicJob("never", 0, counting([]))


async def test_metrics_are_served_on_the_health_port_and_never_on_the_public_api(nats_server):
    from fastapi import FastAPI

    public, health = free_port(), free_port()

    def api(settings: ServiceSettings) -> FastAPI:
        app = FastAPI()

        @app.get("/api/v1/ping")
        async def ping() -> dict[str, str]:
            return {"pong": "yes"}

        return app

    async def wire(runtime: Runtime, settings: ServiceSettings) -> None:
        return None

    spec: ServiceSpec[ServiceSettings, None] = ServiceSpec(
        name="gateway",
        settings=ServiceSettings,
        wire=wire,
        app=api,
        address=lambda settings: ("127.0.0.1", public),
    )
    settings = ServiceSettings(nats_url=nats_server.url, health_port=health)
    stop = asyncio.Event()
    service = asyncio.create_task(serve(spec, settings, stop=stop))
    try:
        async with httpx.AsyncClient() as http:
            deadline = time.monotonic() + 15
            while True:
                try:
                    if (await http.get(f"http://127.0.0.1:{health}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            assert (await http.get(f"http://127.0.0.1:{public}/api/v1/ping")).json() == {
                "pong": "yes"
            }
            assert (await http.get(f"http://127.0.0.1:{public}/readyz")).status_code == 200
            assert (await http.get(f"http://127.0.0.1:{public}/metrics")).status_code == 404
            scraped = await http.get(f"http://127.0.0.1:{health}/metrics")
            assert scraped.status_code == 200
            served = {f.name: f for f in text_string_to_metric_families(scraped.text)}
            for name in (
                "skyclust_messages",
                "skyclust_redeliveries",
                "skyclust_handler_seconds",
                "skyclust_rpc_seconds",
                "skyclust_rpc_client_seconds",
                "skyclust_outbox_lag_seconds",
                "skyclust_build_info",
            ):
                assert name in served, name
            # The process says which service and build it runs.
            builds = served["skyclust_build_info"].samples
            assert [b.value for b in builds if b.labels["service"] == "gateway"] == [1]
    finally:
        stop.set()
        await asyncio.wait_for(service, timeout=15)
