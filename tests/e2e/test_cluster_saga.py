"""The whole life of a cluster through the gateway, on each cloud (moto, the GCP and
the Azure emulators): created with no network, so one is planned and made; every
progress event in order; READY with a node group; scaled; upgraded; a kubeconfig that
points at the cluster; deleted, and the generated network gone with it. Then drift:
a node group resized behind SkyClust's back is reported and put back on request, and a
cloud that answers with errors for a while changes nothing."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from skyclust_tools.emulators import AzureAdmin, GcpAdmin

from .client import Api
from .test_cluster_lifecycle import add_credential, assert_valid_event, saga_events

pytestmark = pytest.mark.e2e

REGIONS = {"aws": "us-east-1", "gcp": "us-central1", "azure": "westeurope"}
VERSIONS = {"aws": ("1.30", "1.31"), "gcp": ("1.31", "1.32"), "azure": ("1.31", "1.32")}


def credential_body(platform, provider: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(
        (platform.state_dir / "credentials" / f"{provider}.json").read_text()
    )
    return body


def admin(platform, provider: str) -> GcpAdmin | AzureAdmin:
    if provider == "gcp":
        return GcpAdmin(platform.env["SKYCLUST_GCP_ENDPOINT_URL"])
    return AzureAdmin(
        platform.env["SKYCLUST_AZURE_ENDPOINT_URL"], verify=platform.env["SKYCLUST_AZURE_CA_BUNDLE"]
    )


def ec2(platform) -> Any:
    body = credential_body(platform, "aws")
    return boto3.client(
        "ec2",
        region_name="us-east-1",
        endpoint_url=platform.env["SKYCLUST_AWS_ENDPOINT_URL"],
        aws_access_key_id=body["data"]["access_key_id"],
        aws_secret_access_key=body["data"]["secret_access_key"],
    )


def cloud_has(platform, provider: str, cloud_id: str) -> bool:
    """Whether the cloud still holds the resource of this id (a VPC, network or VNet)."""
    if provider == "aws":
        try:
            return bool(ec2(platform).describe_vpcs(VpcIds=[cloud_id])["Vpcs"])
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "InvalidVpcID.NotFound"
            return False
    ident = cloud_id.rstrip("/").rsplit("/", 1)[-1].lower()
    return any(
        (r.get("path") or r.get("id") or "").rstrip("/").rsplit("/", 1)[-1].lower() == ident
        for r in admin(platform, provider).resources()
    )


def pool_size(gcp: GcpAdmin | AzureAdmin, path: str) -> int:
    (found,) = [r for r in gcp.resources() if r.get("path") == path]
    return int(found["nodeCount"])


def wait_for(api: Api, path: str, ok: Any, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = api.get(path).json()["data"]
        if ok(body):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.3)


@pytest.mark.parametrize("provider", ["aws", "gcp", "azure"])
def test_a_cluster_from_request_to_delete(platform, provider: str) -> None:
    api = platform.api()
    api.signup()
    credential = add_credential(api, credential_body(platform, provider))
    stream = api.stream()
    first, second = VERSIONS[provider]
    base = f"/api/v1/{provider}/kubernetes/clusters"
    created = api.post(
        base,
        json={
            "credential_id": credential["id"],
            "name": f"{provider}-{uuid.uuid4().hex[:6]}",
            "version": first,
            "region": REGIONS[provider],
            "node_groups": [{"name": "workers", "min_size": 1, "max_size": 4, "desired_size": 2}],
        },
    )
    assert created.status_code == 202, created.text
    cluster = created.json()["data"]
    assert (cluster["status"], cluster["progress"]) == ("PENDING", 0)

    # Every progress event, in order, then READY with its node group.
    seen = stream.until("ClusterReady", cluster["id"], timeout=90)
    mine = saga_events(seen, cluster["id"])
    for item in mine:
        assert_valid_event(item.data)
    assert [e.event for e in mine] == [
        "ClusterRequested",
        "ClusterProvisioning",
        "ClusterProvisioning",
        "ClusterProvisioning",
        "ClusterReady",
    ]
    steps = [(e.data["data"]["step"], e.data["data"]["progress"]) for e in mine[1:4]]
    assert steps == [("network", 10), ("control-plane", 30), ("node-groups", 70)]
    names = [e.event for e in seen]
    assert names.index("ClusterNetworkReady") < names.index("NodeGroupReady") < len(names) - 1
    ready = api.get(f"{base}/{cluster['id']}").json()["data"]
    assert (ready["status"], ready["progress"], ready["version"]) == ("READY", 100, first)
    assert ready["network"]["generated"] is True
    vpc_path = f"/api/v1/{provider}/network/vpcs/{ready['network']['vpc_id']}"
    vpc = api.get(vpc_path).json()["data"]
    assert vpc["status"] == "READY" and vpc["cloud_id"]
    assert cloud_has(platform, provider, vpc["cloud_id"])
    conditions = {c["type"]: c["status"] for c in ready["conditions"]}
    assert conditions == {
        "NetworkReady": "True",
        "ControlPlaneReady": "True",
        "NodeGroupsReady": "True",
        "Drifted": conditions["Drifted"],
    }
    (group,) = api.get(f"{base}/{cluster['id']}/node-groups").json()["data"]
    assert (group["name"], group["status"], group["desired_size"]) == ("workers", "READY", 2)

    # Scale.
    scaled = api.request(
        "PATCH", f"{base}/{cluster['id']}/node-groups/{group['id']}", json={"desired_size": 3}
    )
    assert scaled.status_code == 202, scaled.text
    stream.until("NodeGroupScaled", group["id"], timeout=60)
    group = api.get(f"{base}/{cluster['id']}/node-groups/{group['id']}").json()["data"]
    assert (group["status"], group["desired_size"]) == ("READY", 3)

    # Upgrade: refused when not offered or skipping a version, then done.
    skipped = api.request("PATCH", f"{base}/{cluster['id']}", json={"version": "1.40"})
    assert skipped.status_code == 422
    assert skipped.json()["error"]["code"] == "VERSION_SKIP"
    upgrade = api.request("PATCH", f"{base}/{cluster['id']}", json={"version": second})
    assert upgrade.status_code == 202, upgrade.text
    assert upgrade.json()["data"]["status"] == "UPDATING"
    stream.until("ClusterUpgraded", cluster["id"], timeout=90)
    upgraded = api.get(f"{base}/{cluster['id']}").json()["data"]
    assert (upgraded["status"], upgraded["version"]) == ("READY", second)

    # The kubeconfig points at the cluster's endpoint.
    kubeconfig = api.get(f"{base}/{cluster['id']}/kubeconfig")
    assert kubeconfig.status_code == 200
    config = yaml.safe_load(kubeconfig.text)
    server = urlsplit(config["clusters"][0]["cluster"]["server"])
    endpoint = urlsplit(ready["endpoint"])
    assert (server.scheme, server.hostname) == (endpoint.scheme, endpoint.hostname)
    assert (server.port or 443) == (endpoint.port or 443)
    assert config["users"][0]["user"]

    # Delete: node group, control plane, then the generated network.
    assert api.delete(f"{base}/{cluster['id']}").status_code == 202
    seen = stream.until("ClusterDeleted", cluster["id"], timeout=90)
    names = [e.event for e in seen]
    assert names.index("NodeGroupDeleted") < names.index("ClusterNetworkReleased")
    assert names.index("ClusterNetworkReleased") < names.index("ClusterDeleted")
    assert api.get(f"{base}/{cluster['id']}").status_code == 404
    assert api.get(vpc_path).status_code == 404
    assert not cloud_has(platform, provider, vpc["cloud_id"])
    if provider == "azure":  # the resource group SkyClust made for the cluster went too
        assert not cloud_has(platform, provider, f"resourceGroups/skyclust-{cluster['name']}")
    stream.close()


def test_drift_is_reported_and_reconciled_and_cloud_errors_change_nothing(platform) -> None:
    provider = "gcp"
    api = platform.api()
    api.signup()
    body = credential_body(platform, provider)
    credential = add_credential(api, body)
    stream = api.stream()
    base = f"/api/v1/{provider}/kubernetes/clusters"
    name = f"drift-{uuid.uuid4().hex[:6]}"
    created = api.post(
        base,
        json={
            "credential_id": credential["id"],
            "name": name,
            "version": "1.31",
            "region": REGIONS[provider],
            "node_groups": [{"name": "workers", "min_size": 1, "max_size": 5, "desired_size": 2}],
        },
    )
    cluster = created.json()["data"]
    stream.until("ClusterReady", cluster["id"], timeout=90)
    path = f"{base}/{cluster['id']}"
    wait_for(api, path, lambda c: c["drift_checked_at"] is not None)
    gcp = admin(platform, provider)
    project = json.loads(body["data"]["service_account_json"])["project_id"]
    pool = f"v1/projects/{project}/locations/{REGIONS[provider]}/clusters/{name}/nodePools/workers"

    # Resized in the cloud's console: reported with the field, nothing changed back.
    gcp.patch_resource(pool, {"nodeCount": 4})
    seen = stream.until("ClusterDriftDetected", cluster["id"], timeout=30)
    drift = seen[-1].data["data"]["drift"]
    assert {"field": "node_groups.workers.desired_size", "desired": 2, "actual": 4} in drift
    shown = api.get(path).json()["data"]
    assert {c["type"]: c["status"] for c in shown["conditions"]}["Drifted"] == "True"
    time.sleep(2)
    assert pool_size(gcp, pool) == 4, "nothing is reverted without a user"

    # The reconcile endpoint restores it.
    reconciled = api.post(f"{path}/reconcile")
    assert reconciled.status_code == 202, reconciled.text
    assert {"field": "node_groups.workers", "action": "restore"} in reconciled.json()["data"][
        "actions"
    ]
    stream.until("ClusterDriftResolved", cluster["id"], timeout=60)
    assert pool_size(gcp, pool) == 2

    # The cloud fails every read for a while: no deletion, no false drift.
    gcp.inject_fault(rf"clusters/{name}", method="GET", status=503, times=None)
    time.sleep(6)
    gcp.clear_faults()
    during = stream.drain(1.0)
    assert not [
        e.event
        for e in during
        if e.event in ("ClusterDriftDetected", "NodeGroupDeleted", "ClusterDeleted")
    ]
    after = api.get(path).json()["data"]
    assert (after["status"], after["drift"]) == ("READY", [])
    (group,) = api.get(f"{path}/node-groups").json()["data"]
    assert group["status"] == "READY"
    assert api.delete(path).status_code == 202
    stream.until("ClusterDeleted", cluster["id"], timeout=90)
    stream.close()


def test_a_cluster_made_elsewhere_is_adopted_read_only_then_promoted(platform) -> None:
    api = platform.api()
    api.signup()
    body = credential_body(platform, "aws")
    credential = add_credential(api, body)
    eks = boto3.client(
        "eks",
        region_name="us-east-1",
        endpoint_url=platform.env["SKYCLUST_AWS_ENDPOINT_URL"],
        aws_access_key_id=body["data"]["access_key_id"],
        aws_secret_access_key=body["data"]["secret_access_key"],
    )
    subnets = [s["SubnetId"] for s in ec2(platform).describe_subnets()["Subnets"]][:2]
    role = "arn:aws:iam::123456789012:role/made-elsewhere"
    name = f"legacy-{uuid.uuid4().hex[:6]}"
    eks.create_cluster(
        name=name, version="1.31", roleArn=role, resourcesVpcConfig={"subnetIds": subnets}
    )
    eks.create_nodegroup(clusterName=name, nodegroupName="ng1", subnets=subnets, nodeRole=role)
    base = "/api/v1/aws/kubernetes/clusters"

    found = api.get(
        f"{base}/discover", params={"credential_id": credential["id"], "region": "us-east-1"}
    )
    assert found.status_code == 200, found.text
    (legacy,) = [c for c in found.json()["data"] if c["name"] == name]
    assert legacy["tracked_by"] is None
    assert [g["name"] for g in legacy["node_groups"]] == ["ng1"]

    imported = api.post(
        f"{base}/import",
        json={"credential_id": credential["id"], "region": "us-east-1", "name": name},
    )
    assert imported.status_code == 201, imported.text
    cluster = imported.json()["data"]
    assert (cluster["managed"], cluster["status"], cluster["version"]) == (False, "READY", "1.31")
    refused = api.delete(f"{base}/{cluster['id']}")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "CLUSTER_READ_ONLY")
    assert eks.describe_cluster(name=name)["cluster"]["tags"] == {}

    # It uses the credential (the vault counts it), until it is forgotten: SkyClust
    # drops it, the cloud keeps it as it was, and it can come back.
    in_use = f"/api/v1/credentials/{credential['id']}"
    wait_for(api, in_use, lambda c: [u["id"] for u in c["in_use"]] == [cluster["id"]])
    forgotten = api.post(f"{base}/{cluster['id']}/forget")
    assert forgotten.status_code == 200, forgotten.text
    wait_for(api, in_use, lambda c: c["in_use"] == [])
    assert api.get(f"{base}/{cluster['id']}").status_code == 404
    assert eks.describe_cluster(name=name)["cluster"]["status"] == "ACTIVE"
    assert eks.list_nodegroups(clusterName=name)["nodegroups"] == ["ng1"]
    again = api.get(
        f"{base}/discover", params={"credential_id": credential["id"], "region": "us-east-1"}
    )
    assert [c["tracked_by"] for c in again.json()["data"] if c["name"] == name] == [None]
    imported = api.post(
        f"{base}/import",
        json={"credential_id": credential["id"], "region": "us-east-1", "name": name},
    )
    assert imported.status_code == 201, imported.text
    cluster = imported.json()["data"]

    promoted = api.post(f"{base}/{cluster['id']}/promote")
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["data"]["managed"] is True
    tags = eks.describe_cluster(name=name)["cluster"]["tags"]
    assert tags["skyclust.io/cluster-id"] == cluster["id"]
    wait_for(api, f"{base}/{cluster['id']}", lambda c: c["drift_checked_at"] is not None)
    assert api.get(f"{base}/{cluster['id']}").json()["data"]["drift"] == []
