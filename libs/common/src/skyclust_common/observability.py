"""Prometheus metrics, OpenTelemetry trace propagation, and the /healthz /readyz
/metrics endpoints every service serves."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from functools import lru_cache
from importlib import metadata
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, Sampler, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

MESSAGES = Counter(
    "skyclust_messages_total",
    "Messages handled by JetStream consumers",
    ["service", "consumer", "outcome"],
)
RPC = Counter(
    "skyclust_rpc_requests_total", "Request/reply calls served", ["service", "query", "outcome"]
)
RPC_CLIENT_SECONDS = Histogram(
    "skyclust_rpc_client_seconds",
    "Request/reply calls made over NATS, from the request to its answer",
    ["service", "callee", "query", "outcome"],
)
RPC_SECONDS = Histogram(
    "skyclust_rpc_seconds",
    "Request/reply calls served, from the request's arrival to its answer",
    ["service", "query"],
)
HANDLER_SECONDS = Histogram(
    "skyclust_handler_seconds", "Time spent in message handlers", ["service", "consumer"]
)
REDELIVERIES = Counter(
    "skyclust_redeliveries_total",
    "Messages JetStream delivered again (a retry after a failure, or an ack wait that ran out)",
    ["service", "consumer"],
)
OUTBOX_PUBLISHED = Counter(
    "skyclust_outbox_published_total", "Outbox rows published to JetStream", ["service"]
)
OUTBOX_PENDING = Gauge(
    "skyclust_outbox_pending", "Outbox rows seen unpublished in the last pass", ["service"]
)
OUTBOX_LAG = Gauge(
    "skyclust_outbox_lag_seconds",
    "Age of the oldest outbox row seen unpublished in the last pass; 0 when none was",
    ["service"],
)
SAGA_STEP_SECONDS = Histogram(
    "skyclust_saga_step_duration_seconds",
    "One saga step, from its start to its end; outcome ok, error or overtaken",
    ["saga", "step", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 600, 1200, 1800, 3600),
)
BUILD_INFO = Gauge(
    "skyclust_build_info",
    "The build a process runs: always 1, its labels say which",
    ["service", "version"],
)

log = logging.getLogger(__name__)
_propagator = TraceContextTextMapPropagator()
_configured = False
# The provider `setup_tracing` built with an exporter; None while spans go nowhere.
_recording: TracerProvider | None = None
_OTLP_ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


def _otlp_exporter() -> Any:
    """The OTLP span exporter when an endpoint is configured and the exporter package is
    installed, else None."""
    if not any(os.environ.get(name) for name in _OTLP_ENDPOINTS):
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )
    except ImportError:
        log.warning(
            "an OTLP endpoint is set but opentelemetry-exporter-otlp-proto-http is not "
            "installed; traces are propagated, not recorded"
        )
        return None
    return OTLPSpanExporter()


def exporting_traces() -> bool:
    """Whether spans go anywhere. Without an exporter nothing records them: ids are
    still made and carried (HTTP `traceparent`, CloudEvents `traceparent`), but no span
    is built, timed or sampled only to be dropped."""
    return any(os.environ.get(name) for name in _OTLP_ENDPOINTS)


def build_version(package: str) -> str:
    """The installed version of a service's package (`skyclust_vault` or its
    distribution name `skyclust-vault`); "unknown" when it is not installed as one."""
    try:
        return metadata.version(package.replace("_", "-"))
    except metadata.PackageNotFoundError:
        return "unknown"


@contextmanager
def saga_step(
    saga: str, step: str, *, overtaken: tuple[type[BaseException], ...] = ()
) -> Iterator[None]:
    """Times one saga step: `ok` when it ends, `overtaken` when it raises one of
    `overtaken` (another run moved the saga first), else `error`."""
    outcome = "error"
    started = time.perf_counter()
    try:
        yield
        outcome = "ok"
    except overtaken:
        outcome = "overtaken"
        raise
    finally:
        SAGA_STEP_SECONDS.labels(saga, step, outcome).observe(time.perf_counter() - started)


def record_build_info(service: str, version: str) -> None:
    BUILD_INFO.labels(service, version).set(1)


def setup_tracing(service: str) -> None:
    global _configured, _recording
    if _configured:
        return
    exporter = _otlp_exporter()
    sampler: Sampler
    if exporter is None:
        # ALWAYS_OFF still gives every span a valid context (a fresh trace id at the
        # edge, the caller's trace id downstream), which is all propagation needs.
        sampler = ALWAYS_OFF
    else:
        ratio = float(os.environ.get("OTEL_TRACES_SAMPLER_ARG", "1.0"))
        sampler = ParentBased(TraceIdRatioBased(ratio))
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"skyclust-{service}"}), sampler=sampler
    )
    if exporter is not None:
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider.add_span_processor(BatchSpanProcessor(exporter))
        _recording = provider
    trace.set_tracer_provider(provider)
    _configured = True


@lru_cache(maxsize=256)
def tracer(name: str) -> trace.Tracer:
    # A proxy until setup_tracing runs, then the provider's tracer: safe to cache.
    return trace.get_tracer(name)


class _ChildSpansOnly(trace.TracerProvider):
    """Tracers that start a span only under a current one: a statement run for a
    request, a message or an RPC joins its trace, while the outbox relay's and the
    pruner's polling, which no trace asked for, records nothing rather than a root span
    every pass."""

    def __init__(self, provider: trace.TracerProvider) -> None:
        self.provider = provider

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _ChildTracer(self.provider.get_tracer(*args, **kwargs))


class _ChildTracer(trace.Tracer):
    def __init__(self, tracer: trace.Tracer) -> None:
        self.tracer = tracer

    def start_span(self, name: str, context: Any = None, *args: Any, **kwargs: Any) -> trace.Span:
        if not trace.get_current_span(context).get_span_context().is_valid:
            return trace.INVALID_SPAN
        return self.tracer.start_span(name, context, *args, **kwargs)

    @contextmanager
    def start_as_current_span(  # type: ignore[override]
        self, name: str, context: Any = None, *args: Any, end_on_exit: bool = True, **kwargs: Any
    ) -> Iterator[trace.Span]:
        span = self.start_span(name, context, *args, **kwargs)
        with trace.use_span(span, end_on_exit=end_on_exit) as current:
            yield current


def trace_database(engine: AsyncEngine, provider: trace.TracerProvider | None = None) -> bool:
    """A client span for every statement the engine runs, a child of the span current
    when it runs (the handler's, the RPC's, the request's), when spans are recorded:
    with `provider`, or with the one `setup_tracing` gave an exporter. Without either the
    engine is left as it is, so a process that exports nothing pays nothing per query.
    The span holds the statement as SQLAlchemy sends it, placeholders ($1, $2) and not
    the values bound to them, so no secret or personal value reaches a trace."""
    provider = provider or _recording
    if provider is None:
        return False
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.instrumentation.sqlalchemy.version import __version__
    from opentelemetry.metrics import NoOpMeter

    # EngineTracer, the instrumentation's per-engine listeners, rather than its
    # instrumentor: that one also patches create_engine and Engine.connect for the whole
    # process, instruments once per process, and refuses SQLAlchemy 2.1 by its declared
    # range although the listeners work on it (libs/common/tests/test_database_spans.py). An async
    # engine runs its statements on the sync engine inside it, in a greenlet sharing the
    # calling task's context, so the span current there is the parent. Pool metrics are
    # Prometheus's business here, hence the no-op meter.
    EngineTracer(
        _ChildSpansOnly(provider).get_tracer(
            "opentelemetry.instrumentation.sqlalchemy", __version__
        ),
        engine.sync_engine,
        NoOpMeter("skyclust").create_up_down_counter("db.client.connections.usage"),
        enable_commenter=False,
    )
    return True


def inject_trace(headers: MutableMapping[str, str]) -> None:
    _propagator.inject(headers)


def extract_trace(headers: dict[str, str] | None) -> Any:
    return _propagator.extract(headers or {})


def current_traceparent() -> str | None:
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]


def mount_health(app: FastAPI, readiness: ReadinessCheck, *, metrics: bool = True) -> None:
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

    if metrics:
        # A route, not a mounted app: a mount answers /metrics with a redirect.
        @app.get("/metrics", include_in_schema=False)
        async def scrape() -> Response:
            return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def health_app(readiness: ReadinessCheck) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    mount_health(app, readiness)
    return app
