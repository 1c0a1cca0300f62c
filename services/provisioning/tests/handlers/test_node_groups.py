"""The node group requests and saga against real PostgreSQL, with the in-memory cloud."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from skyclust_common.contracts import load_registry
from skyclust_common.db import create_engine, outbox_table, session_of
from skyclust_common.dbadmin import provision_service
from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import Conflict, NotFound, ProviderError, ValidationFailed
from skyclust_common.messaging import Delivery, RpcContext
from skyclust_common.migrations import upgrade_head
from skyclust_provisioning.adapters.db import metadata
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.adapters.uow import ProvisioningUnitOfWork
from skyclust_provisioning.handlers import clusters, node_group_saga, node_groups, saga

from .rpc_calls import call

pytestmark = pytest.mark.integration
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
CTX = RpcContext({})


@pytest.fixture(scope="module")
async def sessions(postgres):
    url = await provision_service(postgres.url, "provisioning", "node-groups-test")
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    engine = create_engine(url)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


def make_deps(sessions, cloud: FakeClusterProvider) -> clusters.ProvisioningDeps:
    async def lookup(workspace_id: str, credential_id: str) -> dict[str, Any]:
        return {"id": credential_id, "provider": "aws"}

    async def decrypt(ws: str, cred: str, reason: str, correlation: str) -> dict[str, Any]:
        return {"provider": "aws", "data": {"access_key_id": "AKIA", "secret_access_key": "s"}}

    return clusters.ProvisioningDeps(
        uow=lambda: ProvisioningUnitOfWork(sessions, metadata, load_registry()),
        providers={"aws": cloud},
        lookup_credential=lookup,
        decrypt_credential=decrypt,
        poll_interval=0.01,
        create_timeout=5,
        delete_timeout=5,
        max_attempts=3,
    )


def delivery(n: int = 1) -> Delivery:
    return Delivery("saga", "subject", n, 1)


async def outbox(deps: clusters.ProvisioningDeps, subject: str) -> list[CloudEvent]:
    table = outbox_table(metadata)
    async with deps.uow() as uow:
        rows = await session_of(uow).execute(
            select(table.c.payload).order_by(table.c.created_at, table.c.id)
        )
        events = [CloudEvent.model_validate(row[0]) for row in rows]
    return [e for e in events if e.subject == subject]


async def ready_cluster(deps: clusters.ProvisioningDeps) -> dict[str, Any]:
    cluster = await call(
        clusters.create_cluster,
        deps,
        {
            "workspace_id": str(uuid.uuid4()),
            "actor_id": "u",
            "provider": "aws",
            "name": f"c{uuid.uuid4().hex[:8]}",
            "version": "1.29",
            "region": "us-east-1",
            "credential_id": str(uuid.uuid4()),
            "aws_config": {"subnet_ids": ["subnet-a", "subnet-b"]},
        },
        CTX,
    )
    await saga.advance(deps, cluster["workspace_id"], cluster["id"])
    return cluster


def key(cluster: dict[str, Any], group: dict[str, Any] | None = None) -> dict[str, Any]:
    found = {"workspace_id": cluster["workspace_id"], "cluster_id": cluster["id"]}
    if group is not None:
        found["node_group_id"] = group["id"]
    return found


async def add_group(
    deps: clusters.ProvisioningDeps, cluster: dict[str, Any], **body: Any
) -> tuple[dict[str, Any], CloudEvent]:
    request = {
        **key(cluster),
        "actor_id": "u",
        "name": f"ng{uuid.uuid4().hex[:6]}",
        "min_size": 1,
        "max_size": 3,
        "desired_size": 2,
        "labels": {"tier": "web"},
        "taints": [{"key": "dedicated", "value": "web", "effect": "NoSchedule"}],
        **body,
    }
    group = await call(node_groups.create_node_group, deps, request, CTX)
    return group, (await outbox(deps, group["id"]))[-1]


async def get(deps: clusters.ProvisioningDeps, cluster: dict[str, Any], group: dict[str, Any]):
    return await call(node_groups.get_node_group, deps, key(cluster, group), CTX)


async def test_create_runs_to_ready_once_even_when_redelivered(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await ready_cluster(deps)
    cloud.polls_until_active = 2
    group, requested = await add_group(deps, cluster)
    assert group["status"] == "PENDING"
    assert requested.name == "NodeGroupRequested"
    await node_group_saga.on_node_group_requested(deps, requested, delivery())
    await node_group_saga.on_node_group_requested(deps, requested, delivery(2))
    got = await get(deps, cluster, group)
    assert got["status"] == "READY"
    assert got["cloud_id"]
    assert cloud.node_group_create_calls == 1
    names = [e.name for e in await outbox(deps, group["id"])]
    assert names == ["NodeGroupRequested", "NodeGroupReady"]
    listed = await call(node_groups.list_node_groups, deps, key(cluster), CTX)
    assert [g["id"] for g in listed["items"]] == [group["id"]]


async def test_requests_are_checked_up_front(sessions):
    deps = make_deps(sessions, FakeClusterProvider())
    cluster = await ready_cluster(deps)
    with pytest.raises(ValidationFailed) as info:
        await add_group(deps, cluster, min_size=3, desired_size=2)
    assert info.value.code == "INVALID_NODE_GROUP_SIZE"
    with pytest.raises(ValidationFailed) as info:
        await add_group(deps, cluster, name="has spaces")
    assert info.value.code == "INVALID_NODE_GROUP_NAME"
    group, _ = await add_group(deps, cluster)
    with pytest.raises(Conflict) as conflict:
        await add_group(deps, cluster, name=group["name"])
    assert conflict.value.code == "NODE_GROUP_NAME_TAKEN"
    with pytest.raises(NotFound) as missing:
        await call(
            node_groups.get_node_group,
            deps,
            {**key(cluster, group), "workspace_id": str(uuid.uuid4())},
            CTX,
        )
    assert missing.value.code == "NODE_GROUP_NOT_FOUND"
    with pytest.raises(NotFound):
        await call(
            node_groups.list_node_groups,
            deps,
            {**key(cluster), "workspace_id": str(uuid.uuid4())},
            CTX,
        )
    # A cluster that is not READY yet takes no node groups.
    pending = await call(
        clusters.create_cluster,
        deps,
        {
            "workspace_id": cluster["workspace_id"],
            "actor_id": "u",
            "provider": "aws",
            "name": f"c{uuid.uuid4().hex[:8]}",
            "version": "1.29",
            "region": "us-east-1",
            "credential_id": str(uuid.uuid4()),
        },
        CTX,
    )
    with pytest.raises(Conflict) as busy:
        await add_group(deps, pending)
    assert busy.value.code == "CLUSTER_NOT_READY"


async def test_scale_and_relabel_then_ready_with_node_group_scaled(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await ready_cluster(deps)
    group, requested = await add_group(deps, cluster)
    await node_group_saga.on_node_group_requested(deps, requested, delivery())
    unchanged = await call(
        node_groups.update_node_group,
        deps,
        {**key(cluster, group), "actor_id": "u", "desired_size": 2},
        CTX,
    )
    assert unchanged["status"] == "READY"
    with pytest.raises(ValidationFailed):
        await call(
            node_groups.update_node_group,
            deps,
            {**key(cluster, group), "actor_id": "u", "desired_size": 9},
            CTX,
        )
    cloud.polls_until_active = 2
    updating = await call(
        node_groups.update_node_group,
        deps,
        {**key(cluster, group), "actor_id": "u", "max_size": 6, "desired_size": 5, "taints": []},
        CTX,
    )
    assert updating["status"] == "UPDATING"
    assert (updating["min_size"], updating["max_size"], updating["desired_size"]) == (1, 6, 5)
    assert updating["labels"] == {"tier": "web"}
    with pytest.raises(Conflict) as busy:
        await call(
            node_groups.update_node_group,
            deps,
            {**key(cluster, group), "actor_id": "u", "desired_size": 1},
            CTX,
        )
    assert busy.value.code == "NODE_GROUP_BUSY"
    update = (await outbox(deps, group["id"]))[-1]
    assert update.name == "NodeGroupUpdateRequested"
    await node_group_saga.on_node_group_update_requested(deps, update, delivery())
    assert (await get(deps, cluster, group))["status"] == "READY"
    stored = next(iter(cloud.node_groups.values()))
    assert (stored["max_size"], stored["desired_size"], stored["taints"]) == (6, 5, ())
    scaled = (await outbox(deps, group["id"]))[-1]
    assert scaled.name == "NodeGroupScaled"
    assert scaled.data["desired_size"] == 5


async def test_delete_never_trusts_an_error_and_ends_deleted(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await ready_cluster(deps)
    group, requested = await add_group(deps, cluster)
    await node_group_saga.on_node_group_requested(deps, requested, delivery())
    deleting = await call(
        node_groups.delete_node_group, deps, {**key(cluster, group), "actor_id": "u"}, CTX
    )
    assert deleting["status"] == "DELETING"
    delete_requested = (await outbox(deps, group["id"]))[-1]
    assert delete_requested.name == "NodeGroupDeleteRequested"
    cloud.faults.append(ProviderError("outage", code="PROVIDER_UNAVAILABLE", retryable=True))
    with pytest.raises(ProviderError):
        await node_group_saga.on_node_group_delete_requested(deps, delete_requested, delivery(1))
    assert (await get(deps, cluster, group))["status"] == "DELETING"
    assert cloud.node_groups, "an error must not be taken to mean the node group is gone"
    await node_group_saga.on_node_group_delete_requested(deps, delete_requested, delivery(2))
    assert not cloud.node_groups
    with pytest.raises(NotFound):
        await get(deps, cluster, group)
    assert (await outbox(deps, group["id"]))[-1].name == "NodeGroupDeleted"


async def test_permanent_cloud_error_fails_the_node_group(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await ready_cluster(deps)
    group, requested = await add_group(deps, cluster)
    cloud.faults.append(ProviderError("no quota", code="PROVIDER_QUOTA_EXCEEDED"))
    await node_group_saga.on_node_group_requested(deps, requested, delivery())
    got = await get(deps, cluster, group)
    assert (got["status"], got["status_reason"]) == ("FAILED", "PROVIDER_QUOTA_EXCEEDED")
    failed = (await outbox(deps, group["id"]))[-1]
    assert failed.name == "NodeGroupFailed"
    assert (failed.data["operation"], failed.data["retryable"]) == ("create", False)
    # A failed name is free again.
    again, _ = await add_group(deps, cluster, name=group["name"])
    assert again["status"] == "PENDING"


async def test_deleting_a_cluster_deletes_its_node_groups_first(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await ready_cluster(deps)
    group, requested = await add_group(deps, cluster)
    await node_group_saga.on_node_group_requested(deps, requested, delivery())
    await call(clusters.delete_cluster, deps, {**key(cluster), "actor_id": "u"}, CTX)
    await saga.advance(deps, cluster["workspace_id"], cluster["id"])
    assert not cloud.node_groups and not cloud.clusters
    with pytest.raises(NotFound):
        await get(deps, cluster, group)
    assert (await outbox(deps, group["id"]))[-1].name == "NodeGroupDeleted"


def condition(cluster_view: dict[str, Any], kind: str) -> tuple[str, str]:
    found = {c["type"]: c for c in cluster_view["conditions"]}[kind]
    return found["status"], found["reason"]


async def test_the_cluster_view_shows_its_conditions(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await ready_cluster(deps)
    view = await call(clusters.get_cluster, deps, key(cluster), CTX)
    assert condition(view, "ControlPlaneReady") == ("True", "Active")
    assert condition(view, "NetworkReady") == ("True", "ProviderConfig")
    assert condition(view, "NodeGroupsReady") == ("True", "NoNodeGroups")
    assert condition(view, "Drifted") == ("Unknown", "NotChecked")

    group, requested = await add_group(deps, cluster)
    view = await call(clusters.get_cluster, deps, key(cluster), CTX)
    assert condition(view, "NodeGroupsReady") == ("False", "Progressing")
    await node_group_saga.on_node_group_requested(deps, requested, delivery())
    listed = await call(
        clusters.list_clusters,
        deps,
        {"workspace_id": cluster["workspace_id"], "provider": "aws"},
        CTX,
    )
    assert condition(listed["items"][0], "NodeGroupsReady") == ("True", "AllReady")

    await call(
        node_groups.update_node_group,
        deps,
        {**key(cluster, group), "actor_id": "u", "desired_size": 3},
        CTX,
    )
    cloud.faults.append(ProviderError("no quota", code="PROVIDER_QUOTA_EXCEEDED"))
    await node_group_saga.on_node_group_update_requested(
        deps, (await outbox(deps, group["id"]))[-1], delivery()
    )
    view = await call(clusters.get_cluster, deps, key(cluster), CTX)
    assert condition(view, "NodeGroupsReady") == ("False", "NodeGroupFailed")
    assert condition(view, "ControlPlaneReady") == ("True", "Active")


async def test_a_failed_create_shows_why_in_its_conditions(sessions):
    cloud = FakeClusterProvider()
    cloud.faults.append(ProviderError("no default VPC", code="NETWORK_REQUIRED"))
    deps = make_deps(sessions, cloud)
    cluster = await ready_cluster(deps)
    view = await call(clusters.get_cluster, deps, key(cluster), CTX)
    assert view["status"] == "FAILED"
    assert condition(view, "NetworkReady") == ("False", "NETWORK_REQUIRED")
    assert condition(view, "ControlPlaneReady") == ("False", "Deleted")


async def test_a_cluster_delete_overtaking_a_node_group_create_wins(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await ready_cluster(deps)
    group, requested = await add_group(deps, cluster)
    await call(clusters.delete_cluster, deps, {**key(cluster), "actor_id": "u"}, CTX)
    await node_group_saga.on_node_group_requested(deps, requested, delivery())
    assert cloud.node_group_create_calls == 0
    await saga.advance(deps, cluster["workspace_id"], cluster["id"])
    with pytest.raises(NotFound):
        await get(deps, cluster, group)
