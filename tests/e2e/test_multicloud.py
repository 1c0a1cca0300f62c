"""GKE and AKS clusters through the gateway, on the project's emulators: requested,
ready on the stream, visible in the emulator, deleted."""

from __future__ import annotations

import json
import uuid

import pytest

from skyclust_tools.emulators import AzureAdmin, GcpAdmin

from .test_cluster_lifecycle import add_credential, assert_valid_event

pytestmark = pytest.mark.e2e

REGIONS = {"gcp": "us-central1", "azure": "westeurope"}


def emulator_clusters(platform, provider: str) -> list[str]:
    if provider == "gcp":
        admin = GcpAdmin(platform.env["SKYCLUST_GCP_ENDPOINT_URL"])
        kind = "container.cluster"
    else:
        admin = AzureAdmin(
            platform.env["SKYCLUST_AZURE_ENDPOINT_URL"],
            verify=platform.env["SKYCLUST_AZURE_CA_BUNDLE"],
        )
        kind = "Microsoft.ContainerService/managedClusters"
    return [
        (r.get("path") or r.get("id") or "").rsplit("/", 1)[-1]
        for r in admin.resources()
        if r["type"].lower() == kind.lower()
    ]


@pytest.mark.parametrize("provider", ["gcp", "azure"])
def test_cluster_lifecycle_on_emulated_clouds(platform, provider: str) -> None:
    api = platform.api()
    api.signup()
    body = json.loads((platform.state_dir / "credentials" / f"{provider}.json").read_text())
    credential = add_credential(api, body)
    stream = api.stream()
    name = f"{provider}-{uuid.uuid4().hex[:6]}"
    created = api.post(
        f"/api/v1/{provider}/kubernetes/clusters",
        json={
            "credential_id": credential["id"],
            "name": name,
            "version": "1.31",
            "region": REGIONS[provider],
            "tags": {"team": "platform"},
        },
    )
    assert created.status_code == 202, created.text
    cluster = created.json()["data"]
    seen = stream.until("ClusterReady", cluster["id"], timeout=60)
    mine = [e for e in seen if e.data["subject"] == cluster["id"]]
    assert [e.event for e in mine] == ["ClusterRequested", "ClusterProvisioning", "ClusterReady"]
    for item in mine:
        assert_valid_event(item.data)
    assert mine[-1].data["data"]["endpoint"].startswith("https://")
    got = api.get(f"/api/v1/{provider}/kubernetes/clusters/{cluster['id']}").json()["data"]
    assert got["status"] == "READY"
    assert name in emulator_clusters(platform, provider)
    # The same id under another provider's path is not found.
    other = "azure" if provider == "gcp" else "gcp"
    assert api.get(f"/api/v1/{other}/kubernetes/clusters/{cluster['id']}").status_code == 404

    assert api.delete(f"/api/v1/{provider}/kubernetes/clusters/{cluster['id']}").status_code == 202
    stream.until("ClusterDeleted", cluster["id"], timeout=60)
    assert name not in emulator_clusters(platform, provider)
    stream.close()


def test_regions_are_checked_per_provider(platform) -> None:
    api = platform.api()
    api.signup()
    wrong = api.post(
        "/api/v1/aws/kubernetes/clusters",
        json={
            "credential_id": str(uuid.uuid4()),
            "name": "x",
            "version": "1.29",
            "region": "westeurope",
        },
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["code"] == "INVALID_REGION"
    mixed = api.post(
        "/api/v1/aws/kubernetes/clusters",
        json={
            "credential_id": str(uuid.uuid4()),
            "name": "x",
            "version": "1.29",
            "region": "us-east-1",
            "gcp_config": {"node_count": 2},
        },
    )
    assert mixed.status_code == 422
    assert mixed.json()["error"]["details"]["errors"][0]["field"] == "gcp_config"
