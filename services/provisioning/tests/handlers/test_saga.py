"""The cluster saga against real PostgreSQL, with the in-memory cloud: every step, the
replies of the network service, rollback in reverse, deadlines, restarts, and one run per
cluster at a time."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from skyclust_common.contracts import load_registry
from skyclust_common.db import create_engine, outbox_table
from skyclust_common.dbadmin import provision_service
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import (
    Forbidden,
    NoResponders,
    NotFound,
    ProviderError,
    ServiceTimeout,
    SkyclustError,
)
from skyclust_common.messaging import Delivery, RpcContext
from skyclust_common.runtime import PeriodicJob
from skyclust_provisioning.adapters.db import Cluster, Clusters, metadata
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.adapters.uow import ProvisioningUnitOfWork
from skyclust_provisioning.domain.cluster import ClusterSpec
from skyclust_provisioning.handlers import clusters, saga, sweep

from .rpc_calls import call

pytestmark = pytest.mark.integration
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
CTX = RpcContext({})
CREDENTIAL = {"access_key_id": "AKIA", "secret_access_key": "s"}
STEPS = {
    "network": 5,
    "control-plane": 5,
    "node-groups": 5,
    "upgrade-control-plane": 5,
    "upgrade-node-groups": 5,
    "delete-node-groups": 5,
    "delete-control-plane": 5,
    "release-network": 5,
}


def make_deps(
    sessions, cloud: FakeClusterProvider, steps: dict[str, float] | None = None, **overrides: Any
) -> clusters.ProvisioningDeps:
    async def lookup(workspace_id: str, credential_id: str) -> dict[str, Any]:
        return {"id": credential_id, "provider": "aws"}

    async def decrypt(ws: str, cred: str, reason: str, correlation: str) -> dict[str, Any]:
        return {"provider": "aws", "data": CREDENTIAL}

    values: dict[str, Any] = {
        "uow": lambda: ProvisioningUnitOfWork(sessions, metadata, load_registry()),
        "providers": {"aws": cloud},
        "lookup_credential": lookup,
        "decrypt_credential": decrypt,
        "poll_interval": 0.01,
        "create_timeout": 5,
        "delete_timeout": 5,
        "max_attempts": 3,
        "step_timeouts": {**STEPS, **(steps or {})},
    }
    values.update(overrides)
    return clusters.ProvisioningDeps(**values)


NODE_GROUP = {"name": "workers", "min_size": 1, "max_size": 3, "desired_size": 2}


async def request(deps: clusters.ProvisioningDeps, **body: Any) -> dict[str, Any]:
    return await call(
        clusters.create_cluster,
        deps,
        {
            "workspace_id": str(uuid.uuid4()),
            "actor_id": str(uuid.uuid4()),
            "provider": "aws",
            "name": f"c{uuid.uuid4().hex[:8]}",
            "version": "1.29",
            "region": "us-east-1",
            "credential_id": str(uuid.uuid4()),
            **body,
        },
        CTX,
    )


async def published(
    deps: clusters.ProvisioningDeps, cluster_id: str
) -> list[tuple[str, CloudEvent]]:
    """(subject, message) of everything the cluster's saga queued, in order."""
    table = outbox_table(metadata)
    async with deps.uow() as uow:
        rows = await uow.session.execute(
            select(table.c.subject, table.c.payload).order_by(table.c.created_at, table.c.id)
        )
        found = [(row[0], CloudEvent.model_validate(row[1])) for row in rows]
    return [(s, e) for s, e in found if e.data.get("cluster_id") == cluster_id]


async def names(deps: clusters.ProvisioningDeps, cluster_id: str) -> list[str]:
    return [e.name for _, e in await published(deps, cluster_id)]


async def status(deps: clusters.ProvisioningDeps, cluster: dict[str, Any]) -> dict[str, Any]:
    return await call(
        clusters.get_cluster,
        deps,
        {"workspace_id": cluster["workspace_id"], "cluster_id": cluster["id"]},
        CTX,
    )


async def advance(deps: clusters.ProvisioningDeps, cluster: dict[str, Any]) -> None:
    await saga.advance(deps, cluster["workspace_id"], cluster["id"])


def reply(cluster: dict[str, Any], name: str, data: dict[str, Any]) -> CloudEvent:
    return new_event(
        name,
        {"cluster_id": cluster["id"], **data},
        source="network",
        subject=cluster["id"],
        workspace_id=cluster["workspace_id"],
    )


def network_ready(cluster: dict[str, Any], generated: bool = True) -> CloudEvent:
    subnets = [
        {
            "id": str(uuid.uuid4()),
            "name": f"s{i}",
            "cloud_id": f"subnet-{i}",
            "cidr_block": f"10.0.{i}.0/24",
            "region": "us-east-1",
            "availability_zone": f"us-east-1{'ab'[i]}",
        }
        for i in range(2)
    ]
    return reply(
        cluster,
        "ClusterNetworkReady",
        {
            "request_id": f"provision-{cluster['id']}",
            "provider": "aws",
            "credential_id": cluster["credential_id"],
            "region": "us-east-1",
            "generated": generated,
            "vpc": {
                "id": str(uuid.uuid4()),
                "name": "net",
                "cloud_id": "vpc-1",
                "cidr_block": "10.0.0.0/16",
                "resource_group": None,
            },
            "subnets": subnets,
            "security_groups": [{"id": str(uuid.uuid4()), "name": "sg", "cloud_id": "sg-1"}],
        },
    )


def released(cluster: dict[str, Any]) -> CloudEvent:
    return reply(
        cluster,
        "ClusterNetworkReleased",
        {"request_id": "r", "vpc_id": None, "deleted": True},
    )


def delivery(n: int = 1) -> Delivery:
    return Delivery("saga", "subject", n, 1)


async def through_network(deps: clusters.ProvisioningDeps, cluster: dict[str, Any]) -> None:
    await advance(deps, cluster)
    await saga.on_network_ready(deps, network_ready(cluster), delivery())


async def _spec(deps: clusters.ProvisioningDeps, cluster: dict[str, Any]) -> ClusterSpec:
    async with deps.uow() as uow:
        found = await Clusters(uow.session).get(
            uuid.UUID(cluster["workspace_id"]), uuid.UUID(cluster["id"])
        )
        assert found is not None
        return found.spec()


async def _set(deps: clusters.ProvisioningDeps, cluster: dict[str, Any], **values: Any) -> None:
    async with deps.uow() as uow:
        await uow.session.execute(
            update(Cluster).where(Cluster.id == uuid.UUID(cluster["id"])).values(**values)
        )
        await uow.commit()


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


def wire(error: SkyclustError | dict[str, Any]) -> SkyclustError:
    """The error as a request over the bus delivers it: encoded by the answering
    service, decoded here, where that service's own classes are not imported."""
    data = error.to_dict() if isinstance(error, SkyclustError) else error
    return SkyclustError.from_dict(orjson.loads(orjson.dumps(data)))


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


# failure and rollback ----------------------------------------------------------------


async def test_a_permanent_error_rolls_back_in_reverse_and_fails_with_its_code(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await request(deps, node_groups=[NODE_GROUP])
    await advance(deps, cluster)
    # Control plane created; the node group's create is refused.
    real = cloud.create_node_group

    async def refuse(*args: Any) -> Any:
        raise ProviderError("bad instance type", code="PROVIDER_INVALID_REQUEST")

    cloud.create_node_group = refuse
    await saga.on_network_ready(deps, network_ready(cluster), delivery())
    cloud.create_node_group = real
    rolling = await status(deps, cluster)
    assert (rolling["status"], rolling["step"]) == ("PROVISIONING", "release-network")
    assert rolling["status_reason"] == "PROVIDER_INVALID_REQUEST"
    assert not cloud.clusters, "the control plane is deleted before the network is released"
    commands = [s for s, _ in await published(deps, cluster["id"]) if s.startswith("skyclust.cmd")]
    assert commands[-1] == "skyclust.cmd.network.ReleaseClusterNetwork"

    await saga.on_network_released(deps, released(cluster), delivery())
    got = await status(deps, cluster)
    assert (got["status"], got["status_reason"]) == ("FAILED", "PROVIDER_INVALID_REQUEST")
    assert got["step"] is None
    events = await names(deps, cluster["id"])
    assert events.index("ClusterProvisioning", events.index("ClusterProvisioning") + 3) > 0
    failed = [e for _, e in await published(deps, cluster["id"]) if e.name == "ClusterFailed"]
    assert [(f.data["code"], f.data["operation"]) for f in failed] == [
        ("PROVIDER_INVALID_REQUEST", "create")
    ]
    groups = await _groups(deps, cluster)
    assert [g["status"] for g in groups] == []  # deleted with the rollback


async def _groups(deps: clusters.ProvisioningDeps, cluster: dict[str, Any]) -> list[dict[str, Any]]:
    from skyclust_provisioning.handlers import node_groups

    result = await call(
        node_groups.list_node_groups,
        deps,
        {"workspace_id": cluster["workspace_id"], "cluster_id": cluster["id"]},
        CTX,
    )
    return list(result["items"])


async def test_a_failed_network_fails_the_cluster_with_the_network_code(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await request(deps)
    await advance(deps, cluster)
    failed = reply(
        cluster,
        "ClusterNetworkFailed",
        {
            "request_id": f"provision-{cluster['id']}",
            "provider": "aws",
            "code": "CIDR_EXHAUSTED",
            "message": "no room for a /16",
            "retryable": False,
            "operation": "provision",
        },
    )
    await saga.on_network_failed(deps, failed, delivery())
    got = await status(deps, cluster)
    assert (got["status"], got["status_reason"]) == ("FAILED", "CIDR_EXHAUSTED")
    commands = [s for s, _ in await published(deps, cluster["id"]) if s.startswith("skyclust.cmd")]
    assert commands == ["skyclust.cmd.network.ProvisionClusterNetwork"], (
        "the network service cleaned up after itself: nothing to release"
    )
    assert cloud.create_calls == 0
    conditions = {c["type"]: (c["status"], c["reason"]) for c in got["conditions"]}
    assert conditions["NetworkReady"] == ("False", "CIDR_EXHAUSTED")


async def test_a_network_that_never_answers_hits_the_deadline_and_is_released(sessions):
    deps = make_deps(sessions, FakeClusterProvider())
    cluster = await request(deps)
    await advance(deps, cluster)
    await _set(
        deps,
        cluster,
        step_deadline=datetime.now(UTC) - timedelta(seconds=1),
        updated_at=datetime.now(UTC) - timedelta(hours=1),
    )
    sweeper = sweep.Sweeper(deps, stale_after=60)
    assert uuid.UUID(cluster["id"]) in await sweeper.once()
    await sweeper.wait()
    got = await status(deps, cluster)
    assert (got["step"], got["status_reason"]) == ("release-network", "STEP_DEADLINE_EXCEEDED")
    await saga.on_network_released(deps, released(cluster), delivery())
    assert (await status(deps, cluster))["status"] == "FAILED"


async def test_stopping_the_sweep_job_stops_the_runs_it_started(sessions):
    deps = make_deps(sessions, FakeClusterProvider(polls_until_active=10_000))
    cluster = await request(deps, aws_config={"subnet_ids": ["subnet-a", "subnet-b"]})
    await _set(deps, cluster, updated_at=datetime.now(UTC) - timedelta(hours=1))
    sweeper = sweep.Sweeper(deps, stale_after=60)
    job = PeriodicJob("saga-sweep", 60, sweeper.once, on_stop=sweeper.stop)
    job.start()
    for _ in range(200):
        if sweeper.running:
            break
        await asyncio.sleep(0.01)
    (run,) = sweeper.running.values()
    await asyncio.sleep(0.2)  # well into the control plane's polling
    assert not run.done()
    await job.stop()
    assert run.cancelled() and sweeper.running == {}
    got = await status(deps, cluster)
    assert (got["status"], got["step"]) == ("PROVISIONING", "control-plane"), (
        "a stopped run leaves the saga where it was, for the next sweep to resume"
    )


async def test_a_control_plane_that_never_turns_active_hits_its_deadline(sessions):
    cloud = FakeClusterProvider(polls_until_active=10_000)
    deps = make_deps(sessions, cloud, steps={"control-plane": 0.3})
    cluster = await request(deps, aws_config={"subnet_ids": ["subnet-a", "subnet-b"]})
    await advance(deps, cluster)
    got = await status(deps, cluster)
    assert (got["status"], got["status_reason"]) == ("FAILED", "STEP_DEADLINE_EXCEEDED")
    assert not cloud.clusters, "the half-made control plane is deleted"


async def test_missing_credential_fails_the_cluster(sessions):
    async def gone(*args: Any) -> dict[str, Any]:
        raise wire(NotFound("credential not found", code="CREDENTIAL_NOT_FOUND"))

    deps = make_deps(sessions, FakeClusterProvider(), decrypt_credential=gone)
    cluster = await request(deps, aws_config={"subnet_ids": ["subnet-a", "subnet-b"]})
    await advance(deps, cluster)
    got = await status(deps, cluster)
    assert (got["status"], got["status_reason"]) == ("FAILED", "CREDENTIAL_NOT_FOUND")


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
