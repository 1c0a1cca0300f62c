"""The gateway's per-route HTTP histograms: labelled by the route's template (never the
raw path, so ids do not multiply the series), by method and status, scraped from the
health/metrics app and absent from the public API."""

from __future__ import annotations

import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from skyclust_common.observability import health_app

from .cluster_fakes import AWS, FakeProvisioning, as_

pytestmark = pytest.mark.unit

TEMPLATE = "/api/v1/{provider}/kubernetes/clusters/{cluster_id}"
METRIC = "skyclust_http_request_duration_seconds"


async def scrape() -> dict[tuple[str, str, str], float]:
    """The histogram's counts by (method, route, status), from the metrics port's app."""

    async def ready() -> dict[str, bool]:
        return {"nats": True}

    transport = httpx.ASGITransport(app=health_app(ready))
    async with httpx.AsyncClient(transport=transport, base_url="http://health") as client:
        text = (await client.get("/metrics")).text
    counts: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != METRIC:
            continue
        for sample in family.samples:
            if sample.name == f"{METRIC}_count":
                key = (sample.labels["method"], sample.labels["route"], sample.labels["status"])
                counts[key] = sample.value
    return counts


async def test_requests_are_counted_by_route_template_method_and_status(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    before = await scrape()
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for cluster_id in ids:
        await gw.get(f"{AWS}/{cluster_id}", headers=as_("viewer"))
    refused = await gw.get(f"{AWS}/{ids[0]}")
    assert refused.status_code == 401
    missing = await gw.get(f"/api/v1/nothing/{ids[0]}")
    assert missing.status_code == 404
    after = await scrape()

    def grew(key: tuple[str, str, str]) -> float:
        return after.get(key, 0) - before.get(key, 0)

    answered = [key for key in after if key[1] == TEMPLATE and key[2] != "401"]
    assert sum(grew(key) for key in answered) == 3
    assert grew(("GET", TEMPLATE, "401")) == 1
    assert grew(("GET", "unmatched", "404")) == 1
    # No raw path, and so no id, is ever a label.
    assert not [key for key in after if any(i in key[1] for i in ids)]
    # Every label is a route template (other tests in this process add their own routes,
    # such as /asyncapi.json), never a path with an id in it.
    assert all(key[1] == "unmatched" or key[1].startswith("/") for key in after)
    assert all("{" in key[1] for key in after if key[1].count("/") > 4)


async def test_the_public_api_does_not_serve_metrics(gw: httpx.AsyncClient) -> None:
    answered = await gw.get("/metrics")
    assert answered.status_code == 404
    assert METRIC not in answered.text
