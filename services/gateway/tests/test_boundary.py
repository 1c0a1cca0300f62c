"""The gateway as a boundary, in process: rate limits, body limits, security headers."""

from __future__ import annotations

import httpx
import pytest

from skyclust_gateway.app import create_app
from skyclust_gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit


def client(**settings: object) -> httpx.AsyncClient:
    app = create_app(GatewaySettings.model_validate({"nats_url": "nats://127.0.0.1:1", **settings}))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")


async def test_clients_are_rate_limited_with_retry_after() -> None:
    async with client(rate_limit_per_client_per_minute=5) as gw:
        codes = [(await gw.get("/openapi.json")).status_code for _ in range(7)]
        limited = await gw.get("/openapi.json")
    assert codes[:5] == [200] * 5
    assert codes[5:] == [429, 429]
    assert limited.json()["error"]["code"] == "RATE_LIMITED"
    assert 0 < int(limited.headers["retry-after"]) <= 60


async def test_oversized_bodies_are_refused_before_anything_reads_them() -> None:
    async with client(max_body_bytes=100) as gw:
        response = await gw.post("/api/v1/auth/login", content=b"x" * 101)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_security_headers_and_request_ids() -> None:
    async with client() as gw:
        api = await gw.get("/api/v1/nowhere", headers={"X-Request-ID": "abc-123"})
        docs = await gw.get("/docs")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "NOT_FOUND"
    assert api.headers["x-request-id"] == "abc-123"
    assert api.headers["x-content-type-options"] == "nosniff"
    assert api.headers["x-frame-options"] == "DENY"
    assert api.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in api.headers["content-security-policy"]
    assert "content-security-policy" not in docs.headers  # the docs page loads its UI


async def test_unauthenticated_calls_never_reach_a_service() -> None:
    # No bus is attached: a route that tried to call a service would fail with 500.
    async with client() as gw:
        response = await gw.get("/api/v1/aws/kubernetes/clusters")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_cors_is_off_unless_configured() -> None:
    preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
    async with client() as gw:
        closed = await gw.options("/api/v1/auth/me", headers=preflight)
    async with client(cors_origins=["https://app.example"]) as gw:
        opened = await gw.options("/api/v1/auth/me", headers=preflight)
    assert "access-control-allow-origin" not in closed.headers
    assert opened.headers["access-control-allow-origin"] == "https://app.example"
