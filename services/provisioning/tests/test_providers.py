"""One behaviour suite for every ClusterProvider: the in-memory fake, EKS on moto, GKE
on the GCP emulator and AKS on the Azure emulator, each through its real SDK."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from skyclust_common.errors import ProviderError
from skyclust_provisioning.adapters.providers.aws import EksProvider
from skyclust_provisioning.adapters.providers.azure import AksProvider
from skyclust_provisioning.adapters.providers.base import ClusterProvider
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.adapters.providers.gcp import GkeProvider
from skyclust_provisioning.domain.cluster import ClusterSpec
from skyclust_provisioning.domain.node_group import NodeGroupSpec, Taint
from skyclust_tools.embedded import MotoServer, free_port, scratch_dir
from skyclust_tools.emulators import azure as azure_emulator
from skyclust_tools.emulators import gcp as gcp_emulator

pytestmark = pytest.mark.integration


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


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer(port=free_port()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gcp() -> Iterator[Any]:
    with gcp_emulator.run_in_thread(durations={"default": 0}) as running:
        yield running


@pytest.fixture(scope="module")
def azure() -> Iterator[Any]:
    tls = scratch_dir("sc-aks-tls-")
    with azure_emulator.run_in_thread(durations={"default": 0}, tls_dir=tls) as running:
        yield running
    shutil.rmtree(tls, ignore_errors=True)


@pytest.fixture(params=["fake", "aws", "gcp", "azure"])
def cloud(request: pytest.FixtureRequest) -> Cloud:
    return make_cloud(request, request.param)


@pytest.fixture(params=["gcp", "azure"])
def emulated(request: pytest.FixtureRequest) -> Cloud:
    """The clouds that check credentials and can be made to fail (moto does neither)."""
    return make_cloud(request, request.param)


def make_cloud(request: pytest.FixtureRequest, name: str) -> Cloud:
    if name == "fake":
        return Cloud("fake", FakeClusterProvider(polls_until_active=2), {}, "us-east-1")
    if name == "aws":
        moto = request.getfixturevalue("moto")
        moto.reset()
        aws_key = {"access_key_id": "AKIAEXAMPLEEXAMPLE12", "secret_access_key": "s" * 40}
        return Cloud("aws", EksProvider(moto.url), aws_key, "us-east-1", version="1.29")
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


async def test_create_is_idempotent_and_becomes_active(cloud: Cloud) -> None:
    spec = spec_for(cloud)
    first = await cloud.provider.create(spec, cloud.credential)
    again = await cloud.provider.create(spec, cloud.credential)
    assert again.cloud_id == first.cloud_id
    assert first.owner == spec.cluster_id

    async def active() -> Any:
        view = await cloud.provider.describe(spec, cloud.credential)
        return view if view is not None and view.active else None

    ready = await until(active)
    assert ready.endpoint and ready.endpoint.startswith("https://")
    assert ready.version


async def test_a_name_in_use_by_someone_else_is_refused(cloud: Cloud) -> None:
    mine = spec_for(cloud)
    await cloud.provider.create(mine, cloud.credential)
    theirs = spec_for(cloud, name=mine.name)
    with pytest.raises(ProviderError) as info:
        await cloud.provider.create(theirs, cloud.credential)
    assert info.value.code == "CLUSTER_NAME_TAKEN"
    assert not info.value.retryable
    assert await cloud.provider.describe(theirs, cloud.credential) is None
    await cloud.provider.delete(theirs, cloud.credential)  # never touches mine
    assert await cloud.provider.describe(mine, cloud.credential) is not None


async def test_delete_is_idempotent_and_ends_in_not_found(cloud: Cloud) -> None:
    spec = spec_for(cloud)
    await cloud.provider.create(spec, cloud.credential)
    await until(lambda: _active(cloud, spec))
    await cloud.provider.delete(spec, cloud.credential)
    await cloud.provider.delete(spec, cloud.credential)

    async def gone() -> bool:
        return await cloud.provider.describe(spec, cloud.credential) is None

    assert await until(gone)


async def _active(cloud: Cloud, spec: ClusterSpec) -> bool:
    view = await cloud.provider.describe(spec, cloud.credential)
    return view is not None and view.active


async def test_wrong_credentials_are_a_permanent_auth_error(emulated: Cloud) -> None:
    cloud = emulated
    assert cloud.bad_credential is not None
    with pytest.raises(ProviderError) as info:
        await cloud.provider.create(spec_for(cloud), cloud.bad_credential)
    assert info.value.code == "PROVIDER_AUTH_FAILED"
    assert not info.value.retryable


async def test_throttling_is_retryable_and_is_not_taken_for_absence(emulated: Cloud) -> None:
    cloud = emulated
    spec = spec_for(cloud)
    await cloud.provider.create(spec, cloud.credential)
    cloud.admin.inject_fault(spec.name, method="GET", status=429, times=None)
    with pytest.raises(ProviderError) as info:
        await cloud.provider.describe(spec, cloud.credential)
    assert info.value.code == "PROVIDER_THROTTLED"
    assert info.value.retryable
    cloud.admin.clear_faults()
    assert await cloud.provider.describe(spec, cloud.credential) is not None


# node groups ---------------------------------------------------------------------


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


async def test_node_group_lifecycle(cloud: Cloud) -> None:
    """One cluster per cloud (they are slow to make): create twice, scale and relabel,
    refuse a stranger's same-named group, delete twice."""
    cluster = await ready_cluster(cloud)
    group = group_for(cluster)
    first = await cloud.provider.create_node_group(cluster, group, cloud.credential)
    again = await cloud.provider.create_node_group(cluster, group, cloud.credential)
    assert again.cloud_id == first.cloud_id
    assert first.owner == group.node_group_id
    ready = await until(lambda: _group_active(cloud, cluster, group))
    assert (ready.min_size, ready.max_size, ready.desired_size) == (1, 3, 2)
    assert ready.labels == {"tier": "web"}
    assert ready.taints == (Taint("dedicated", "web", "NoSchedule"),)
    assert ready.matches(group)

    changed = dataclasses.replace(
        group, min_size=2, max_size=5, desired_size=4, labels={"tier": "api"}, taints=()
    )

    async def converged() -> bool:
        view = await cloud.provider.describe_node_group(cluster, changed, cloud.credential)
        assert view is not None
        if view.active and view.matches(changed):
            return True
        await cloud.provider.update_node_group(cluster, changed, cloud.credential)
        return False

    assert await until(converged)
    view = await cloud.provider.describe_node_group(cluster, changed, cloud.credential)
    assert view is not None
    assert (view.min_size, view.max_size, view.desired_size) == (2, 5, 4)
    assert (view.labels, view.taints) == ({"tier": "api"}, ())

    theirs = group_for(cluster, name=group.name)
    with pytest.raises(ProviderError) as info:
        await cloud.provider.create_node_group(cluster, theirs, cloud.credential)
    assert info.value.code == "NODE_GROUP_NAME_TAKEN"
    assert not info.value.retryable
    assert await cloud.provider.describe_node_group(cluster, theirs, cloud.credential) is None
    await cloud.provider.delete_node_group(cluster, theirs, cloud.credential)  # not mine
    assert await cloud.provider.describe_node_group(cluster, group, cloud.credential) is not None

    await cloud.provider.delete_node_group(cluster, group, cloud.credential)
    await cloud.provider.delete_node_group(cluster, group, cloud.credential)

    async def gone() -> bool:
        return await cloud.provider.describe_node_group(cluster, group, cloud.credential) is None

    assert await until(gone)


async def test_node_group_throttling_is_not_taken_for_absence(emulated: Cloud) -> None:
    cloud = emulated
    cluster = await ready_cluster(cloud)
    group = group_for(cluster)
    await cloud.provider.create_node_group(cluster, group, cloud.credential)
    cloud.admin.inject_fault(group.name, method="GET", status=429, times=None)
    with pytest.raises(ProviderError) as info:
        await cloud.provider.describe_node_group(cluster, group, cloud.credential)
    assert info.value.code == "PROVIDER_THROTTLED"
    assert info.value.retryable
    with pytest.raises(ProviderError):
        await cloud.provider.delete_node_group(cluster, group, cloud.credential)
    cloud.admin.clear_faults()
    assert await cloud.provider.describe_node_group(cluster, group, cloud.credential) is not None


# kubeconfig ----------------------------------------------------------------------


async def test_kubeconfig_has_the_endpoint_and_a_short_lived_credential(cloud: Cloud) -> None:
    with pytest.raises(ProviderError) as info:
        await cloud.provider.kubeconfig(spec_for(cloud), cloud.credential)
    assert info.value.code == "PROVIDER_RESOURCE_LOST"
    assert not info.value.retryable

    cluster = await ready_cluster(cloud)
    view = await cloud.provider.describe(cluster, cloud.credential)
    assert view is not None and view.endpoint
    issued = await cloud.provider.kubeconfig(cluster, cloud.credential)
    text = issued.kubeconfig
    if cloud.name == "azure":  # the cloud's own YAML document
        assert "kind: Config" in text
        assert view.endpoint.removeprefix("https://") in text
        assert "token:" in text
        return
    config = json.loads(text)
    server = config["clusters"][0]["cluster"]["server"]
    assert server.rstrip("/").startswith(view.endpoint.rstrip("/"))
    assert config["clusters"][0]["cluster"]["certificate-authority-data"]
    token = config["users"][0]["user"]["token"]
    assert config["current-context"] == cluster.name
    assert issued.expires_at is not None
    assert issued.expires_at > datetime.now(UTC)
    if cloud.name == "aws":
        assert token.startswith("k8s-aws-v1.")
        url = base64.urlsafe_b64decode(token.removeprefix("k8s-aws-v1.") + "==").decode()
        assert url.startswith("https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity")
        assert "x-k8s-aws-id" in url and "X-Amz-Signature=" in url
        assert cloud.credential["secret_access_key"] not in text
    if cloud.name == "gcp":
        assert token.startswith("ya29.")
        assert cloud.credential["service_account_json"] not in text
