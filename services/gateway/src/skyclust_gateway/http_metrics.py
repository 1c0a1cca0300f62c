"""Per-route HTTP metrics of the gateway's public API, served with every other metric on
the health/metrics port (never on the API port):

- `skyclust_http_request_duration_seconds{method,route,status}`: a histogram from the
  request's arrival to its last byte; its `_count` is the request rate, by status the
  error rate.
- `skyclust_http_requests_in_flight{method,route}`.

`route` is the route's template (`/api/v1/{provider}/kubernetes/{cluster_id}`), never the
raw path, so ids do not multiply the series; a path no route matched is `unmatched`. An
event stream's duration is the stream's life, under its own route."""

from __future__ import annotations

import time

from prometheus_client import Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
# From a cached read (a few ms) to a slow cloud call answered synchronously.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_SECONDS = Histogram(
    "skyclust_http_request_duration_seconds",
    "Gateway HTTP requests, from arrival to the last byte of the answer, by route template",
    ["method", "route", "status"],
    buckets=BUCKETS,
)
HTTP_IN_FLIGHT = Gauge(
    "skyclust_http_requests_in_flight",
    "Gateway HTTP requests being answered, by route template",
    ["method", "route"],
)


def route_template(scope: Scope) -> str:
    """The matched route's path template, set on the scope by the router."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class HttpMetricsMiddleware:
    """Times every HTTP request; add it outermost but for the request id middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()
        # The route is known only once the router ran: the in-flight gauge is taken at
        # the first byte of the answer, under the route that answers.
        flying: tuple[str, str] | None = None

        async def watched(message: Message) -> None:
            nonlocal status, flying
            if message["type"] == "http.response.start":
                status = int(message["status"])
                flying = (scope["method"], route_template(scope))
                HTTP_IN_FLIGHT.labels(*flying).inc()
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            if flying is not None:
                HTTP_IN_FLIGHT.labels(*flying).dec()
            HTTP_SECONDS.labels(scope["method"], route_template(scope), str(status)).observe(
                time.perf_counter() - started
            )
