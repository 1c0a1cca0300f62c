"""One behaviour suite for every ClusterProvider: the in-memory fake, EKS on moto, GKE
on the GCP emulator and AKS on the Azure emulator, each through its real SDK."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import re
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
from skyclust_provisioning.adapters.providers.base import ClusterProvider, same_minor
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
    endpoint: str | None = None  # for the SDK calls tests make behind the provider's back
    ca_bundle: str | None = None


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    # EKS version updates take a moment, so that upgrades are seen under way.
    server = MotoServer(port=free_port(), duration_seconds=0.2).start()
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


# versions and upgrades -----------------------------------------------------------


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


async def test_upgrades_move_one_minor_up_control_plane_then_nodes(cloud: Cloud) -> None:
    versions = await cloud.provider.versions(cloud.region, cloud.credential)
    assert all(re.fullmatch(r"\d+\.\d+", v) for v in versions)
    assert versions == sorted(set(versions), key=_minor)
    assert cloud.version in versions
    target = versions[versions.index(cloud.version) + 1]

    cluster = await ready_cluster(cloud)
    group = group_for(cluster)
    await cloud.provider.create_node_group(cluster, group, cloud.credential)
    nodes = await until(lambda: _group_active(cloud, cluster, group))
    assert same_minor(nodes.version, cloud.version)
    assert nodes.instance_type

    await cloud.provider.upgrade(cluster, target, cloud.credential)
    await cloud.provider.upgrade(cluster, target, cloud.credential)  # on its way: nothing

    async def upgraded() -> Any:
        view = await cloud.provider.describe(cluster, cloud.credential)
        assert view is not None
        return view if view.active and same_minor(view.version, target) else None

    assert await until(upgraded)

    await cloud.provider.upgrade_node_group(cluster, group, target, cloud.credential)
    await cloud.provider.upgrade_node_group(cluster, group, target, cloud.credential)

    async def nodes_upgraded() -> Any:
        view = await _group_active(cloud, cluster, group)
        return view if view is not None and same_minor(view.version, target) else None

    assert await until(nodes_upgraded)
    await cloud.provider.upgrade(cluster, target, cloud.credential)  # there already: nothing
    view = await cloud.provider.describe(cluster, cloud.credential)
    assert view is not None and view.active and same_minor(view.version, target)


# adoption ------------------------------------------------------------------------

ADOPTED_GROUP = "workers"


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


def _make_unmanaged_cluster(cloud: Cloud, name: str) -> None:
    """A cluster with one node group, made straight through the SDK, with no owner tags."""
    if isinstance(cloud.provider, FakeClusterProvider):
        cloud.provider.add_unmanaged_cluster(
            cloud.region, name, version=cloud.version, node_groups=(ADOPTED_GROUP,)
        )
    elif cloud.name == "aws":
        eks, ec2 = _aws(cloud, "eks"), _aws(cloud, "ec2")
        subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
        role = "arn:aws:iam::123456789012:role/someone-elses"
        eks.create_cluster(
            name=name,
            version=cloud.version,
            roleArn=role,
            resourcesVpcConfig={"subnetIds": subnets},
        )
        eks.create_nodegroup(
            clusterName=name, nodegroupName=ADOPTED_GROUP, subnets=subnets, nodeRole=role
        )
    elif cloud.name == "gcp":
        from google.cloud.container_v1 import Cluster, NodePool

        gke, project = _gcp(cloud)
        gke.create_cluster(
            parent=f"projects/{project}/locations/{cloud.region}",
            cluster=Cluster(
                name=name,
                initial_cluster_version=cloud.version,
                node_pools=[NodePool(name=ADOPTED_GROUP, initial_node_count=1)],
            ),
        )
    else:
        resources = _azure(cloud, "azure_resource_client")
        resources.resource_groups.create_or_update("someone-elses", {"location": cloud.region})
        _azure(cloud, "aks_client").managed_clusters.begin_create_or_update(
            "someone-elses",
            name,
            {
                "location": cloud.region,
                "identity": {"type": "SystemAssigned"},
                "properties": {
                    "dnsPrefix": name,
                    "kubernetesVersion": cloud.version,
                    "agentPoolProfiles": [{"name": ADOPTED_GROUP, "count": 1, "mode": "System"}],
                },
            },
            polling=False,  # the emulator finishes at once; a poller would sleep a second
        )


async def test_a_cluster_made_elsewhere_is_discovered_then_claimed(cloud: Cloud) -> None:
    name = f"c{uuid.uuid4().hex[:8]}"
    _make_unmanaged_cluster(cloud, name)

    async def discovered() -> Any:
        found = await cloud.provider.discover(cloud.region, cloud.credential)
        return next((c for c in found if c.name == name and c.cloud.active), None)

    found = await until(discovered)
    assert found.cloud.owner is None
    assert same_minor(found.cloud.version, cloud.version)
    assert ADOPTED_GROUP in [g.name for g in found.node_groups]
    assert all(g.cloud.owner is None for g in found.node_groups)
    assert (found.resource_group is not None) == (cloud.name == "azure")

    spec = spec_for(cloud, name=name)
    if found.resource_group:
        spec = dataclasses.replace(spec, azure_config={"resource_group": found.resource_group})
    group = group_for(spec, name=ADOPTED_GROUP)
    assert await cloud.provider.describe(spec, cloud.credential) is None  # not ours yet
    await cloud.provider.claim(spec, [group], cloud.credential)
    await cloud.provider.claim(spec, [group], cloud.credential)  # claimed already: nothing

    async def claimed() -> Any:
        return await cloud.provider.describe(spec, cloud.credential)

    view = await until(claimed)
    assert view.owner == spec.cluster_id
    nodes = await cloud.provider.describe_node_group(spec, group, cloud.credential)
    assert nodes is not None and nodes.owner == group.node_group_id

    stranger = dataclasses.replace(spec, cluster_id=str(uuid.uuid4()))
    with pytest.raises(ProviderError) as info:
        await cloud.provider.claim(stranger, [], cloud.credential)
    assert info.value.code == "CLUSTER_ALREADY_MANAGED"
    with pytest.raises(ProviderError) as lost:
        await cloud.provider.claim(spec_for(cloud), [], cloud.credential)
    assert lost.value.code == "PROVIDER_RESOURCE_LOST"


# the network service's network ---------------------------------------------------


def _make_network(cloud: Cloud) -> dict[str, Any]:
    """A network made straight through the SDK, with cloud ids as the network service
    stores them."""
    suffix = uuid.uuid4().hex[:6]
    if isinstance(cloud.provider, FakeClusterProvider):
        return {
            "vpc_cloud_id": "vpc-fake",
            "resource_group": None,
            "subnet_cloud_ids": ["subnet-a", "subnet-b"],
            "security_group_cloud_ids": ["sg-a"],
        }
    if cloud.name == "aws":
        ec2 = _aws(cloud, "ec2")
        vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=zone)[
                "Subnet"
            ]["SubnetId"]
            for i, zone in enumerate(("us-east-1a", "us-east-1b"))
        ]
        group = ec2.create_security_group(
            GroupName=f"sc-{suffix}", Description="cluster", VpcId=vpc
        )["GroupId"]
        return {
            "vpc_cloud_id": vpc,
            "resource_group": None,
            "subnet_cloud_ids": subnets,
            "security_group_cloud_ids": [group],
        }
    if cloud.name == "gcp":
        from google.cloud import compute_v1

        compute, project = _gcp(cloud, "compute_clients")
        compute.networks.insert(
            project=project,
            network_resource=compute_v1.Network(
                name=f"net-{suffix}", auto_create_subnetworks=False
            ),
        ).result(timeout=10)
        network = compute.networks.get(project=project, network=f"net-{suffix}")
        compute.subnetworks.insert(
            project=project,
            region=cloud.region,
            subnetwork_resource=compute_v1.Subnetwork(
                name=f"nodes-{suffix}", network=network.self_link, ip_cidr_range="10.42.0.0/20"
            ),
        ).result(timeout=10)
        subnet = compute.subnetworks.get(
            project=project, region=cloud.region, subnetwork=f"nodes-{suffix}"
        )
        return {
            "vpc_cloud_id": network.self_link,
            "resource_group": None,
            "subnet_cloud_ids": [subnet.self_link],
            "security_group_cloud_ids": [],
        }
    # Through the generic ARM resource API: the network SDK takes seconds to import.
    resources = _azure(cloud, "azure_resource_client")
    group = f"net-{suffix}"
    resources.resource_groups.create_or_update(group, {"location": cloud.region})
    vnet_id = (
        f"/subscriptions/{cloud.credential['subscription_id']}/resourceGroups/{group}"
        "/providers/Microsoft.Network/virtualNetworks/vnet"
    )
    resources.resources.begin_create_or_update_by_id(
        vnet_id,
        {
            "location": cloud.region,
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.42.0.0/16"]},
                "subnets": [{"name": "nodes", "properties": {"addressPrefix": "10.42.0.0/20"}}],
            },
        },
        api_version="2024-05-01",
        polling=False,
    )
    vnet = resources.resources.get_by_id(vnet_id, api_version="2024-05-01")
    return {
        "vpc_cloud_id": vnet.id,
        "resource_group": group,
        "subnet_cloud_ids": [vnet.properties["subnets"][0]["id"]],
        "security_group_cloud_ids": [],
    }


def _assert_placed(
    cloud: Cloud, spec: ClusterSpec, group: NodeGroupSpec, network: dict[str, Any]
) -> None:
    """The cloud (read behind the provider's back) has the cluster and its node group in
    the network's subnets."""
    subnets = network["subnet_cloud_ids"]
    if isinstance(cloud.provider, FakeClusterProvider):
        assert cloud.provider.clusters[(spec.region, spec.name)]["network"] == network
    elif cloud.name == "aws":
        eks = _aws(cloud, "eks")
        vpc_config = eks.describe_cluster(name=spec.name)["cluster"]["resourcesVpcConfig"]
        assert vpc_config["subnetIds"] == subnets
        assert vpc_config["securityGroupIds"] == network["security_group_cloud_ids"]
        assert vpc_config["vpcId"] == network["vpc_cloud_id"]
        nodes = eks.describe_nodegroup(clusterName=spec.name, nodegroupName=group.name)
        assert nodes["nodegroup"]["subnets"] == subnets
    elif cloud.name == "gcp":
        gke, project = _gcp(cloud)
        found = gke.get_cluster(
            name=f"projects/{project}/locations/{spec.region}/clusters/{spec.name}"
        )
        # GKE names the network and subnetwork it was given as links.
        assert found.network == network["vpc_cloud_id"].rsplit("/", 1)[-1]
        assert found.subnetwork == subnets[0].rsplit("/", 1)[-1]
    else:
        aks = _azure(cloud, "aks_client")
        resource_group = f"skyclust-{spec.name}"
        pools = {p.name: p for p in aks.agent_pools.list(resource_group, spec.name)}
        assert pools["system"].vnet_subnet_id == subnets[0]
        assert pools[group.name].vnet_subnet_id == subnets[0]


async def test_a_cluster_goes_into_the_network_it_is_given(cloud: Cloud) -> None:
    network = _make_network(cloud)
    spec = dataclasses.replace(spec_for(cloud), network=network)
    await cloud.provider.create(spec, cloud.credential)
    await until(lambda: _active(cloud, spec))
    group = group_for(spec)
    await cloud.provider.create_node_group(spec, group, cloud.credential)
    await until(lambda: _group_active(cloud, spec, group))
    _assert_placed(cloud, spec, group, network)
