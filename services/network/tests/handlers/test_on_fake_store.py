"""Handlers on the in-memory store and cloud: the whole lifecycle of each resource and a
cluster's network, in milliseconds, without PostgreSQL or NATS."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from prometheus_client import REGISTRY

from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import ProviderError, SkyclustError
from skyclust_network.adapters.providers.fake import FakeNetworkProvider
from skyclust_network.handlers import cluster_network, security_groups, subnets, vpcs

from ..helpers import FakeStore, FaultyProvider, call, command, delivery, fake_store

pytestmark = pytest.mark.unit

AWS_KEY = {"access_key_id": "AKIAEXAMPLE", "secret_access_key": "s", "region": "us-east-1"}


class World:
    def __init__(self, provider: Any = None, **kw: Any) -> None:
        self.cloud = FakeNetworkProvider(name="aws")
        self.store: FakeStore = fake_store({"aws": provider or self.cloud}, **kw)
        self.workspace = str(uuid.uuid4())
        self.credential = self.store.vault.add(self.workspace, "aws", AWS_KEY)

    def body(self, **kw: Any) -> dict[str, Any]:
        return {"workspace_id": self.workspace, "actor_id": "actor-1", **kw}

    def query(self, **kw: Any) -> dict[str, Any]:
        """A query's request: queries name no actor."""
        return {"workspace_id": self.workspace, **kw}

    def provision(self, cluster_id: str, request_id: str = "r-1", **kw: Any) -> CloudEvent:
        data = {
            "request_id": request_id,
            "cluster_id": cluster_id,
            "cluster_name": "Prod-Cluster",
            "provider": "aws",
            "credential_id": self.credential,
            "region": "us-east-1",
            **kw,
        }
        return command("ProvisionClusterNetwork", self.workspace, data)

    def release(self, cluster_id: str, request_id: str = "r-2") -> CloudEvent:
        data = {"request_id": request_id, "cluster_id": cluster_id}
        return command("ReleaseClusterNetwork", self.workspace, data)

    def replies(self, cluster_id: str) -> list[CloudEvent]:
        return [e for e in self.store.events(cluster_id) if e.name.startswith("ClusterNetwork")]


async def test_a_vpc_a_subnet_and_a_group_share_one_lifecycle():
    world = World()
    deps = world.store.deps
    vpc = await call(
        vpcs.create_vpc,
        deps,
        world.body(
            provider="aws",
            credential_id=world.credential,
            name="net",
            region="us-east-1",
            cidr_block="10.1.0.0/16",
        ),
    )
    assert vpc["status"] == "PENDING"
    assert await world.store.settle(vpc["id"]) == ["VpcRequested", "VpcReady"]
    subnet = await call(
        subnets.create_subnet,
        deps,
        world.body(provider="aws", vpc_id=vpc["id"], name="s1", cidr_block="10.1.0.0/24"),
    )
    group = await call(
        security_groups.create_security_group,
        deps,
        world.body(
            provider="aws",
            vpc_id=vpc["id"],
            name="web",
            rules=[
                {
                    "direction": "ingress",
                    "protocol": "tcp",
                    "from_port": 443,
                    "to_port": 443,
                    "cidr": "0.0.0.0/0",
                }
            ],
        ),
    )
    for kind, row in (
        ("Subnet", subnet),
        ("SecurityGroup", group),
    ):
        assert await world.store.settle(row["id"]) == [f"{kind}Requested", f"{kind}Ready"]
    got = await call(subnets.get_subnet, deps, world.query(subnet_id=subnet["id"]))
    assert got["status"] == "READY" and got["cloud_id"]

    updated = await call(
        subnets.update_subnet, deps, world.body(subnet_id=subnet["id"], tags={"team": "a"})
    )
    assert updated["status"] == "UPDATING"
    names = await world.store.settle(subnet["id"])
    assert names[-2:] == ["SubnetUpdateRequested", "SubnetUpdated"]
    listed = await call(subnets.list_subnets, deps, world.query(tag="team=a"))
    assert [s["id"] for s in listed["items"]] == [subnet["id"]]

    with pytest.raises(SkyclustError) as in_use:
        await call(vpcs.delete_vpc, deps, world.body(vpc_id=vpc["id"]))
    assert in_use.value.code == "VPC_IN_USE"
    for delete, key, row in (
        (subnets.delete_subnet, "subnet_id", subnet),
        (security_groups.delete_security_group, "security_group_id", group),
    ):
        assert (await call(delete, deps, world.body(**{key: row["id"]})))["status"] == "DELETING"
        assert (await world.store.settle(row["id"]))[-1].endswith("Deleted")
    await call(vpcs.delete_vpc, deps, world.body(vpc_id=vpc["id"]))
    assert (await world.store.settle(vpc["id"]))[-2:] == ["VpcDeleteRequested", "VpcDeleted"]
    with pytest.raises(SkyclustError) as gone:
        await call(vpcs.get_vpc, deps, world.query(vpc_id=vpc["id"]))
    assert gone.value.code == "VPC_NOT_FOUND"
    assert world.cloud.vpcs == {}


async def test_a_taken_name_is_refused_and_a_transient_cloud_error_is_retried_then_fails():
    outage = ProviderError("later", code="PROVIDER_UNAVAILABLE", retryable=True)
    world = World()
    world.store = fake_store({"aws": FaultyProvider(world.cloud, "create_vpc", 1, outage)})
    world.credential = world.store.vault.add(world.workspace, "aws", AWS_KEY)
    deps = world.store.deps
    body = world.body(
        provider="aws", credential_id=world.credential, name="net", region="us-east-1"
    )
    vpc = await call(vpcs.create_vpc, deps, body)
    with pytest.raises(SkyclustError) as taken:
        await call(vpcs.create_vpc, deps, body)
    assert taken.value.code == "VPC_NAME_TAKEN"
    (requested,) = world.store.events(vpc["id"])
    with pytest.raises(ProviderError):
        await vpcs.on_vpc_requested(deps, requested, delivery(1))
    await vpcs.on_vpc_requested(deps, requested, delivery(2))
    assert [e.name for e in world.store.events(vpc["id"])] == ["VpcRequested", "VpcReady"]


async def test_a_cluster_network_is_made_once_answered_again_and_released():
    world = World()
    deps = world.store.deps
    cluster_id = str(uuid.uuid4())
    started = time.perf_counter()
    for _ in range(2):
        await cluster_network.on_provision_cluster_network(
            deps, world.provision(cluster_id), delivery()
        )
    ready = world.replies(cluster_id)
    assert [e.name for e in ready] == ["ClusterNetworkReady", "ClusterNetworkReady"]
    assert ready[0].data == ready[1].data
    data = ready[0].data
    assert {s["availability_zone"] for s in data["subnets"]} == {"us-east-1a", "us-east-1b"}
    assert len(data["security_groups"]) == 1 and data["generated"] is True
    assert len(world.cloud.vpcs) == 1

    await cluster_network.on_release_cluster_network(deps, world.release(cluster_id), delivery())
    released = world.replies(cluster_id)[-1]
    assert (released.name, released.data["deleted"]) == ("ClusterNetworkReleased", True)
    assert world.cloud.vpcs == {} and world.cloud.subnets == {}
    assert time.perf_counter() - started < 1.0


def step_runs(step: str, outcome: str) -> float:
    labels = {"saga": "cluster-network", "step": step, "outcome": outcome}
    return REGISTRY.get_sample_value("skyclust_saga_step_duration_seconds_count", labels) or 0


async def test_each_step_of_a_cluster_network_is_timed_with_its_outcome():
    steps = ("plan_network", "create_network", "plan_members", "create_members", "finish")
    before = [step_runs(step, "ok") for step in steps]
    world = World()
    await cluster_network.on_provision_cluster_network(
        world.store.deps, world.provision(str(uuid.uuid4())), delivery()
    )
    after = [step_runs(step, "ok") for step in steps]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1, 1, 1]


async def test_a_final_fault_at_the_second_subnet_tears_everything_down():
    quota = ProviderError("subnet quota exhausted", code="PROVIDER_QUOTA_EXCEEDED")
    cloud = FakeNetworkProvider(name="aws")
    world = World(FaultyProvider(cloud, "create_subnet", 2, quota))
    world.cloud = cloud
    cluster_id = str(uuid.uuid4())
    failed_members = step_runs("create_members", "error")
    await cluster_network.on_provision_cluster_network(
        world.store.deps, world.provision(cluster_id), delivery()
    )
    assert step_runs("create_members", "error") == failed_members + 1
    (failed,) = world.replies(cluster_id)
    assert (failed.name, failed.data["code"]) == ("ClusterNetworkFailed", "PROVIDER_QUOTA_EXCEEDED")
    names = [e.name for e in world.store.events()]
    assert names.count("SubnetFailed") == 1 and names.count("VpcDeleted") == 1
    assert cloud.vpcs == {} and cloud.subnets == {} and cloud.groups == {}


async def test_a_cluster_id_of_another_workspace_is_refused():
    world = World()
    cluster_id = str(uuid.uuid4())
    await cluster_network.on_provision_cluster_network(
        world.store.deps, world.provision(cluster_id), delivery()
    )
    intruder = World()
    intruder.store = world.store
    intruder.credential = world.store.vault.add(intruder.workspace, "aws", AWS_KEY)
    with pytest.raises(SkyclustError) as refused:
        await cluster_network.on_provision_cluster_network(
            world.store.deps, intruder.provision(cluster_id), delivery()
        )
    assert refused.value.code == "FORBIDDEN"
