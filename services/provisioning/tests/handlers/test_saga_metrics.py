"""Provisioning's metrics, driven through the saga on the in-memory unit of work and
cloud, and read back from the process's Prometheus registry."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from skyclust_common.errors import ProviderError
from skyclust_provisioning.handlers import clusters
from skyclust_provisioning.handlers.active_clusters import ActiveClusters

from .rpc_calls import call
from .saga_harness import CTX
from .test_saga_on_fakes import OWN_NETWORK, World, key

pytestmark = pytest.mark.unit
REGION = "eu-north-1"  # no other test of this process makes clusters here


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def created(provider: str = "aws") -> float:
    return value("cluster_creation_duration_seconds_count", provider=provider, region=REGION)


def step(name: str, outcome: str) -> float:
    return value(
        "skyclust_saga_step_duration_seconds_count", saga="cluster", step=name, outcome=outcome
    )


async def test_a_create_that_reaches_ready_is_timed_once_with_each_of_its_steps():
    world = World()
    before = (created(), step("create-control-plane", "ok"), step("create-node-groups", "ok"))
    cluster = await world.create(region=REGION, **OWN_NETWORK)
    await world.advance(cluster)
    await world.advance(cluster)  # a second run finds it READY and times nothing more
    assert (await world.get(cluster))["status"] == "READY"
    after = (created(), step("create-control-plane", "ok"), step("create-node-groups", "ok"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]
    assert value("cluster_creation_duration_seconds_sum", provider="aws", region=REGION) > 0


async def test_a_failed_step_is_timed_as_an_error_and_a_failed_create_is_not_a_creation():
    world = World()
    before = (created(), step("create-control-plane", "error"))
    world.cloud.faults.append(ProviderError("no quota", code="PROVIDER_QUOTA_EXCEEDED"))
    cluster = await world.create(region=REGION, **OWN_NETWORK)
    await world.advance(cluster)
    assert (await world.get(cluster))["status"] == "FAILED"
    assert created() == before[0]
    assert step("create-control-plane", "error") == before[1] + 1


async def test_active_clusters_counts_ready_ones_by_provider_and_region_and_drops_to_zero():
    world = World()
    active = ActiveClusters(world.deps)
    first = await world.create(region=REGION, **OWN_NETWORK)
    second = await world.create(region=REGION, **OWN_NETWORK)
    for cluster in (first, second):
        await world.advance(cluster)
    assert await active.once() == {("aws", REGION): 2}
    assert value("active_clusters_total", provider="aws", region=REGION) == 2
    for cluster in (first, second):
        await call(clusters.delete_cluster, world.deps, key(cluster, actor_id="u"), CTX)
        await world.advance(cluster)
    assert await active.once() == {}
    assert value("active_clusters_total", provider="aws", region=REGION) == 0
