"""Cost through the gateway on each cloud: a cluster made through SkyClust accrues in
the local cloud; after a billed day more, a collection reads that cloud's billing API and
the summary and the breakdown by cluster show what the cloud billed for it, from the
billing API (the cloud's own service names, no warning), not from estimates."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import pytest

from skyclust_tools.emulators import AwsAdmin

from .client import Api
from .test_cluster_lifecycle import add_credential
from .test_cluster_saga import REGIONS, VERSIONS, admin, credential_body

pytestmark = pytest.mark.e2e

CLUSTER_TAG = {"aws": "skyclust.io/cluster-id", "gcp": "skyclust-cluster-id"}
# What the clouds call the services a cluster bills under (estimates say "Compute").
SERVICES = {
    "aws": {
        "Amazon Elastic Compute Cloud - Compute",
        "Amazon Elastic Container Service for Kubernetes",
    },
    "gcp": {"Compute Engine", "Kubernetes Engine"},
    # SkyClust makes AKS clusters on the Free tier: no control-plane charge.
    "azure": {"Virtual Machines"},
}
DAY = 86400


def cloud_admin(platform: Any, provider: str) -> Any:
    if provider == "aws":
        return AwsAdmin(platform.env["SKYCLUST_AWS_ENDPOINT_URL"])
    return admin(platform, provider)


def billed(cloud: Any, provider: str, cluster_id: str, start: dt.date, end: dt.date) -> float:
    """What the local cloud billed for the cluster from `start` to `end` (included)."""
    items = cloud.billing_items(
        start=start.isoformat(), end=(end + dt.timedelta(days=1)).isoformat()
    )
    tag = CLUSTER_TAG.get(provider, "skyclust-cluster-id")
    return sum(float(i["cost"]) for i in items if i["tags"].get(tag) == cluster_id)


def collect(api: Api, provider: str) -> dict[str, Any]:
    """A collection of that cloud, once the cost service knows the new credential."""
    deadline = time.monotonic() + 30
    while True:
        reply = api.post(f"/api/v1/cost-analysis/collect?provider={provider}&days=7")
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()["data"]
        if provider in body["providers"]:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.5)


@pytest.mark.parametrize("provider", ["aws", "gcp", "azure"])
def test_a_clusters_cost_comes_from_its_clouds_billing_api(platform: Any, provider: str) -> None:
    api = platform.api()
    api.signup()
    credential = add_credential(api, credential_body(platform, provider))
    stream = api.stream()
    base = f"/api/v1/{provider}/kubernetes/clusters"
    created = api.post(
        base,
        json={
            "credential_id": credential["id"],
            "name": f"cost-{uuid.uuid4().hex[:6]}",
            "version": VERSIONS[provider][0],
            "region": REGIONS[provider],
            "node_groups": [{"name": "workers", "min_size": 1, "max_size": 3, "desired_size": 2}],
        },
    )
    assert created.status_code == 202, created.text
    cluster_id = created.json()["data"]["id"]
    stream.until("ClusterReady", cluster_id, timeout=120)
    stream.close()
    cloud = cloud_admin(platform, provider)
    try:
        cloud.advance_billing(DAY)
        today = dt.datetime.fromtimestamp(cloud.billing()["now"], dt.UTC).date()
        start = today - dt.timedelta(days=6)

        before = billed(cloud, provider, cluster_id, start, today)
        collected = collect(api, provider)
        after = billed(cloud, provider, cluster_id, start, today)
        query = f"period=7d&provider={provider}"
        summary = api.get(f"/api/v1/cost-analysis/summary?{query}").json()["data"]
        by_cluster = api.get(f"/api/v1/cost-analysis/breakdown?by=cluster&{query}").json()["data"]
        by_service = api.get(f"/api/v1/cost-analysis/breakdown?by=service&{query}").json()["data"]
    finally:
        api.delete(f"{base}/{cluster_id}")

    assert collected["warnings"] == [] and collected["providers"][provider] > 0
    assert summary["warnings"] == [] and summary["currency"] == "USD"
    # A billed day and more of the cluster's nodes.
    assert before > 0.5
    mine = {i["key"]: i["amount"] for i in by_cluster["items"]}[cluster_id]
    # Billing went on between the two reads of the cloud; the collection is between them.
    assert before * (1 - 1e-4) - 1e-3 <= mine <= after * (1 + 1e-4) + 1e-3
    assert summary["by_provider"][provider] >= mine
    assert summary["total"] == pytest.approx(by_cluster["total"], abs=1e-3)
    assert sum(d["amount"] for d in summary["daily"]) == pytest.approx(summary["total"], abs=1e-3)
    services = {i["key"] for i in by_service["items"]}
    assert SERVICES[provider] <= services
    assert not services & {"Compute", "Kubernetes control plane"}, "no estimate rows"
