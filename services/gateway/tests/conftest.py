"""Fixtures of the gateway's tests: an in-process app on a fake provisioning (the
cluster route tests) and a real gateway on a real nats-server (the stream tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from skyclust_gateway.app import create_app
from skyclust_gateway.auth import TokenVerifier
from skyclust_gateway.routers.deps import services
from skyclust_gateway.settings import GatewaySettings
from skyclust_tools.embedded import NatsServer

from .cluster_fakes import FakeProvisioning, Keys
from .stream_harness import Gateway, running_gateway


@pytest.fixture
def provisioning() -> FakeProvisioning:
    return FakeProvisioning()


@pytest.fixture(scope="module")
def clusters_app() -> FastAPI:
    # One app for the module: an app's first request costs FastAPI a quarter second.
    app = create_app(GatewaySettings(nats_url="nats://127.0.0.1:1"))
    app.state.verifier = TokenVerifier(Keys(), "skyclust", "skyclust-api")
    return app


@pytest.fixture
async def gw(
    clusters_app: FastAPI, provisioning: FakeProvisioning
) -> AsyncIterator[httpx.AsyncClient]:
    clusters_app.dependency_overrides[services] = lambda: provisioning
    transport = httpx.ASGITransport(app=clusters_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        yield client


@pytest.fixture
async def gateway(nats_server: NatsServer) -> AsyncIterator[Gateway]:
    async with running_gateway(
        nats_server.url, sse_buffer_events=16, sse_heartbeat_seconds=0.5
    ) as gw:
        yield gw
