"""The cluster routes' refusals through the real gateway app, in process: roles that may
not, bodies refused before any call, and clusters provisioning does not find (another
provider's, unknown) answered with its 404."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from .cluster_fakes import (
    AWS,
    AWS_CLUSTER,
    BASE,
    CREATE,
    CREDENTIAL,
    SUBNETS,
    VPC,
    FakeProvisioning,
    as_,
    change,
    node_group,
)

pytestmark = pytest.mark.unit

WRITES = [
    ("POST", AWS, {**CREATE, "node_groups": [node_group("system")]}),
    ("PATCH", f"{AWS}/{AWS_CLUSTER}", {"version": "1.31"}),
    ("POST", f"{AWS}/{AWS_CLUSTER}/reconcile", None),
    ("POST", f"{AWS}/import", {"credential_id": CREDENTIAL, "region": "us-east-1", "name": "x"}),
    ("POST", f"{AWS}/{AWS_CLUSTER}/promote", None),
    ("POST", f"{AWS}/{AWS_CLUSTER}/forget", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
async def test_viewers_may_not_change_clusters(
    gw: httpx.AsyncClient,
    provisioning: FakeProvisioning,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    response = await gw.request(method, path, json=body, headers=as_("viewer"))

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "FORBIDDEN"
    assert error["details"] == {"required": "clusters:write"}
    assert provisioning.calls == []


@pytest.mark.parametrize(
    ("method", "path", "body", "fields"),
    [
        pytest.param(
            "PATCH", f"{AWS}/{AWS_CLUSTER}", {"version": "1"}, ["version"], id="version-1"
        ),
        pytest.param(
            "PATCH",
            f"{AWS}/{AWS_CLUSTER}",
            {"version": "1.31", "force": True},
            ["force"],
            id="upgrade-unknown-field",
        ),
        pytest.param("PATCH", f"{AWS}/{AWS_CLUSTER}", {}, ["version"], id="upgrade-no-version"),
        pytest.param(
            "POST",
            AWS,
            {**CREATE, "node_groups": [node_group(f"ng{i}") for i in range(11)]},
            ["node_groups"],
            id="eleven-node-groups",
        ),
        pytest.param(
            "POST",
            AWS,
            {**CREATE, "network": {"vpc_id": VPC, "subnet_ids": SUBNETS[:1]}},
            ["network.subnet_ids"],
            id="one-subnet",
        ),
        pytest.param(
            "POST",
            AWS,
            {**CREATE, "network": {"subnet_ids": SUBNETS}},
            ["network.vpc_id"],
            id="network-without-vpc",
        ),
        pytest.param(
            "POST",
            AWS,
            {
                **CREATE,
                "network": {"vpc_id": VPC},
                "aws_config": {"subnet_ids": ["subnet-a", "subnet-b"]},
            },
            ["network", "aws_config.subnet_ids"],
            id="network-and-aws-subnets",
        ),
        pytest.param(
            "POST",
            BASE.format(provider="gcp"),
            {
                **CREATE,
                "network": {"vpc_id": VPC},
                "gcp_config": {"network": "default", "subnetwork": "default"},
            },
            ["network", "gcp_config.network", "gcp_config.subnetwork"],
            id="network-and-gcp-network",
        ),
        pytest.param(
            "POST",
            AWS,
            {**CREATE, "tags": {"team": "x" * 257}},
            ["tags.team"],
            id="long-tag-value",
        ),
        pytest.param(
            "POST",
            f"{AWS}/import",
            {
                "credential_id": CREDENTIAL,
                "region": "us-east-1",
                "name": "legacy",
                "resource_group": "rg-legacy",
            },
            ["resource_group"],
            id="resource-group-on-aws",
        ),
        pytest.param(
            "POST",
            f"{AWS}/import",
            {"credential_id": CREDENTIAL, "region": "us-east-1", "name": "legacy", "x": 1},
            ["x"],
            id="import-unknown-field",
        ),
    ],
)
async def test_bad_bodies_are_refused_before_any_call(
    gw: httpx.AsyncClient,
    provisioning: FakeProvisioning,
    method: str,
    path: str,
    body: dict[str, Any],
    fields: list[str],
) -> None:
    response = await gw.request(method, path, json=body, headers=as_("user"))

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [e["field"] for e in error["details"]["errors"]] == fields
    assert provisioning.calls == []


@pytest.mark.parametrize(
    ("method", "suffix", "body", "query"),
    [
        ("PATCH", "", {"version": "1.31"}, "UpgradeCluster"),
        ("POST", "/reconcile", None, "ReconcileCluster"),
        ("POST", "/promote", None, "PromoteCluster"),
        ("POST", "/forget", None, "ForgetCluster"),
        ("DELETE", "", None, "DeleteCluster"),
        ("GET", "", None, "GetCluster"),
    ],
)
async def test_another_providers_cluster_is_not_found(
    gw: httpx.AsyncClient,
    provisioning: FakeProvisioning,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
    query: str,
) -> None:
    path = f"{BASE.format(provider='gcp')}/{AWS_CLUSTER}{suffix}"

    response = await gw.request(method, path, json=body, headers=as_("user"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "CLUSTER_NOT_FOUND"
    # One call, the change itself: provisioning decides, from the path's provider.
    [(name, request)] = provisioning.sent()
    assert (name, request["provider"], request["cluster_id"]) == (query, "gcp", AWS_CLUSTER)


async def test_an_unknown_cluster_is_not_found(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    other = str(uuid.uuid4())

    response = await gw.patch(f"{AWS}/{other}", json={"version": "1.31"}, headers=as_("user"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "CLUSTER_NOT_FOUND"
    assert provisioning.sent() == [("UpgradeCluster", change(cluster_id=other, version="1.31"))]
