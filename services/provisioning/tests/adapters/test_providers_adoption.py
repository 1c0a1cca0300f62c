"""Every ClusterProvider discovers a cluster made elsewhere and claims it."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest

from skyclust_common.errors import ProviderError
from skyclust_provisioning.adapters.providers.base import same_minor
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider

from .cloud_harness import (
    Cloud,
    _aws,
    _azure,
    _gcp,
    group_for,
    spec_for,
    until,
)

pytestmark = pytest.mark.integration


# adoption ------------------------------------------------------------------------

ADOPTED_GROUP = "workers"


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
