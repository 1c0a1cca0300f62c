"""Drift detection and reconcile against real PostgreSQL, with the in-memory cloud."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from skyclust_common.db import session_of
from skyclust_common.envelope import new_event
from skyclust_common.errors import ProviderError
from skyclust_provisioning.adapters.db import Cluster
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.handlers import drift, node_group_saga, node_groups
from skyclust_provisioning.handlers.credential_cache import CredentialCache

from .rpc_calls import call
from .saga_harness import CTX, NODE_GROUP, _groups, make_deps, names, published, request, status
from .saga_harness import advance as run_saga

pytestmark = pytest.mark.integration
INTERVAL = 60.0
BACKOFF_MAX = 600.0


async def ready_cluster(deps: Any) -> dict[str, Any]:
    cluster = await request(
        deps,
        aws_config={"subnet_ids": ["subnet-a", "subnet-b"]},
        node_groups=[{**NODE_GROUP, "labels": {"team": "a"}}],
    )
    await run_saga(deps, cluster)
    assert (await status(deps, cluster))["status"] == "READY"
    return cluster


async def check(deps: Any, cluster: dict[str, Any]) -> list[dict[str, Any]] | None:
    return await drift.check_cluster(
        deps,
        uuid.UUID(cluster["workspace_id"]),
        uuid.UUID(cluster["id"]),
        INTERVAL,
        BACKOFF_MAX,
    )


def cloud_group(cloud: FakeClusterProvider) -> dict[str, Any]:
    (group,) = cloud.node_groups.values()
    return group


async def test_in_sync_then_a_resize_in_the_cloud_is_reported_once(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await ready_cluster(deps)
    assert await check(deps, cluster) == []
    got = await status(deps, cluster)
    assert {c["type"]: c["reason"] for c in got["conditions"]}["Drifted"] == "InSync"
    assert got["drift_checked_at"] is not None

    cloud_group(cloud).update(desired_size=3, labels={"team": "b"})
    found = await check(deps, cluster)
    assert found == [
        {"field": "node_groups.workers.desired_size", "desired": 2, "actual": 3},
        {"field": "node_groups.workers.labels", "desired": {"team": "a"}, "actual": {"team": "b"}},
    ]
    # The same drift seen again is not announced again; nothing was changed back.
    await check(deps, cluster)
    assert (await names(deps, cluster["id"])).count("ClusterDriftDetected") == 1
    assert cloud_group(cloud)["desired_size"] == 3
    got = await status(deps, cluster)
    assert got["drift"] == found
    assert {c["type"]: c["status"] for c in got["conditions"]}["Drifted"] == "True"


async def test_a_version_changed_in_the_cloud_is_drift_and_reconcile_accepts_it(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await ready_cluster(deps)
    (stored,) = cloud.clusters.values()
    stored["version"] = "1.30"
    assert await check(deps, cluster) == [{"field": "version", "desired": "1.29", "actual": "1.30"}]
    result = await call(
        drift.reconcile_cluster,
        deps,
        {"workspace_id": cluster["workspace_id"], "cluster_id": cluster["id"], "actor_id": "u"},
        CTX,
    )
    assert result["actions"][0]["field"] == "version"
    assert result["cluster"]["version"] == "1.30"
    assert await check(deps, cluster) == []
    assert (await names(deps, cluster["id"]))[-1] == "ClusterDriftResolved"


async def test_cloud_errors_back_off_and_change_nothing(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await ready_cluster(deps)
    cloud_group(cloud)["desired_size"] = 3
    await check(deps, cluster)
    before = await status(deps, cluster)
    for _ in range(3):
        cloud.faults.append(ProviderError("throttled", code="PROVIDER_THROTTLED", retryable=True))
        assert await check(deps, cluster) is None
    cloud.faults.append(ProviderError("gone?", code="PROVIDER_UNAVAILABLE", retryable=True))
    assert await check(deps, cluster) is None
    after = await status(deps, cluster)
    assert after["drift"] == before["drift"], "an error neither makes nor clears drift"
    assert after["conditions"] == before["conditions"]
    assert (await names(deps, cluster["id"])).count("ClusterDriftDetected") == 1
    assert cloud.node_groups and cloud.clusters
    async with deps.uow() as uow:
        row = await session_of(uow).get(Cluster, uuid.UUID(cluster["id"]))
        assert row is not None
        assert row.drift_failures == 4
        assert row.drift_next_check_at is not None
        wait = (row.drift_next_check_at - datetime.now(UTC)).total_seconds()
        # 60 s doubled per failure (120, 240, 480, 960), capped at 600 s.
        assert BACKOFF_MAX - 5 < wait <= BACKOFF_MAX
    # Not due yet: the pass leaves it alone.
    assert await drift.pass_once(deps, INTERVAL, BACKOFF_MAX) >= 0
    async with deps.uow() as uow:
        row = await session_of(uow).get(Cluster, uuid.UUID(cluster["id"]))
        assert row is not None and row.drift_failures == 4


async def test_reconcile_restores_sizes_and_recreates_a_missing_node_group(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await ready_cluster(deps)
    cloud_group(cloud)["desired_size"] = 1
    key = {"workspace_id": cluster["workspace_id"], "cluster_id": cluster["id"], "actor_id": "u"}
    result = await call(drift.reconcile_cluster, deps, key, CTX)
    assert result["actions"] == [{"field": "node_groups.workers", "action": "restore"}]
    (update_requested,) = [
        e for _, e in await published(deps, cluster["id"]) if e.name == "NodeGroupUpdateRequested"
    ]
    await node_group_saga.on_node_group_update_requested(deps, update_requested, _delivery())
    assert cloud_group(cloud)["desired_size"] == 2
    assert await check(deps, cluster) == []

    cloud.node_groups.clear()  # deleted in the console
    assert await check(deps, cluster) == [
        {"field": "node_groups.workers", "desired": "present", "actual": "absent"}
    ]
    (group,) = await _groups(deps, cluster)
    assert group["status"] == "READY", "a node group missing in the cloud is not deleted here"
    result = await call(drift.reconcile_cluster, deps, key, CTX)
    assert result["actions"] == [{"field": "node_groups.workers", "action": "recreate"}]
    requested = [
        e for _, e in await published(deps, cluster["id"]) if e.name == "NodeGroupRequested"
    ]
    await node_group_saga.on_node_group_requested(deps, requested[-1], _delivery())
    assert cloud_group(cloud)["desired_size"] == 2
    assert await check(deps, cluster) == []


async def test_a_busy_cluster_is_not_checked_and_a_change_during_a_check_is_not_recorded(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await ready_cluster(deps)
    async with deps.uow() as uow:
        await session_of(uow).execute(
            update(Cluster).where(Cluster.id == uuid.UUID(cluster["id"])).values(status="UPDATING")
        )
        await uow.commit()
    cloud_group(cloud)["desired_size"] = 3
    assert await check(deps, cluster) is None
    async with deps.uow() as uow:
        await session_of(uow).execute(
            update(Cluster).where(Cluster.id == uuid.UUID(cluster["id"])).values(status="READY")
        )
        await uow.commit()

    # A user scales while the comparison runs: the stale comparison is dropped.
    real = cloud.describe_node_group

    async def racing(*args: Any) -> Any:
        (group,) = await _groups(deps, cluster)
        await call(
            node_groups.update_node_group,
            deps,
            {
                "workspace_id": cluster["workspace_id"],
                "cluster_id": cluster["id"],
                "node_group_id": group["id"],
                "actor_id": "u",
                "desired_size": 3,
            },
            CTX,
        )
        return await real(*args)

    cloud.describe_node_group = racing  # type: ignore[method-assign,assignment]
    assert await check(deps, cluster) is None
    assert "ClusterDriftDetected" not in await names(deps, cluster["id"])


async def test_a_read_only_cluster_cannot_be_reconciled(sessions):
    deps = make_deps(sessions, FakeClusterProvider())
    cluster = await ready_cluster(deps)
    async with deps.uow() as uow:
        await session_of(uow).execute(
            update(Cluster).where(Cluster.id == uuid.UUID(cluster["id"])).values(managed=False)
        )
        await uow.commit()
    with pytest.raises(Exception) as info:
        await call(
            drift.reconcile_cluster,
            deps,
            {"workspace_id": cluster["workspace_id"], "cluster_id": cluster["id"], "actor_id": "u"},
            CTX,
        )
    assert info.value.code == "CLUSTER_READ_ONLY"  # type: ignore[attr-defined]


def _delivery() -> Any:
    from skyclust_common.messaging import Delivery

    return Delivery("saga", "subject", 1, 1)


async def test_drift_passes_reuse_one_decrypt_per_credential_until_it_changes(sessions):
    decrypts: list[tuple[str, str]] = []

    async def decrypt(ws: str, cred: str, reason: str, correlation: str) -> dict[str, Any]:
        decrypts.append((cred, reason))
        return {"provider": "aws", "data": {"access_key_id": "AKIA", "secret_access_key": "s"}}

    clock = [0.0]
    cache = CredentialCache(ttl=900.0, clock=lambda: clock[0])
    deps = make_deps(
        sessions, FakeClusterProvider(), decrypt_credential=decrypt, drift_credentials=cache
    )
    workspace_id, credential_id = str(uuid.uuid4()), str(uuid.uuid4())
    clusters = []
    for _ in range(4):
        cluster = await request(
            deps,
            workspace_id=workspace_id,
            credential_id=credential_id,
            aws_config={"subnet_ids": ["subnet-a", "subnet-b"]},
            node_groups=[NODE_GROUP],
        )
        await run_saga(deps, cluster)
        clusters.append(cluster)
    decrypts.clear()  # the creates' own, one per saga run

    async def drift_pass() -> None:
        for cluster in clusters:
            assert await check(deps, cluster) == []
        clock[0] += 300.0

    for _ in range(3):  # 3 passes over 4 clusters, within the TTL: one decrypt
        await drift_pass()
    assert decrypts == [(credential_id, "check drift")]

    await drift_pass()  # past the TTL: read again, once
    assert len(decrypts) == 2

    rotated = new_event(
        "CredentialRotated",
        {
            "credential_id": credential_id,
            "provider": "aws",
            "name": "prod",
            "masked": {},
            "rotated_at": datetime.now(UTC).isoformat(),
        },
        source="credential-vault",
        workspace_id=workspace_id,
    )
    await drift.on_credential_changed(deps, rotated, _delivery())
    await drift_pass()
    assert len(decrypts) == 3  # 5 passes over 4 clusters: 3 decrypts, not 20


async def test_a_failed_drift_check_forgets_the_credential(sessions):
    decrypts: list[str] = []

    async def decrypt(ws: str, cred: str, reason: str, correlation: str) -> dict[str, Any]:
        decrypts.append(cred)
        return {"provider": "aws", "data": {"access_key_id": "AKIA", "secret_access_key": "s"}}

    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud, decrypt_credential=decrypt)
    cluster = await ready_cluster(deps)
    decrypts.clear()
    assert await check(deps, cluster) == []
    cloud.faults.append(
        ProviderError("expired token", code="PROVIDER_AUTH_FAILED", retryable=False)
    )
    assert await check(deps, cluster) is None
    assert len(deps.drift_credentials) == 0
    assert await check(deps, cluster) == []
    assert len(decrypts) == 2
