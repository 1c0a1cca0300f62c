"""Every ClusterProvider puts a cluster into the network the network service gives it."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest

from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.domain.cluster import ClusterSpec
from skyclust_provisioning.domain.node_group import NodeGroupSpec

from .cloud_harness import (
    Cloud,
    _active,
    _aws,
    _azure,
    _gcp,
    _group_active,
    group_for,
    spec_for,
    until,
)

pytestmark = pytest.mark.integration


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
