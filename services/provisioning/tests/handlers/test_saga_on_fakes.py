"""The cluster saga and the use cases around it on the in-memory unit of work and the
in-memory cloud: the same handlers the service runs, without Postgres or NATS."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.errors import Conflict, ContractViolation, ProviderError
from skyclust_common.observability import setup_tracing, tracer
from skyclust_provisioning.adapters.fake_uow import (
    FakeProvisioningDatabase,
    FakeProvisioningUnitOfWork,
)
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.entrypoints import rpc
from skyclust_provisioning.handlers import clusters, drift, node_group_saga, node_groups, saga
from skyclust_provisioning.handlers.sweep import Sweeper

from .rpc_calls import call
from .saga_harness import (
    CREDENTIAL,
    CTX,
    NODE_GROUP,
    delivery,
    make_deps,
    network_ready,
    reply,
    request,
)

pytestmark = pytest.mark.unit
REGISTRY = load_registry()
OWN_NETWORK = {"aws_config": {"subnet_ids": ["subnet-a", "subnet-b"]}}


class World:
    def __init__(self) -> None:
        self.db = FakeProvisioningDatabase()
        self.cloud = FakeClusterProvider()
        self.reasons: list[str] = []

        async def decrypt(ws: str, cred: str, reason: str, correlation: str) -> dict[str, Any]:
            self.reasons.append(reason)
            return {"provider": "aws", "data": CREDENTIAL}

        self.deps = make_deps(
            None,
            self.cloud,
            uow=lambda: FakeProvisioningUnitOfWork(self.db, registry=REGISTRY),
            decrypt_credential=decrypt,
            poll_interval=0.0,
            step_timeouts={},
        )

    async def create(self, **body: Any) -> dict[str, Any]:
        return await request(self.deps, **body)

    async def get(self, cluster: dict[str, Any]) -> dict[str, Any]:
        return await call(clusters.get_cluster, self.deps, key(cluster), CTX)

    async def advance(self, cluster: dict[str, Any]) -> None:
        await saga.advance(self.deps, cluster["workspace_id"], cluster["id"])

    def names(self) -> list[str]:
        return [e.name for e in self.db.events()]


def key(cluster: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"workspace_id": cluster["workspace_id"], "cluster_id": cluster["id"], **more}


async def test_a_create_waits_for_the_network_then_runs_to_ready_with_one_decrypt():
    world = World()
    cluster = await world.create(node_groups=[NODE_GROUP])
    await world.advance(cluster)
    waiting = await world.get(cluster)
    assert (waiting["status"], waiting["step"]) == ("PROVISIONING", "network")
    assert "ProvisionClusterNetwork" in world.names()

    await saga.on_network_ready(world.deps, network_ready(cluster), delivery())
    ready = await world.get(cluster)
    assert (ready["status"], ready["progress"], ready["step"]) == ("READY", 100, None)
    assert ready["network"]["vpc_cloud_id"] == "vpc-1"
    assert {c["type"]: c["status"] for c in ready["conditions"]} == {
        "NetworkReady": "True",
        "ControlPlaneReady": "True",
        "NodeGroupsReady": "True",
        "Drifted": "Unknown",
    }
    (group,) = (await call(node_groups.list_node_groups, world.deps, key(cluster), CTX))["items"]
    assert group["status"] == "READY"
    assert world.names().count("ClusterReady") == 1
    assert world.reasons == ["create cluster"]


async def test_a_redelivered_reply_changes_nothing():
    world = World()
    cluster = await world.create()
    await world.advance(cluster)
    await saga.on_network_ready(world.deps, network_ready(cluster), delivery())
    await saga.on_network_ready(world.deps, network_ready(cluster), delivery(2))
    assert world.names().count("ClusterReady") == 1
    assert world.cloud.create_calls == 1


async def test_a_permanent_cloud_error_rolls_the_create_back_then_it_fails():
    world = World()
    cluster = await world.create(node_groups=[NODE_GROUP])
    await world.advance(cluster)
    world.cloud.faults.append(ProviderError("no quota", code="PROVIDER_QUOTA_EXCEEDED"))
    await saga.on_network_ready(world.deps, network_ready(cluster), delivery())

    rolling_back = await world.get(cluster)
    assert (rolling_back["status"], rolling_back["step"]) == ("PROVISIONING", "release-network")
    assert "ReleaseClusterNetwork" in world.names()
    released = {"request_id": "r", "vpc_id": None, "deleted": True}
    await saga.on_network_released(
        world.deps, reply(cluster, "ClusterNetworkReleased", released), delivery()
    )
    failed = await world.get(cluster)
    assert (failed["status"], failed["status_reason"]) == ("FAILED", "PROVIDER_QUOTA_EXCEEDED")
    (event,) = world.db.events("ClusterFailed")
    assert event.data["operation"] == "create"
    assert not world.cloud.clusters


async def test_a_transient_error_is_retried_within_the_step():
    world = World()
    cluster = await world.create(**OWN_NETWORK)
    world.cloud.faults.append(ProviderError("slow down", code="PROVIDER_THROTTLED", retryable=True))
    await world.advance(cluster)
    assert (await world.get(cluster))["status"] == "READY"


async def test_a_delete_tears_down_and_ends_deleted():
    world = World()
    cluster = await world.create(node_groups=[NODE_GROUP], **OWN_NETWORK)
    await world.advance(cluster)
    await call(clusters.delete_cluster, world.deps, key(cluster, actor_id="u"), CTX)
    await world.advance(cluster)
    assert world.names()[-2:] == ["NodeGroupDeleted", "ClusterDeleted"]
    assert not world.cloud.clusters and not world.cloud.node_groups
    with pytest.raises(Exception, match="cluster not found"):
        await world.get(cluster)
    last = await call(clusters.get_cluster, world.deps, key(cluster, include_deleted=True), CTX)
    assert (last["id"], last["status"]) == (cluster["id"], "DELETED")


async def test_an_upgrade_moves_the_control_plane_then_the_nodes():
    world = World()
    cluster = await world.create(node_groups=[NODE_GROUP], **OWN_NETWORK)
    await world.advance(cluster)
    await call(
        clusters.upgrade_cluster, world.deps, key(cluster, actor_id="u", version="1.30"), CTX
    )
    await world.advance(cluster)
    upgraded = await world.get(cluster)
    assert (upgraded["status"], upgraded["version"]) == ("READY", "1.30")
    (group,) = (await call(node_groups.list_node_groups, world.deps, key(cluster), CTX))["items"]
    assert group["version"] == "1.30"
    assert world.names()[-1] == "ClusterUpgraded"


async def test_a_run_that_finds_the_lock_taken_leaves_the_work_to_its_holder():
    world = World()
    cluster = await world.create(**OWN_NETWORK)
    world.db.locks.add(f"cluster-saga:{cluster['id']}")
    await world.advance(cluster)
    assert (await world.get(cluster))["status"] == "PENDING"
    world.db.locks.clear()
    await world.advance(cluster)
    assert (await world.get(cluster))["status"] == "READY"


async def test_a_name_is_taken_while_its_cluster_lives():
    world = World()
    cluster = await world.create(**OWN_NETWORK)
    with pytest.raises(Conflict) as taken:
        await world.create(
            workspace_id=cluster["workspace_id"], name=cluster["name"], **OWN_NETWORK
        )
    assert taken.value.code == "CLUSTER_NAME_TAKEN"


async def test_the_sweep_advances_a_saga_nobody_moved():
    world = World()
    cluster = await world.create(**OWN_NETWORK)
    fresh = await world.create(**OWN_NETWORK)
    world.db.tables["clusters"][uuid.UUID(cluster["id"])]["updated_at"] -= timedelta(minutes=5)
    sweeper = Sweeper(world.deps, stale_after=60.0)
    assert await sweeper.once() == [uuid.UUID(cluster["id"])]
    await sweeper.wait()
    assert (await world.get(cluster))["status"] == "READY"
    assert (await world.get(fresh))["status"] == "PENDING"
    assert await sweeper.once() == []


async def test_a_saga_the_sweep_resumes_stays_in_the_trace_of_its_request():
    # As every service process does: ids are made and carried, nothing is recorded.
    setup_tracing("provisioning")
    world = World()
    with tracer("test").start_as_current_span("POST /api/v1/aws/kubernetes/clusters") as span:
        cluster = await world.create(**OWN_NETWORK)
    trace_id = f"{span.get_span_context().trace_id:032x}"
    # Its ClusterRequested was lost: only the sweep moves it.
    world.db.tables["clusters"][uuid.UUID(cluster["id"])]["updated_at"] -= timedelta(minutes=5)
    sweeper = Sweeper(world.deps, stale_after=60.0)
    assert await sweeper.once() == [uuid.UUID(cluster["id"])]
    await sweeper.wait()
    assert (await world.get(cluster))["status"] == "READY"
    mine = [e for e in world.db.events() if e.subject == cluster["id"]]
    assert "ClusterReady" in [e.name for e in mine]
    traces = {e.traceparent.split("-")[1] if e.traceparent else None for e in mine}
    assert traces == {trace_id}, [(e.name, e.traceparent) for e in mine]


async def test_a_node_group_added_to_a_ready_cluster_becomes_ready():
    world = World()
    cluster = await world.create(**OWN_NETWORK)
    await world.advance(cluster)
    group = await call(
        node_groups.create_node_group, world.deps, key(cluster, actor_id="u", **NODE_GROUP), CTX
    )
    (requested,) = world.db.events("NodeGroupRequested")
    await node_group_saga.on_node_group_requested(world.deps, requested, delivery())
    got = await call(
        node_groups.get_node_group, world.deps, key(cluster, node_group_id=group["id"]), CTX
    )
    assert got["status"] == "READY"
    conditions = {c["type"]: c["status"] for c in (await world.get(cluster))["conditions"]}
    assert conditions["NodeGroupsReady"] == "True"


async def test_drift_passes_over_many_clusters_of_one_credential_decrypt_once():
    world = World()
    workspace_id, credential_id = str(uuid.uuid4()), str(uuid.uuid4())
    for _ in range(5):
        cluster = await world.create(
            workspace_id=workspace_id, credential_id=credential_id, **OWN_NETWORK
        )
        await world.advance(cluster)
    world.reasons.clear()
    for _ in range(4):
        assert await drift.pass_once(world.deps, interval=60.0, backoff_max=600.0) == 5
        for row in world.db.tables["clusters"].values():  # the next pass, a minute on
            assert row["drift_checked_at"] is not None
            row["drift_next_check_at"] -= timedelta(seconds=60)
    assert world.reasons == ["check drift"]  # 4 passes over 5 clusters


async def test_the_bus_gives_each_handler_its_request_parsed_by_its_contract():
    world = World()
    cluster = await world.create(**OWN_NETWORK)
    # One contract per handler: two handlers on one contract would leave one unserved.
    assert len(rpc.HANDLERS) == len(rpc.CONTRACTS) == 17
    served = await rpc.HANDLERS["GetCluster"](world.deps, key(cluster), CTX)
    assert served == await world.get(cluster)

    before = world.names()
    unhyphenated = cluster["id"].replace("-", "")
    with pytest.raises(ContractViolation) as refused:
        await rpc.HANDLERS["DeleteCluster"](
            world.deps, key(cluster, cluster_id=unhyphenated, actor_id="u"), CTX
        )
    assert (refused.value.details["contract"], refused.value.details["path"]) == (
        "DeleteCluster",
        "cluster_id",
    )
    assert unhyphenated not in str(refused.value)
    assert world.names() == before
    assert (await world.get(cluster))["status"] != "DELETING"
