"""The metrics port (a service's health/metrics app, never its public API) serves every
metric issue 17 names, once each service's code is loaded."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from skyclust_common.observability import health_app
from skyclust_tools.metrics_catalog import families

pytestmark = pytest.mark.unit

# What an operator is promised, by what it answers (docs/operations.md says more).
PROMISED = {
    # HTTP rate, errors and duration by route template (gateway).
    "skyclust_http_request_duration_seconds": "histogram",
    "skyclust_http_requests_in_flight": "gauge",
    # RPC (served and made) and message handler latency (every service).
    "skyclust_rpc_seconds": "histogram",
    "skyclust_rpc_requests": "counter",
    "skyclust_rpc_client_seconds": "histogram",
    "skyclust_handler_seconds": "histogram",
    "skyclust_messages": "counter",  # outcome: ok, retried, dead_lettered, invalid, ...
    "skyclust_redeliveries": "counter",
    # The seed's provisioning metrics, and the saga's steps.
    "cluster_creation_duration_seconds": "histogram",
    "active_clusters_total": "gauge",
    "skyclust_saga_step_duration_seconds": "histogram",
    # Cloud API calls, errors and throttles by provider and operation.
    "skyclust_cloud_api_calls": "counter",
    "skyclust_cloud_api_call_duration_seconds": "histogram",
    # Outbox lag.
    "skyclust_outbox_lag_seconds": "gauge",
    "skyclust_outbox_pending": "gauge",
    "skyclust_outbox_published": "counter",
    # SSE connections.
    "skyclust_sse_connections": "gauge",
    "skyclust_sse_closed": "counter",
    # Notification deliveries.
    "skyclust_notification_deliveries": "counter",
    # Build info.
    "skyclust_build_info": "gauge",
}
LABELS = {
    "skyclust_http_request_duration_seconds": {"method", "route", "status"},
    "cluster_creation_duration_seconds": {"provider", "region"},
    "active_clusters_total": {"provider", "region"},
    "skyclust_cloud_api_calls": {"provider", "operation", "outcome"},
    "skyclust_build_info": {"service", "version"},
}


async def scraped() -> dict[str, str]:
    async def ready() -> dict[str, bool]:
        return {"nats": True}

    transport = httpx.ASGITransport(app=health_app(ready))
    async with httpx.AsyncClient(transport=transport, base_url="http://health") as client:
        answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {family.name: family.type for family in text_string_to_metric_families(answer.text)}


async def test_the_metrics_port_serves_every_metric_the_issue_names_with_its_type():
    families()  # every service's code loaded, as in its own process
    served = await scraped()
    assert {name: served.get(name) for name in PROMISED} == PROMISED


def test_the_promised_metrics_carry_the_labels_they_are_queried_by():
    from prometheus_client import REGISTRY

    families()
    declared = {
        collector._name: set(collector._labelnames)  # type: ignore[attr-defined]
        for collector in list(REGISTRY._collector_to_names)
        if hasattr(collector, "_labelnames")
    }
    for name, labels in LABELS.items():
        assert declared[name] == labels, name
