"""The cluster saga's create runs against real PostgreSQL, with the in-memory cloud: every
step, the network service's replies, restarts, outages of the vault, and one run per cluster
at a time."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from skyclust_common.db import create_engine, session_of
from skyclust_common.dbadmin import provision_service
from skyclust_common.errors import (
    Forbidden,
    NoResponders,
    ProviderError,
    ServiceTimeout,
    SkyclustError,
)
from skyclust_provisioning.adapters.db import Clusters
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.domain.cluster import ClusterSpec
from skyclust_provisioning.handlers import clusters, saga

from .rpc_calls import call
from .saga_harness import (
    CREDENTIAL,
    CTX,
    NODE_GROUP,
    _set,
    advance,
    delivery,
    make_deps,
    names,
    network_ready,
    published,
    request,
    status,
    through_network,
    wire,
)

pytestmark = pytest.mark.integration


async def _spec(deps: clusters.ProvisioningDeps, cluster: dict[str, Any]) -> ClusterSpec:
    async with deps.uow() as uow:
        found = await Clusters(session_of(uow)).get(
            uuid.UUID(cluster["workspace_id"]), uuid.UUID(cluster["id"])
        )
        assert found is not None
        return found.spec()


# create ------------------------------------------------------------------------------


async def test_happy_path_network_control_plane_node_groups_in_order(sessions):
    cloud = FakeClusterProvider(polls_until_active=2)
    deps = make_deps(sessions, cloud)
    cluster = await request(deps, node_groups=[NODE_GROUP])

    await advance(deps, cluster)
    waiting = await status(deps, cluster)
    assert (waiting["status"], waiting["step"], waiting["progress"]) == (
        "PROVISIONING",
        "network",
        10,
    )
    sent = [(s, e) for s, e in await published(deps, cluster["id"]) if s.startswith("skyclust.cmd")]
    assert [s for s, _ in sent] == ["skyclust.cmd.network.ProvisionClusterNetwork"]
    assert sent[0][1].data["cluster_name"] == cluster["name"]
    assert not cloud.clusters, "nothing is created before the network is ready"

    await saga.on_network_ready(deps, network_ready(cluster), delivery())
    got = await status(deps, cluster)
    assert got["status"] == "READY"
    assert got["endpoint"] == "https://fake.example"
    assert got["network"]["subnet_cloud_ids"] == ["subnet-0", "subnet-1"]
    assert got["network"]["generated"] is True
    conditions = {c["type"]: (c["status"], c["reason"]) for c in got["conditions"]}
    assert conditions["NetworkReady"] == ("True", "Generated")
    assert conditions["ControlPlaneReady"] == ("True", "Active")
    assert conditions["NodeGroupsReady"] == ("True", "AllReady")
    assert (await _spec(deps, cluster)).network == {
        "vpc_cloud_id": "vpc-1",
        "resource_group": None,
        "subnet_cloud_ids": ["subnet-0", "subnet-1"],
        "security_group_cloud_ids": ["sg-1"],
    }
    events = [e for s, e in await published(deps, cluster["id"]) if s.startswith("skyclust.evt")]
    assert [e.name for e in events] == [
        "ClusterRequested",
        "ClusterProvisioning",
        "ClusterProvisioning",
        "ClusterProvisioning",
        "NodeGroupReady",
        "ClusterReady",
    ]
    steps = [
        (e.data["step"], e.data["progress"]) for e in events if e.name == "ClusterProvisioning"
    ]
    assert steps == [("network", 10), ("control-plane", 30), ("node-groups", 70)]
    assert len(cloud.node_groups) == 1


async def test_a_create_run_asks_the_vault_for_its_secret_once(sessions):
    reasons: list[str] = []

    async def decrypt(ws: str, cred: str, reason: str, correlation: str) -> dict[str, Any]:
        reasons.append(reason)
        return {"provider": "aws", "data": CREDENTIAL}

    deps = make_deps(sessions, FakeClusterProvider(), decrypt_credential=decrypt)
    cluster = await request(deps, node_groups=[NODE_GROUP])
    await through_network(deps, cluster)

    assert (await status(deps, cluster))["status"] == "READY"
    # control plane and node groups ran in one run: one decrypt, audited as the first step.
    assert reasons == ["create cluster"]


async def test_a_provider_config_network_skips_the_network_service(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await request(deps, aws_config={"subnet_ids": ["subnet-a", "subnet-b"]})
    await advance(deps, cluster)
    got = await status(deps, cluster)
    assert got["status"] == "READY"
    assert not any(s.startswith("skyclust.cmd") for s, _ in await published(deps, cluster["id"]))
    assert {c["type"]: c["reason"] for c in got["conditions"]}["NetworkReady"] == "ProviderConfig"


async def test_a_given_network_is_passed_to_the_network_service(sessions):
    deps = make_deps(sessions, FakeClusterProvider())
    vpc = str(uuid.uuid4())
    cluster = await request(deps, network={"vpc_id": vpc})
    await advance(deps, cluster)
    (command,) = [
        e for s, e in await published(deps, cluster["id"]) if s.startswith("skyclust.cmd")
    ]
    assert command.data["vpc_id"] == vpc


async def test_rerun_after_ready_creates_nothing_twice(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await request(deps, node_groups=[NODE_GROUP])
    await through_network(deps, cluster)
    # Redelivered: the request, the network's reply, and a sweep.
    await advance(deps, cluster)
    await saga.on_network_ready(deps, network_ready(cluster), delivery(2))
    assert cloud.create_calls == 1
    assert cloud.node_group_create_calls == 1
    assert (await names(deps, cluster["id"])).count("ClusterReady") == 1


async def test_crash_between_cloud_create_and_commit_resumes_with_one_cluster(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await request(deps, aws_config={"subnet_ids": ["subnet-a", "subnet-b"]})
    await _set(deps, cluster, status="PROVISIONING", step="control-plane", network_state="ready")
    # The dead process had created the cloud cluster but committed nothing.
    await cloud.create(await _spec(deps, cluster), CREDENTIAL)
    await advance(deps, cluster)
    assert cloud.create_calls == 1
    assert (await status(deps, cluster))["status"] == "READY"


async def test_one_run_per_cluster_at_a_time(sessions):
    cloud = FakeClusterProvider(polls_until_active=20)
    deps = make_deps(sessions, cloud)
    cluster = await request(deps, aws_config={"subnet_ids": ["subnet-a", "subnet-b"]})
    await asyncio.gather(*(advance(deps, cluster) for _ in range(5)))
    assert (await status(deps, cluster))["status"] == "READY"
    assert cloud.create_calls == 1
    assert (await names(deps, cluster["id"])).count("ClusterReady") == 1


async def test_transient_errors_are_retried_and_the_saga_succeeds(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await request(deps, node_groups=[NODE_GROUP])
    await advance(deps, cluster)
    for code in ("PROVIDER_THROTTLED", "PROVIDER_UNAVAILABLE", "PROVIDER_THROTTLED"):
        cloud.faults.append(ProviderError("slow down", code=code, retryable=True))
    await saga.on_network_ready(deps, network_ready(cluster), delivery())
    assert (await status(deps, cluster))["status"] == "READY"
    assert not cloud.faults


# What the vault answers when identity's audit trail does not record a decryption.
AUDIT_UNAVAILABLE = {
    "class": "AuditUnavailable",
    "code": "AUDIT_UNAVAILABLE",
    "message": "the audit trail cannot record this decryption now, so it is refused",
    "status": 503,
    "retryable": True,
    "details": {"cause": "SERVICE_UNAVAILABLE"},
}


async def test_a_vault_outage_is_waited_out_and_the_cluster_ends_ready(sessions):
    outage = [
        wire(AUDIT_UNAVAILABLE),
        ServiceTimeout("the credential-vault service did not answer in time"),
        wire(AUDIT_UNAVAILABLE),
        NoResponders("the credential-vault service is not available"),
        wire(SkyclustError("internal error")),
    ]
    calls = []

    async def decrypt(*args: Any) -> dict[str, Any]:
        calls.append(args)
        if outage:
            raise outage.pop(0)
        return {"provider": "aws", "data": CREDENTIAL}

    deps = make_deps(sessions, FakeClusterProvider(), decrypt_credential=decrypt)
    cluster = await request(
        deps, aws_config={"subnet_ids": ["subnet-a", "subnet-b"]}, node_groups=[NODE_GROUP]
    )
    await advance(deps, cluster)
    got = await status(deps, cluster)
    assert (got["status"], got["status_reason"]) == ("READY", None)
    assert not outage and len(calls) == 6, "five refusals, then one for the rest of the run"
    events = await names(deps, cluster["id"])
    assert "ClusterFailed" not in events and events.count("ClusterReady") == 1


async def test_a_dependency_down_past_the_deadline_fails_the_step_with_deadline_exceeded(
    sessions,
):
    async def decrypt(*args: Any) -> dict[str, Any]:
        raise wire(AUDIT_UNAVAILABLE)

    cloud = FakeClusterProvider()
    deps = make_deps(
        sessions,
        cloud,
        steps={"control-plane": 0.4, "delete-control-plane": 0.2},
        decrypt_credential=decrypt,
    )
    cluster = await request(deps, aws_config={"subnet_ids": ["subnet-a", "subnet-b"]})
    started = asyncio.get_running_loop().time()
    await advance(deps, cluster)
    assert asyncio.get_running_loop().time() - started >= 0.4, "it waited out the step"
    got = await status(deps, cluster)
    assert (got["status"], got["status_reason"]) == ("FAILED", "STEP_DEADLINE_EXCEEDED")
    assert "AUDIT_UNAVAILABLE" in got["status_message"], "the last error is named"
    assert cloud.create_calls == 0


async def test_a_permanent_error_from_the_vault_fails_at_once(sessions):
    calls = []

    async def decrypt(*args: Any) -> dict[str, Any]:
        calls.append(args)
        raise wire(Forbidden("this service may not decrypt", code="DECRYPT_NOT_ALLOWED"))

    deps = make_deps(sessions, FakeClusterProvider(), decrypt_credential=decrypt)
    cluster = await request(deps, aws_config={"subnet_ids": ["subnet-a", "subnet-b"]})
    await advance(deps, cluster)
    got = await status(deps, cluster)
    assert (got["status"], got["status_reason"]) == ("FAILED", "DECRYPT_NOT_ALLOWED")
    # Once for the create, once for the rollback's delete: neither retried.
    assert len(calls) == 2


async def test_names_are_unique_per_workspace_and_region(sessions):
    deps = make_deps(sessions, FakeClusterProvider())
    cluster = await request(deps)
    body = {
        "workspace_id": cluster["workspace_id"],
        "actor_id": "a",
        "provider": "aws",
        "name": cluster["name"],
        "version": "1.29",
        "region": "us-east-1",
        "credential_id": str(uuid.uuid4()),
    }
    with pytest.raises(Exception) as info:
        await call(clusters.create_cluster, deps, body, CTX)
    assert info.value.code == "CLUSTER_NAME_TAKEN"  # type: ignore[attr-defined]
    elsewhere = await call(clusters.create_cluster, deps, {**body, "region": "eu-west-1"}, CTX)
    assert elsewhere["status"] == "PENDING"


async def test_initial_node_groups_are_checked_up_front(sessions):
    deps = make_deps(sessions, FakeClusterProvider())
    with pytest.raises(Exception) as info:
        await request(deps, node_groups=[NODE_GROUP, NODE_GROUP])
    assert info.value.code == "NODE_GROUP_NAME_TAKEN"  # type: ignore[attr-defined]
    with pytest.raises(Exception) as info:
        await request(deps, node_groups=[{**NODE_GROUP, "min_size": 5}])
    assert info.value.code == "INVALID_NODE_GROUP_SIZE"  # type: ignore[attr-defined]


async def test_a_burst_of_sagas_does_not_exhaust_a_small_pool(postgres, sessions):
    """Each run holds one connection for its lock and needs another for its work: 20 at
    once on a pool of 7 would wait on each other until the pool's timeout. The bound on
    concurrent runs keeps them under it."""
    url = await provision_service(postgres.url, "provisioning", "saga-test")
    engine = create_engine(url, pool_size=2)  # 2 + 5 overflow
    try:
        small = async_sessionmaker(engine, expire_on_commit=False)
        cloud = FakeClusterProvider(polls_until_active=3)
        deps = make_deps(small, cloud, saga_runs=asyncio.Semaphore(3))
        burst = [
            await request(deps, aws_config={"subnet_ids": ["subnet-a", "subnet-b"]})
            for _ in range(20)
        ]
        await asyncio.wait_for(asyncio.gather(*(advance(deps, c) for c in burst)), 20)
        assert {(await status(deps, c))["status"] for c in burst} == {"READY"}
        assert cloud.create_calls == 20
    finally:
        await engine.dispose()


async def test_active_clusters_are_counted_in_postgres_by_provider_and_region(sessions):
    from skyclust_provisioning.handlers.active_clusters import ActiveClusters

    deps = make_deps(sessions, FakeClusterProvider())
    active = ActiveClusters(deps)
    before = (await active.once()).get(("aws", "ca-central-1"), 0)
    cluster = await request(deps, region="ca-central-1", aws_config={"subnet_ids": ["s-1", "s-2"]})
    await advance(deps, cluster)
    assert (await status(deps, cluster))["status"] == "READY"
    assert (await active.once())[("aws", "ca-central-1")] == before + 1
