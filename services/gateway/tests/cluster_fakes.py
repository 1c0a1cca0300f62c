"""Tokens, a fake provisioning that answers like the real one, and the requests the
cluster route tests expect."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, cast

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from skyclust_common.contracts import load_registry
from skyclust_common.errors import NotFound
from skyclust_common.messaging import Bus
from skyclust_gateway.auth import JwksCache
from skyclust_gateway.routers.deps import Services

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
        super().__init__(bus=cast(Bus, None), ttl=300)

    async def jwks(self) -> dict[str, Any]:
        public: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(KEY.public_key()))
        return {"keys": [{**public, "kid": "k1", "alg": "EdDSA", "use": "sig"}]}


def as_(role: str, workspace_id: str = WORKSPACE) -> dict[str, str]:
    now = int(time.time())
    claims = {
        "sub": USER,
        "wid": workspace_id,
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
        if name in ("CreateNodeGroup", "UpdateNodeGroup"):
            now = "2026-01-01T00:00:00+00:00"
            return {
                "id": data.get("node_group_id") or str(uuid.uuid4()),
                "workspace_id": data["workspace_id"],
                "cluster_id": data["cluster_id"],
                "name": data.get("name", "workers"),
                "instance_type": data.get("instance_type"),
                "min_size": data.get("min_size", 1),
                "max_size": data.get("max_size", 3),
                "desired_size": data.get("desired_size", 2),
                "labels": {},
                "taints": [],
                "status": "PENDING" if name == "CreateNodeGroup" else "UPDATING",
                "status_reason": None,
                "status_message": None,
                "cloud_id": None,
                "created_by": data["actor_id"],
                "created_at": now,
                "updated_at": now,
                "warnings": [],
            }
        if name == "PromoteCluster":
            return {**self.cluster, "managed": True}
        if name == "ForgetCluster":
            return {**self.cluster, "status": "DELETED"}
        if name == "GetKubeconfig":
            return {
                "cluster_id": self.cluster["id"],
                "name": self.cluster["name"],
                "kubeconfig": '{"apiVersion": "v1", "kind": "Config"}',
                "expires_at": "2026-01-01T00:15:00+00:00",
            }
        raise AssertionError(f"unexpected query {name}")

    def sent(self) -> list[tuple[str, dict[str, Any]]]:
        """The queries sent, each request and reply checked against its contract."""
        for name, request, reply in self.calls:
            REGISTRY.validate(name, request, part="request")
            if reply is not None:
                REGISTRY.validate(name, reply, part="reply")
        return [(name, request) for name, request, _ in self.calls]


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
