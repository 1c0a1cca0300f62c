"""The cluster lifecycle routes (create with node groups and a network, upgrade,
reconcile, discover, import, promote, forget) through the real gateway app, in process. Tokens
are really signed and verified; provisioning is a fake that records every call and
answers with replies that satisfy the contracts. Every recorded request and reply is
checked against its contract when a test reads the calls."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from jwt.algorithms import OKPAlgorithm

from skyclust_common.contracts import load_registry
from skyclust_common.errors import NotFound
from skyclust_gateway.app import create_app
from skyclust_gateway.auth import JwksCache, TokenVerifier
from skyclust_gateway.routers.deps import Services, services
from skyclust_gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit

REGISTRY = load_registry()
KEY = Ed25519PrivateKey.generate()
WORKSPACE = str(uuid.uuid4())
USER = str(uuid.uuid4())
CREDENTIAL = str(uuid.uuid4())
AWS_CLUSTER = str(uuid.uuid4())
BASE = "/api/v1/{provider}/kubernetes/clusters"
AWS = BASE.format(provider="aws")


class Keys(JwksCache):
    def __init__(self) -> None:
        super().__init__(bus=None, ttl=300)

    async def jwks(self) -> dict[str, Any]:
        public: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(KEY.public_key()))
        return {"keys": [{**public, "kid": "k1", "alg": "EdDSA", "use": "sig"}]}


def as_(role: str) -> dict[str, str]:
    now = int(time.time())
    claims = {
        "sub": USER,
        "wid": WORKSPACE,
        "role": role,
        "iss": "skyclust",
        "aud": "skyclust-api",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "typ": "access",
        "sid": "s1",
    }
    token = jwt.encode(claims, KEY, algorithm="EdDSA", headers={"kid": "k1"})
    return {"Authorization": f"Bearer {token}"}


def cluster_view(**changes: Any) -> dict[str, Any]:
    now = "2026-01-01T00:00:00+00:00"
    view: dict[str, Any] = {
        "id": AWS_CLUSTER,
        "workspace_id": WORKSPACE,
        "provider": "aws",
        "name": "web",
        "version": "1.30",
        "region": "us-east-1",
        "credential_id": CREDENTIAL,
        "status": "READY",
        "status_reason": None,
        "status_message": None,
        "endpoint": "https://ABC.gr7.us-east-1.eks.amazonaws.com",
        "cloud_id": "arn:aws:eks:us-east-1:123456789012:cluster/web",
        "tags": {"team": "web"},
        "aws_config": None,
        "created_by": USER,
        "created_at": now,
        "updated_at": now,
        "gcp_config": None,
        "azure_config": None,
        "conditions": [],
        "step": None,
        "progress": 100,
        "network": None,
        "managed": True,
        "target_version": None,
        "drift": [],
        "drift_checked_at": None,
    }
    return {**view, **changes}


class FakeProvisioning(Services):
    """Provisioning's queries, answered from one AWS cluster. Like provisioning, it
    answers CLUSTER_NOT_FOUND for a request on a cluster of another workspace or
    another provider than the one the request names."""

    def __init__(self) -> None:
        self.cluster = cluster_view(
            drift=[{"field": "tags.team", "desired": "web", "actual": "ops"}],
            drift_checked_at="2026-01-01T01:00:00+00:00",
        )
        self.calls: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []

    async def call(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        assert service == "provisioning"
        self.calls.append((name, data, None))
        reply = self._reply(name, data)
        self.calls[-1] = (name, data, reply)
        return reply

    def _reply(self, name: str, data: dict[str, Any]) -> dict[str, Any]:
        if name not in ("CreateCluster", "ImportCluster", "DiscoverClusters") and (
            data["cluster_id"] != self.cluster["id"]
            or data["workspace_id"] != self.cluster["workspace_id"]
            or data.get("provider", self.cluster["provider"]) != self.cluster["provider"]
        ):
            raise NotFound("cluster not found", code="CLUSTER_NOT_FOUND")
        if name == "GetCluster":
            return self.cluster
        if name == "CreateCluster":
            return cluster_view(
                id=str(uuid.uuid4()),
                provider=data["provider"],
                name=data["name"],
                status="PENDING",
                step="network",
                progress=0,
                endpoint=None,
                cloud_id=None,
            )
        if name == "UpgradeCluster":
            return {
                **self.cluster,
                "status": "UPDATING",
                "target_version": data["version"],
                "step": "upgrade-control-plane",
                "progress": 0,
            }
        if name == "ReconcileCluster":
            return {
                "cluster": {**self.cluster, "status": "UPDATING"},
                "actions": [{"field": "tags.team", "action": "update"}],
            }
        if name == "DiscoverClusters":
            return {
                "items": [
                    {
                        "name": "legacy",
                        "cloud_id": "arn:aws:eks:us-east-1:123456789012:cluster/legacy",
                        "status": "ACTIVE",
                        "version": "1.29",
                        "endpoint": None,
                        "resource_group": None,
                        "tracked_by": None,
                        "node_groups": [
                            {
                                "name": "default",
                                "status": "ACTIVE",
                                "version": "1.29",
                                "instance_type": "m5.large",
                                "min_size": 1,
                                "max_size": 3,
                                "desired_size": 2,
                            }
                        ],
                    }
                ]
            }
        if name == "ImportCluster":
            return cluster_view(
                id=str(uuid.uuid4()),
                provider=data["provider"],
                name=data["name"],
                region=data["region"],
                managed=False,
            )
        if name == "PromoteCluster":
            return {**self.cluster, "managed": True}
        if name == "ForgetCluster":
            return {**self.cluster, "status": "DELETED"}
        raise AssertionError(f"unexpected query {name}")

    def sent(self) -> list[tuple[str, dict[str, Any]]]:
        """The queries sent, each request and reply checked against its contract."""
        for name, request, reply in self.calls:
            REGISTRY.validate(name, request, part="request")
            if reply is not None:
                REGISTRY.validate(name, reply, part="reply")
        return [(name, request) for name, request, _ in self.calls]


@pytest.fixture
def provisioning() -> FakeProvisioning:
    return FakeProvisioning()


@pytest.fixture(scope="module")
def app() -> FastAPI:
    # One app for the module: an app's first request costs FastAPI a quarter second.
    app = create_app(GatewaySettings(nats_url="nats://127.0.0.1:1"))
    app.state.verifier = TokenVerifier(Keys(), "skyclust", "skyclust-api")
    return app


@pytest.fixture
async def gw(app: FastAPI, provisioning: FakeProvisioning) -> AsyncIterator[httpx.AsyncClient]:
    app.dependency_overrides[services] = lambda: provisioning
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        yield client


def change(**extra: Any) -> dict[str, Any]:
    return {
        "workspace_id": WORKSPACE,
        "provider": "aws",
        "cluster_id": AWS_CLUSTER,
        "actor_id": USER,
        **extra,
    }


def node_group(name: str) -> dict[str, Any]:
    return {"name": name, "min_size": 1, "max_size": 3, "desired_size": 2}


CREATE = {"credential_id": CREDENTIAL, "name": "web", "version": "1.31", "region": "us-east-1"}
VPC = str(uuid.uuid4())
SUBNETS = [str(uuid.uuid4()), str(uuid.uuid4())]


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
            },
        )
    ]


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
