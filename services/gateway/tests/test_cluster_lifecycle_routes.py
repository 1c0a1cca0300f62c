"""The cluster lifecycle routes (create with node groups and a network, upgrade,
reconcile, discover, import, promote, forget) through the real gateway app, in process. Tokens
are really signed and verified; provisioning is a fake that records every call and
answers with replies that satisfy the contracts. Every recorded request and reply is
checked against its contract when a test reads the calls."""

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
    USER,
    VPC,
    WORKSPACE,
    FakeProvisioning,
    as_,
    change,
    node_group,
)

pytestmark = pytest.mark.unit


async def test_create_passes_node_groups_and_network_on(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    system = {**node_group("system"), "instance_type": "m5.large", "labels": {"role": "sys"}}
    gpu = node_group("gpu")
    network = {"vpc_id": VPC, "subnet_ids": SUBNETS}
    body = {
        **CREATE,
        "node_groups": [system, {**gpu, "taints": [{"key": "gpu", "effect": "NoSchedule"}]}],
        "network": network,
    }

    response = await gw.post(AWS, json=body, headers=as_("user"))

    assert response.status_code == 202, response.text
    assert response.json()["data"]["status"] == "PENDING"
    assert provisioning.sent() == [
        (
            "CreateCluster",
            {
                **CREATE,
                "node_groups": [
                    system,
                    {**gpu, "taints": [{"key": "gpu", "value": "", "effect": "NoSchedule"}]},
                ],
                "network": network,
                "workspace_id": WORKSPACE,
                "actor_id": USER,
                "provider": "aws",
                "budget_override": False,
                "actor_is_admin": False,
            },
        )
    ]


@pytest.mark.parametrize(("role", "admin"), [("admin", True), ("user", False)])
async def test_a_budget_override_goes_on_with_whether_the_caller_is_an_admin(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning, role: str, admin: bool
) -> None:
    body = {**CREATE, "aws_config": {"subnet_ids": ["subnet-a", "subnet-b"]}}
    response = await gw.post(AWS, json={**body, "budget_override": True}, headers=as_(role))

    assert response.status_code == 202, response.text
    [(_, request)] = provisioning.sent()
    assert (request["budget_override"], request["actor_is_admin"]) == (True, admin)


async def test_node_group_adds_and_changes_carry_the_override_and_the_role(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    group = {**node_group("batch"), "budget_override": True}
    added = await gw.post(f"{AWS}/{AWS_CLUSTER}/node-groups", json=group, headers=as_("admin"))
    changed = await gw.patch(
        f"{AWS}/{AWS_CLUSTER}/node-groups/{uuid.uuid4()}",
        json={"desired_size": 3},
        headers=as_("user"),
    )

    assert (added.status_code, changed.status_code) == (202, 202), (added.text, changed.text)
    (_, add), (_, change_) = provisioning.sent()
    assert (add["budget_override"], add["actor_is_admin"]) == (True, True)
    assert (change_["budget_override"], change_["actor_is_admin"]) == (False, False)


async def test_a_node_group_in_a_create_body_takes_no_override(gw: httpx.AsyncClient) -> None:
    body = {**CREATE, "node_groups": [{**node_group("a"), "budget_override": True}]}
    response = await gw.post(AWS, json=body, headers=as_("admin"))

    assert response.status_code == 422, response.text


async def test_create_without_a_network_leaves_the_choice_to_provisioning(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    response = await gw.post(BASE.format(provider="gcp"), json=CREATE, headers=as_("user"))

    assert response.status_code == 202, response.text
    [(name, request)] = provisioning.sent()
    assert name == "CreateCluster"
    assert request["provider"] == "gcp"
    assert "network" not in request
    assert "node_groups" not in request


async def test_upgrade(gw: httpx.AsyncClient, provisioning: FakeProvisioning) -> None:
    response = await gw.patch(f"{AWS}/{AWS_CLUSTER}", json={"version": "1.31"}, headers=as_("user"))

    assert response.status_code == 202, response.text
    envelope = response.json()
    assert envelope["success"] is True
    assert envelope["data"]["target_version"] == "1.31"
    assert "1.31" in envelope["message"]
    assert provisioning.sent() == [("UpgradeCluster", change(version="1.31"))]


async def test_reconcile(gw: httpx.AsyncClient, provisioning: FakeProvisioning) -> None:
    response = await gw.post(f"{AWS}/{AWS_CLUSTER}/reconcile", headers=as_("user"))

    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert data["actions"] == [{"field": "tags.team", "action": "update"}]
    assert data["cluster"]["id"] == AWS_CLUSTER
    assert provisioning.sent() == [("ReconcileCluster", change())]


async def test_discover_is_a_read_and_not_taken_for_a_cluster_id(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    response = await gw.get(
        f"{AWS}/discover",
        params={"credential_id": CREDENTIAL, "region": "us-east-1"},
        headers=as_("viewer"),
    )

    assert response.status_code == 200, response.text
    [found] = response.json()["data"]
    assert found["name"] == "legacy"
    assert found["tracked_by"] is None
    assert provisioning.sent() == [
        (
            "DiscoverClusters",
            {
                "workspace_id": WORKSPACE,
                "provider": "aws",
                "credential_id": CREDENTIAL,
                "region": "us-east-1",
            },
        )
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"credential_id": "not-a-uuid", "region": "us-east-1"}, "query.credential_id"),
        ({"region": "us-east-1"}, "query.credential_id"),
        ({"credential_id": CREDENTIAL, "region": "US East"}, "query.region"),
        ({"credential_id": CREDENTIAL}, "query.region"),
    ],
)
async def test_discover_refuses_bad_query_parameters_clearly(
    gw: httpx.AsyncClient,
    provisioning: FakeProvisioning,
    params: dict[str, str],
    field: str,
) -> None:
    response = await gw.get(f"{AWS}/discover", params=params, headers=as_("viewer"))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["message"]
    assert [e["field"] for e in error["details"]["errors"]] == [field]
    assert "not-a-uuid" not in response.text  # submitted values are never echoed
    assert provisioning.calls == []


@pytest.mark.parametrize(
    ("provider", "extra"),
    [
        ("azure", {"resource_group": "rg-legacy", "tags": {"team": "ops"}}),
        ("aws", {}),
        ("gcp", {"tags": {"imported": "yes"}}),
    ],
)
async def test_import(
    gw: httpx.AsyncClient,
    provisioning: FakeProvisioning,
    provider: str,
    extra: dict[str, Any],
) -> None:
    region = {"aws": "us-east-1", "gcp": "us-central1", "azure": "westeurope"}[provider]
    body = {"credential_id": CREDENTIAL, "region": region, "name": "legacy", **extra}

    response = await gw.post(
        f"{BASE.format(provider=provider)}/import", json=body, headers=as_("user")
    )

    assert response.status_code == 201, response.text
    assert response.json()["data"]["managed"] is False
    assert provisioning.sent() == [
        (
            "ImportCluster",
            {**body, "workspace_id": WORKSPACE, "actor_id": USER, "provider": provider},
        )
    ]


async def test_promote(gw: httpx.AsyncClient, provisioning: FakeProvisioning) -> None:
    response = await gw.post(f"{AWS}/{AWS_CLUSTER}/promote", headers=as_("user"))

    assert response.status_code == 200, response.text
    assert response.json()["data"]["managed"] is True
    assert provisioning.sent() == [("PromoteCluster", change())]


async def test_forget(gw: httpx.AsyncClient, provisioning: FakeProvisioning) -> None:
    response = await gw.post(f"{AWS}/{AWS_CLUSTER}/forget", headers=as_("user"))

    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] == "DELETED"
    assert "cloud was not changed" in response.json()["message"]
    assert provisioning.sent() == [("ForgetCluster", change())]


@pytest.mark.parametrize(
    ("query", "asked"), [("", {}), ("?include_deleted=true", {"include_deleted": True})]
)
async def test_a_deleted_cluster_is_read_only_when_asked_for(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning, query: str, asked: dict[str, Any]
) -> None:
    response = await gw.get(f"{AWS}/{AWS_CLUSTER}{query}", headers=as_("viewer"))

    assert response.status_code == 200, response.text
    key = {"workspace_id": WORKSPACE, "provider": "aws", "cluster_id": AWS_CLUSTER}
    assert provisioning.sent() == [("GetCluster", {**key, **asked})]


async def test_kubeconfig_is_one_call_named_after_the_cluster(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    response = await gw.get(f"{AWS}/{AWS_CLUSTER}/kubeconfig", headers=as_("user"))

    assert response.status_code == 200, response.text
    assert response.text == '{"apiVersion": "v1", "kind": "Config"}'
    assert response.headers["content-disposition"] == 'attachment; filename="web-kubeconfig.yaml"'
    assert response.headers["x-credential-expires-at"] == "2026-01-01T00:15:00+00:00"
    assert response.headers["cache-control"] == "no-store"
    assert provisioning.sent() == [
        ("GetKubeconfig", {**change(), "mode": "exec", "actor_type": "user"})
    ]
    await gw.get(f"{AWS}/{AWS_CLUSTER}/kubeconfig?mode=static", headers=as_("user"))
    assert provisioning.sent()[-1][1]["mode"] == "static"
