"""Prometheus metrics, OpenTelemetry trace propagation, and the /healthz /readyz
/metrics endpoints every service serves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import Counter, Gauge, Histogram, make_asgi_app

MESSAGES = Counter(
    "skyclust_messages_total",
    "Messages handled by JetStream consumers",
    ["service", "consumer", "outcome"],
)
RPC = Counter(
    "skyclust_rpc_requests_total", "Request/reply calls served", ["service", "query", "outcome"]
)
HANDLER_SECONDS = Histogram(
    "skyclust_handler_seconds", "Time spent in message handlers", ["service", "consumer"]
)
OUTBOX_PUBLISHED = Counter(
    "skyclust_outbox_published_total", "Outbox rows published to JetStream", ["service"]
)
OUTBOX_PENDING = Gauge(
    "skyclust_outbox_pending", "Outbox rows seen unpublished in the last pass", ["service"]
)

_propagator = TraceContextTextMapPropagator()
_configured = False


def setup_tracing(service: str) -> None:
    global _configured
    if not _configured:
        trace.set_tracer_provider(
            TracerProvider(resource=Resource.create({"service.name": f"skyclust-{service}"}))
        )
        _configured = True


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def inject_trace(headers: MutableMapping[str, str]) -> None:
    _propagator.inject(headers)


def extract_trace(headers: dict[str, str] | None) -> Any:
    return _propagator.extract(headers or {})


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]


def mount_health(app: FastAPI, readiness: ReadinessCheck) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        checks = await readiness()
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    app.mount("/metrics", make_asgi_app())


def health_app(readiness: ReadinessCheck) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    mount_health(app, readiness)
    return app
