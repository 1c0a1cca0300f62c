"""The cluster saga's delete runs against real PostgreSQL, with the in-memory cloud."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from skyclust_common.errors import (
    NotFound,
    ProviderError,
)
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.handlers import clusters, saga

from .rpc_calls import call
from .saga_harness import (
    CTX,
    NODE_GROUP,
    advance,
    delivery,
    make_deps,
    names,
    released,
    request,
    status,
    through_network,
)

pytestmark = pytest.mark.integration


# delete ---------------------------------------------------------------------------------


async def _delete(deps: clusters.ProvisioningDeps, cluster: dict[str, Any]) -> dict[str, Any]:
    return await call(
        clusters.delete_cluster,
        deps,
        {"workspace_id": cluster["workspace_id"], "cluster_id": cluster["id"], "actor_id": "a"},
        CTX,
    )


async def test_delete_goes_node_groups_control_plane_network_and_never_trusts_an_error(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await request(deps, node_groups=[NODE_GROUP])
    await through_network(deps, cluster)
    assert (await _delete(deps, cluster))["status"] == "DELETING"

    cloud.faults.append(ProviderError("outage", code="PROVIDER_UNAVAILABLE", retryable=True))
    await advance(deps, cluster)
    assert not cloud.clusters and not cloud.node_groups
    waiting = await status(deps, cluster)
    assert (waiting["status"], waiting["step"]) == ("DELETING", "release-network")

    await saga.on_network_released(deps, released(cluster), delivery())
    with pytest.raises(NotFound):
        await status(deps, cluster)
    tail = (await names(deps, cluster["id"]))[-4:]
    assert tail == [
        "ClusterDeleteRequested",
        "NodeGroupDeleted",
        "ReleaseClusterNetwork",
        "ClusterDeleted",
    ]


async def test_a_delete_that_keeps_failing_ends_failed_and_can_be_asked_again(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud, steps={"delete-control-plane": 0.2})
    cluster = await request(deps, aws_config={"subnet_ids": ["subnet-a", "subnet-b"]})
    await advance(deps, cluster)
    await _delete(deps, cluster)
    cloud.faults.extend(
        ProviderError("outage", code="PROVIDER_UNAVAILABLE", retryable=True) for _ in range(200)
    )
    await advance(deps, cluster)
    got = await status(deps, cluster)
    assert (got["status"], got["status_reason"]) == ("FAILED", "STEP_DEADLINE_EXCEEDED")
    assert "PROVIDER_UNAVAILABLE" in got["status_message"]
    assert cloud.clusters, "an error must not be taken to mean the cluster is gone"
    cloud.faults.clear()
    await _delete(deps, cluster)
    await advance(deps, cluster)
    with pytest.raises(NotFound):
        await status(deps, cluster)
    assert not cloud.clusters


async def test_a_delete_overtaking_a_create_wins(sessions):
    cloud = FakeClusterProvider(polls_until_active=1000)
    deps = make_deps(sessions, cloud)
    cluster = await request(deps, aws_config={"subnet_ids": ["subnet-a", "subnet-b"]})
    creating = asyncio.create_task(advance(deps, cluster))
    await asyncio.sleep(0.2)
    await _delete(deps, cluster)
    await asyncio.wait_for(creating, 10)
    with pytest.raises(NotFound):
        await status(deps, cluster)
    assert not cloud.clusters
