"""The gateway's FastAPI app. It keeps no domain state: reads and changes go to the
owning services over NATS; the stream reads JetStream."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from skyclust_common.messaging import Bus
from skyclust_common.observability import exporting_traces

from . import console
from .auth import JwksCache, Revocations, TokenVerifier
from .conditional import ResourceHeadersMiddleware
from .envelope import ERROR_RESPONSES, RequestIdMiddleware, install_error_handlers
from .http_metrics import HttpMetricsMiddleware
from .idempotency import IdempotencyMiddleware, store_for
from .middleware import (
    AuditMiddleware,
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    UnhandledErrorMiddleware,
)
from .openapi import install as install_openapi
from .openapi import operation_id
from .rate_limits import ClientRateLimitMiddleware, RateLimiter
from .routers import (
    account,
    api_keys,
    asyncapi,
    audit,
    auth,
    clusters,
    credentials,
    events,
    notification_channels,
    notification_rules,
    notifications,
    oidc,
    session,
    workspaces,
)
from .routers.budgets import router as budgets_router
from .routers.cost import router as cost_router
from .routers.deps import Services
from .routers.network import router as network_router
from .settings import GatewaySettings


def create_app(settings: GatewaySettings) -> FastAPI:
    app = FastAPI(
        title="SkyClust API",
        version="0.1.0",
        description="Multi-cloud Kubernetes and network management.",
        # Swagger UI from local assets (openapi.install), no CDN.
        docs_url=None,
        openapi_url="/openapi.json",
        redoc_url=None,
        generate_unique_id_function=operation_id,
        # FastAPI's own spans (request, dependencies, serialisation) only when they are
        # exported; the request id middleware carries the trace context either way.
        telemetry={"tracing": exporting_traces()},
    )
    app.state.settings = settings
    app.state.limiter = RateLimiter(settings.redis_url)
    app.state.idempotency = store_for(settings.redis_url, settings.idempotency_max_entries)
    install_error_handlers(app)
    # Added innermost first: request ids wrap everything, the audit sees the final status
    # (a 500 included: unhandled errors become the envelope inside it). An answer kept
    # for an Idempotency-Key has its ETag and Location already.
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(ResourceHeadersMiddleware)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(AuditMiddleware)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    app.add_middleware(ClientRateLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "X-Request-ID",
                "Last-Event-ID",
                "Idempotency-Key",
                "If-Match",
                "If-None-Match",
            ],
            expose_headers=[
                "X-Request-ID",
                "ETag",
                "Location",
                "Retry-After",
                "Idempotent-Replayed",
            ],
        )
    app.add_middleware(HttpMetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)
    # FastAPI tries routes in order on every request: the resource routes, read most,
    # go first. Their paths (`/api/v1/{provider}/kubernetes/...`, `.../network/...`)
    # cannot match another router's, so the order changes nothing else.
    for router in (
        clusters.router,
        clusters.all_clouds_router,
        network_router,
        auth.router,
        session.router,
        oidc.router,
        workspaces.router,
        api_keys.router,
        audit.router,
        credentials.router,
        events.router,
        # Before the inbox's `/api/v1/notifications/{id}/...`: channels and rules
        # live under `/api/v1/notifications/` too.
        notification_rules.router,
        notification_channels.router,
        notification_channels.legacy_router,
        notifications.router,
        account.router,
        account.policy_router,
        cost_router,
        budgets_router,
        asyncapi.router,
    ):
        app.include_router(router, responses=ERROR_RESPONSES)
    install_openapi(app, [{"url": "/", "description": "this gateway"}])
    console.install(app)
    return app


def attach(app: FastAPI, bus: Bus, settings: GatewaySettings) -> None:
    """Bind the app to a connected bus (done once NATS is up)."""
    jwks = JwksCache(bus, settings.jwks_cache_seconds)
    app.state.bus = bus
    app.state.jwks = jwks
    app.state.verifier = TokenVerifier(
        jwks,
        settings.token_issuer,
        settings.token_audience,
        Revocations(settings.access_token_ttl_seconds + 60),
        cache_seconds=settings.token_cache_seconds,
    )
    app.state.services = Services(bus)
