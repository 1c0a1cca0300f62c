"""Through the gateway, which sends each request once and does not read before it writes:
the owning service refuses a change on a cluster, node group, network, subnet, security
group or credential of another workspace, or under another provider's path, with the same
404 and code as one that does not exist, and the resource is left as it was."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .client import Api

pytestmark = pytest.mark.e2e

CLUSTERS = "/api/v1/{provider}/kubernetes/clusters"
NETWORK = "/api/v1/{provider}/network"


def created(response: Any, status: int = 202) -> dict[str, Any]:
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def refused(api: Api, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, str]:
    response = api.request(method, path, json=body)
    return response.status_code, response.json()["error"]["code"]


def test_changes_on_what_is_not_yours_or_not_there_are_not_found(platform, local_aws_credential):
    owner = platform.api()
    owner.signup()
    other = platform.api()
    other.signup()
    credential = created(
        owner.post(
            "/api/v1/credentials",
            json={**local_aws_credential, "name": f"owned-{uuid.uuid4().hex[:6]}"},
        ),
        201,
    )["id"]
    stream = owner.stream()
    clusters = CLUSTERS.format(provider="aws")
    cluster = created(
        owner.post(
            clusters,
            json={
                "credential_id": credential,
                "name": f"c-{uuid.uuid4().hex[:8]}",
                "version": "1.29",
                "region": "us-east-1",
                "node_groups": [
                    {"name": "workers", "min_size": 1, "max_size": 3, "desired_size": 2}
                ],
            },
        )
    )["id"]
    stream.until("ClusterReady", cluster, timeout=90)
    (group,) = owner.get(f"{clusters}/{cluster}/node-groups").json()["data"]
    network = NETWORK.format(provider="aws")
    vpc = created(
        owner.post(
            f"{network}/vpcs",
            json={
                "credential_id": credential,
                "name": f"net-{uuid.uuid4().hex[:6]}",
                "region": "us-east-1",
                "cidr_block": "10.91.0.0/16",
            },
        )
    )["id"]
    stream.until("VpcReady", vpc, timeout=60)
    subnet = created(
        owner.post(
            f"{network}/subnets",
            json={
                "vpc_id": vpc,
                "name": "nodes",
                "cidr_block": "10.91.1.0/24",
                "availability_zone": "us-east-1a",
            },
        )
    )["id"]
    security_group = created(
        owner.post(f"{network}/security-groups", json={"vpc_id": vpc, "name": "web"})
    )["id"]
    stream.until("SubnetReady", subnet, timeout=60)
    stream.until("SecurityGroupReady", security_group, timeout=60)
    stream.close()

    tags = {"tags": {"team": "intruder"}}
    # (method, path under a provider, body, resource, the owner's not-found code); {id}
    # is the resource's id, replaced by one that does not exist for the third case. A
    # node group of a cluster one cannot see is the cluster not found; of one's own
    # cluster, the node group (two codes: hidden, missing).
    on_provider: list[tuple[str, str, dict[str, Any] | None, str, str]] = [
        ("GET", CLUSTERS + "/{id}", None, cluster, "CLUSTER_NOT_FOUND"),
        ("PATCH", CLUSTERS + "/{id}", {"version": "1.30"}, cluster, "CLUSTER_NOT_FOUND"),
        ("DELETE", CLUSTERS + "/{id}", None, cluster, "CLUSTER_NOT_FOUND"),
        ("POST", CLUSTERS + "/{id}/reconcile", None, cluster, "CLUSTER_NOT_FOUND"),
        ("POST", CLUSTERS + "/{id}/promote", None, cluster, "CLUSTER_NOT_FOUND"),
        ("POST", CLUSTERS + "/{id}/forget", None, cluster, "CLUSTER_NOT_FOUND"),
        ("GET", CLUSTERS + "/{id}/kubeconfig", None, cluster, "CLUSTER_NOT_FOUND"),
        ("GET", CLUSTERS + "/{id}/node-groups", None, cluster, "CLUSTER_NOT_FOUND"),
        (
            "POST",
            CLUSTERS + "/{id}/node-groups",
            {"name": "extra", "min_size": 1, "max_size": 2, "desired_size": 1},
            cluster,
            "CLUSTER_NOT_FOUND",
        ),
        (
            "GET",
            CLUSTERS + f"/{cluster}/node-groups/" + "{id}",
            None,
            group["id"],
            "CLUSTER_NOT_FOUND NODE_GROUP_NOT_FOUND",
        ),
        (
            "PATCH",
            CLUSTERS + f"/{cluster}/node-groups/" + "{id}",
            {"desired_size": 3},
            group["id"],
            "CLUSTER_NOT_FOUND NODE_GROUP_NOT_FOUND",
        ),
        (
            "DELETE",
            CLUSTERS + f"/{cluster}/node-groups/" + "{id}",
            None,
            group["id"],
            "CLUSTER_NOT_FOUND NODE_GROUP_NOT_FOUND",
        ),
        ("GET", NETWORK + "/vpcs/{id}", None, vpc, "VPC_NOT_FOUND"),
        ("PATCH", NETWORK + "/vpcs/{id}", tags, vpc, "VPC_NOT_FOUND"),
        ("DELETE", NETWORK + "/vpcs/{id}", None, vpc, "VPC_NOT_FOUND"),
        ("POST", NETWORK + "/vpcs/{id}/adopt", None, vpc, "VPC_NOT_FOUND"),
        ("GET", NETWORK + "/subnets/{id}", None, subnet, "SUBNET_NOT_FOUND"),
        ("PATCH", NETWORK + "/subnets/{id}", tags, subnet, "SUBNET_NOT_FOUND"),
        ("DELETE", NETWORK + "/subnets/{id}", None, subnet, "SUBNET_NOT_FOUND"),
        (
            "GET",
            NETWORK + "/security-groups/{id}",
            None,
            security_group,
            "SECURITY_GROUP_NOT_FOUND",
        ),
        (
            "PATCH",
            NETWORK + "/security-groups/{id}",
            tags,
            security_group,
            "SECURITY_GROUP_NOT_FOUND",
        ),
        (
            "DELETE",
            NETWORK + "/security-groups/{id}",
            None,
            security_group,
            "SECURITY_GROUP_NOT_FOUND",
        ),
    ]
    for method, template, body, resource, codes in on_provider:
        hidden, _, absent = codes.partition(" ")
        mine = template.format(provider="aws", id=resource)
        elsewhere = template.format(provider="gcp", id=resource)
        missing = template.format(provider="aws", id=uuid.uuid4())
        assert refused(other, method, mine, body) == (404, hidden), (method, mine, "workspace")
        assert refused(owner, method, elsewhere, body) == (404, hidden), (method, elsewhere)
        assert refused(owner, method, missing, body) == (404, absent or hidden), (method, missing)
    # A node group of a cluster that does not exist: the cluster is what is missing.
    stray = CLUSTERS.format(provider="aws") + f"/{uuid.uuid4()}/node-groups/{group['id']}"
    assert refused(owner, "PATCH", stray, {"desired_size": 3}) == (404, "CLUSTER_NOT_FOUND")
    assert refused(owner, "DELETE", stray, None) == (404, "CLUSTER_NOT_FOUND")

    credentials: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/api/v1/credentials/{id}", None),
        ("PUT", "/api/v1/credentials/{id}", {"data": local_aws_credential["data"]}),
        ("POST", "/api/v1/credentials/{id}/validate", None),
        ("DELETE", "/api/v1/credentials/{id}", None),
    ]
    for method, template, body in credentials:
        mine, missing = template.format(id=credential), template.format(id=uuid.uuid4())
        assert refused(other, method, mine, body) == (404, "CREDENTIAL_NOT_FOUND"), mine
        assert refused(owner, method, missing, body) == (404, "CREDENTIAL_NOT_FOUND"), missing

    # Nothing refused changed anything.
    assert created(owner.get(f"{clusters}/{cluster}"), 200)["status"] == "READY"
    assert (
        created(owner.get(f"{clusters}/{cluster}/node-groups/{group['id']}"), 200)["desired_size"]
        == 2
    )
    for path in (f"vpcs/{vpc}", f"subnets/{subnet}", f"security-groups/{security_group}"):
        found = created(owner.get(f"{network}/{path}"), 200)
        assert (found["status"], found["tags"].get("team")) == ("READY", None), path
    assert created(owner.get(f"/api/v1/credentials/{credential}"), 200)["id"] == credential
