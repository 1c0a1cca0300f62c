"""The cluster saga's steps against real PostgreSQL, with the in-memory cloud."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from skyclust_common.contracts import load_registry
from skyclust_common.db import UnitOfWork, create_engine, outbox_table
from skyclust_common.dbadmin import provision_service
from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import NotFound, ProviderError
from skyclust_common.messaging import Delivery, RpcContext
from skyclust_common.migrations import upgrade_head
from skyclust_provisioning.adapters.db import metadata
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.domain.cluster import ClusterSpec
from skyclust_provisioning.handlers import clusters

pytestmark = pytest.mark.integration
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
CTX = RpcContext({})


@pytest.fixture(scope="module")
async def sessions(postgres):
    url = await provision_service(postgres.url, "provisioning", "saga-test")
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    engine = create_engine(url)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


def make_deps(sessions, cloud: FakeClusterProvider, **overrides: Any) -> clusters.ProvisioningDeps:
    async def lookup(workspace_id: str, credential_id: str) -> dict[str, Any]:
        return {"id": credential_id, "provider": "aws"}

    async def decrypt(ws: str, cred: str, reason: str, correlation: str) -> dict[str, Any]:
        return {"provider": "aws", "data": {"access_key_id": "AKIA", "secret_access_key": "s"}}

    values: dict[str, Any] = {
        "uow": lambda: UnitOfWork(sessions, metadata, load_registry()),
        "providers": {"aws": cloud},
        "lookup_credential": lookup,
        "decrypt_credential": decrypt,
        "poll_interval": 0.01,
        "create_timeout": 5,
        "delete_timeout": 5,
        "max_attempts": 3,
    }
    values.update(overrides)
    return clusters.ProvisioningDeps(**values)


async def request(deps: clusters.ProvisioningDeps) -> tuple[dict[str, Any], CloudEvent]:
    workspace = str(uuid.uuid4())
    cluster = await clusters.create_cluster(
        deps,
        {
            "workspace_id": workspace,
            "actor_id": str(uuid.uuid4()),
            "provider": "aws",
            "name": f"c{uuid.uuid4().hex[:8]}",
            "version": "1.29",
            "region": "us-east-1",
            "credential_id": str(uuid.uuid4()),
        },
        CTX,
    )
    events = await outbox(deps, cluster["id"])
    return cluster, events[0]


async def outbox(deps: clusters.ProvisioningDeps, cluster_id: str) -> list[CloudEvent]:
    table = outbox_table(metadata)
    async with deps.uow() as uow:
        rows = await uow.session.execute(
            select(table.c.payload).order_by(table.c.created_at, table.c.id)
        )
        events = [CloudEvent.model_validate(row[0]) for row in rows]
    return [e for e in events if e.subject == cluster_id]


def delivery(n: int = 1) -> Delivery:
    return Delivery("saga", "subject", n, 1)


async def status(deps: clusters.ProvisioningDeps, cluster: dict[str, Any]) -> dict[str, Any]:
    return await clusters.get_cluster(
        deps, {"workspace_id": cluster["workspace_id"], "cluster_id": cluster["id"]}, CTX
    )


async def test_happy_path_emits_requested_provisioning_ready(sessions):
    cloud = FakeClusterProvider(polls_until_active=2)
    deps = make_deps(sessions, cloud)
    cluster, requested = await request(deps)
    await clusters.on_cluster_requested(deps, requested, delivery())
    got = await status(deps, cluster)
    assert got["status"] == "READY"
    assert got["endpoint"] == "https://fake.example"
    names = [e.name for e in await outbox(deps, cluster["id"])]
    assert names == ["ClusterRequested", "ClusterProvisioning", "ClusterReady"]


async def test_rerun_after_a_crash_creates_nothing_twice(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster, requested = await request(deps)
    await clusters.on_cluster_requested(deps, requested, delivery())
    # Redelivered after READY, and again as if the first run had died mid-way.
    await clusters.on_cluster_requested(deps, requested, delivery(2))
    assert cloud.create_calls == 1
    names = [e.name for e in await outbox(deps, cluster["id"])]
    assert names.count("ClusterReady") == 1


async def test_crash_between_cloud_create_and_commit_resumes_with_one_cluster(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster, requested = await request(deps)
    # The dead process had created the cloud cluster but committed nothing.
    await cloud.create(
        (await _spec(deps, cluster)),
        {"access_key_id": "AKIA", "secret_access_key": "s"},
    )
    await clusters.on_cluster_requested(deps, requested, delivery(2))
    assert cloud.create_calls == 1
    assert (await status(deps, cluster))["status"] == "READY"


async def _spec(deps: clusters.ProvisioningDeps, cluster: dict[str, Any]) -> ClusterSpec:
    from skyclust_provisioning.adapters.db import Clusters

    async with deps.uow() as uow:
        found = await Clusters(uow.session).get(
            uuid.UUID(cluster["workspace_id"]), uuid.UUID(cluster["id"])
        )
        assert found is not None
        return found.spec()


async def test_permanent_cloud_error_fails_with_its_code(sessions):
    cloud = FakeClusterProvider()
    cloud.faults.append(ProviderError("no such role", code="PROVIDER_INVALID_REQUEST"))
    deps = make_deps(sessions, cloud)
    cluster, requested = await request(deps)
    await clusters.on_cluster_requested(deps, requested, delivery())
    got = await status(deps, cluster)
    assert got["status"] == "FAILED"
    assert got["status_reason"] == "PROVIDER_INVALID_REQUEST"
    failed = (await outbox(deps, cluster["id"]))[-1]
    assert failed.name == "ClusterFailed"
    assert failed.data["retryable"] is False
    assert failed.data["operation"] == "create"


async def test_transient_error_is_retried_then_fails_at_the_last_attempt(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster, requested = await request(deps)
    for attempt in (1, 2):
        cloud.faults.append(ProviderError("slow down", code="PROVIDER_THROTTLED", retryable=True))
        with pytest.raises(ProviderError):
            await clusters.on_cluster_requested(deps, requested, delivery(attempt))
        assert (await status(deps, cluster))["status"] == "PENDING"
    cloud.faults.append(ProviderError("slow down", code="PROVIDER_THROTTLED", retryable=True))
    await clusters.on_cluster_requested(deps, requested, delivery(3))
    got = await status(deps, cluster)
    assert got["status"] == "FAILED"
    assert got["status_reason"] == "PROVIDER_THROTTLED"


async def test_transient_error_then_success(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster, requested = await request(deps)
    cloud.faults.append(ProviderError("503", code="PROVIDER_UNAVAILABLE", retryable=True))
    with pytest.raises(ProviderError):
        await clusters.on_cluster_requested(deps, requested, delivery(1))
    await clusters.on_cluster_requested(deps, requested, delivery(2))
    assert (await status(deps, cluster))["status"] == "READY"


async def test_missing_credential_fails_the_cluster(sessions):
    async def gone(*args: Any) -> dict[str, Any]:
        raise NotFound("credential not found", code="CREDENTIAL_NOT_FOUND")

    deps = make_deps(sessions, FakeClusterProvider(), decrypt_credential=gone)
    cluster, requested = await request(deps)
    await clusters.on_cluster_requested(deps, requested, delivery())
    got = await status(deps, cluster)
    assert (got["status"], got["status_reason"]) == ("FAILED", "CREDENTIAL_NOT_FOUND")


async def test_delete_waits_for_the_cloud_and_never_trusts_an_error(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster, requested = await request(deps)
    await clusters.on_cluster_requested(deps, requested, delivery())
    deleting = await clusters.delete_cluster(
        deps,
        {"workspace_id": cluster["workspace_id"], "cluster_id": cluster["id"], "actor_id": "a"},
        CTX,
    )
    assert deleting["status"] == "DELETING"
    delete_requested = (await outbox(deps, cluster["id"]))[-1]
    assert delete_requested.name == "ClusterDeleteRequested"

    cloud.faults.append(ProviderError("outage", code="PROVIDER_UNAVAILABLE", retryable=True))
    with pytest.raises(ProviderError):
        await clusters.on_cluster_delete_requested(deps, delete_requested, delivery(1))
    assert (await status(deps, cluster))["status"] == "DELETING"
    assert cloud.clusters, "an error must not be taken to mean the cluster is gone"

    await clusters.on_cluster_delete_requested(deps, delete_requested, delivery(2))
    assert not cloud.clusters
    with pytest.raises(NotFound):
        await status(deps, cluster)
    assert (await outbox(deps, cluster["id"]))[-1].name == "ClusterDeleted"


async def test_a_delete_overtaking_a_create_wins(sessions):
    cloud = FakeClusterProvider(polls_until_active=1000)
    deps = make_deps(sessions, cloud, create_timeout=0.3)
    cluster, requested = await request(deps)
    creating = asyncio.create_task(clusters.on_cluster_requested(deps, requested, delivery(3)))
    await asyncio.sleep(0.1)
    await clusters.delete_cluster(
        deps,
        {"workspace_id": cluster["workspace_id"], "cluster_id": cluster["id"], "actor_id": "a"},
        CTX,
    )
    await creating
    assert (await status(deps, cluster))["status"] == "DELETING"


async def test_names_are_unique_per_workspace_and_region(sessions):
    deps = make_deps(sessions, FakeClusterProvider())
    cluster, _ = await request(deps)
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
        await clusters.create_cluster(deps, body, CTX)
    assert info.value.code == "CLUSTER_NAME_TAKEN"  # type: ignore[attr-defined]
    elsewhere = await clusters.create_cluster(deps, {**body, "region": "eu-west-1"}, CTX)
    assert elsewhere["status"] == "PENDING"
