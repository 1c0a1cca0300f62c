"""The clouds of the ClusterProvider behaviour suite, and the helpers its tests share:
specs, polling, and SDK clients for reading a cloud behind the provider's back."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from skyclust_provisioning.adapters.providers.aws import EksProvider
from skyclust_provisioning.adapters.providers.azure import AksProvider
from skyclust_provisioning.adapters.providers.base import ClusterProvider
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.adapters.providers.gcp import GkeProvider
from skyclust_provisioning.domain.cluster import ClusterSpec
from skyclust_provisioning.domain.node_group import NodeGroupSpec, Taint


@dataclass
class Cloud:
    name: str
    provider: ClusterProvider
    credential: dict[str, Any]
    region: str
    version: str = "1.31"
    bad_credential: dict[str, Any] | None = None
    admin: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    endpoint: str | None = None  # for the SDK calls tests make behind the provider's back
    ca_bundle: str | None = None


def make_cloud(request: pytest.FixtureRequest, name: str) -> Cloud:
    if name == "fake":
        return Cloud("fake", FakeClusterProvider(polls_until_active=2), {}, "us-east-1")
    if name == "aws":
        moto = request.getfixturevalue("moto")
        moto.reset()
        aws_key = {"access_key_id": "AKIAEXAMPLEEXAMPLE12", "secret_access_key": "s" * 40}
        return Cloud(
            "aws", EksProvider(moto.url), aws_key, "us-east-1", version="1.29", endpoint=moto.url
        )
    if name == "gcp":
        emulator = request.getfixturevalue("gcp")
        emulator.admin.reset()
        key = emulator.admin.create_service_account_key("skyclust-test")
        stranger = emulator.admin.create_service_account_key("skyclust-test")
        emulator.admin.revoke_key(stranger["private_key_id"])
        return Cloud(
            "gcp",
            GkeProvider(emulator.url),
            {"service_account_json": json.dumps(key)},
            "us-central1",
            bad_credential={"service_account_json": json.dumps(stranger)},
            admin=emulator.admin,
            endpoint=emulator.url,
        )
    emulator = request.getfixturevalue("azure")
    emulator.admin.reset()
    account = emulator.admin.create_account()
    fields = ("tenant_id", "client_id", "client_secret", "subscription_id")
    credential = {k: account[k] for k in fields}
    return Cloud(
        "azure",
        AksProvider(emulator.url, str(emulator.ca_bundle)),
        credential,
        "westeurope",
        bad_credential={**credential, "client_secret": "not-the-secret"},
        admin=emulator.admin,
        endpoint=emulator.url,
        ca_bundle=str(emulator.ca_bundle),
    )


def spec_for(cloud: Cloud, name: str | None = None) -> ClusterSpec:
    return ClusterSpec(
        cluster_id=str(uuid.uuid4()),
        workspace_id=str(uuid.uuid4()),
        provider=cloud.name,
        name=name or f"c{uuid.uuid4().hex[:8]}",
        version=cloud.version,
        region=cloud.region,
        credential_id=str(uuid.uuid4()),
        tags={"Team": "Platform"},
    )


async def until(check: Any, tries: int = 60) -> Any:
    for _ in range(tries):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition never became true")


async def _active(cloud: Cloud, spec: ClusterSpec) -> bool:
    view = await cloud.provider.describe(spec, cloud.credential)
    return view is not None and view.active


def group_for(cluster: ClusterSpec, name: str | None = None, **changes: Any) -> NodeGroupSpec:
    values: dict[str, Any] = {
        "node_group_id": str(uuid.uuid4()),
        "cluster_id": cluster.cluster_id,
        "name": name or f"ng{uuid.uuid4().hex[:8]}",
        "instance_type": None,
        "min_size": 1,
        "max_size": 3,
        "desired_size": 2,
        "labels": {"tier": "web"},
        "taints": (Taint("dedicated", "web", "NoSchedule"),),
    }
    values.update(changes)
    return NodeGroupSpec(**values)


async def ready_cluster(cloud: Cloud) -> ClusterSpec:
    spec = spec_for(cloud)
    await cloud.provider.create(spec, cloud.credential)
    await until(lambda: _active(cloud, spec))
    return spec


async def _group_active(cloud: Cloud, cluster: ClusterSpec, group: NodeGroupSpec) -> Any:
    view = await cloud.provider.describe_node_group(cluster, group, cloud.credential)
    return view if view is not None and view.active else None


def _aws(cloud: Cloud, service: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=cloud.endpoint,
        region_name=cloud.region,
        aws_access_key_id=cloud.credential["access_key_id"],
        aws_secret_access_key=cloud.credential["secret_access_key"],
    )


def _gcp(cloud: Cloud, factory: str = "gke_client") -> tuple[Any, str]:
    """A client of skyclust_common.cloud's `factory`, and the project."""
    from skyclust_common import cloud as clouds

    key = json.loads(cloud.credential["service_account_json"])
    return getattr(clouds, factory)(key, cloud.endpoint), str(key["project_id"])


def _azure(cloud: Cloud, factory: str) -> Any:
    """A client of skyclust_common.cloud's `factory` ("aks_client"...)."""
    from skyclust_common import cloud as clouds

    c = cloud.credential
    token = clouds.azure_credential(
        c["tenant_id"],
        c["client_id"],
        c["client_secret"],
        cloud.endpoint,
        ca_bundle=cloud.ca_bundle,
    )
    return getattr(clouds, factory)(
        token, c["subscription_id"], cloud.endpoint, ca_bundle=cloud.ca_bundle
    )
