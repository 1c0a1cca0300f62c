"""Upgrades (control plane, then node groups) and adoption (discover, import read-only,
promote) against real PostgreSQL, with the in-memory cloud."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from skyclust_common.errors import ProviderError, SkyclustError
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.handlers import adopt, clusters, drift, node_groups

from .rpc_calls import call
from .saga_harness import CTX, NODE_GROUP, _groups, advance, make_deps, names, request, status

pytestmark = pytest.mark.integration


async def ready(deps: Any, version: str = "1.29") -> dict[str, Any]:
    cluster = await request(
        deps,
        version=version,
        aws_config={"subnet_ids": ["subnet-a", "subnet-b"]},
        node_groups=[NODE_GROUP],
    )
    await advance(deps, cluster)
    return cluster


def key(cluster: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "workspace_id": cluster["workspace_id"],
        "cluster_id": cluster["id"],
        "actor_id": "u",
        **extra,
    }


async def upgrade(deps: Any, cluster: dict[str, Any], version: str) -> dict[str, Any]:
    return await call(clusters.upgrade_cluster, deps, key(cluster, version=version), CTX)


async def refused(deps: Any, cluster: dict[str, Any], version: str) -> str:
    with pytest.raises(SkyclustError) as info:
        await upgrade(deps, cluster, version)
    return info.value.code


# upgrade --------------------------------------------------------------------------------


async def test_upgrade_moves_the_control_plane_then_the_node_groups(sessions):
    cloud = FakeClusterProvider(polls_until_active=2)
    deps = make_deps(sessions, cloud)
    cluster = await ready(deps)
    started = await upgrade(deps, cluster, "1.30")
    assert (started["status"], started["target_version"]) == ("UPDATING", "1.30")
    await advance(deps, cluster)
    got = await status(deps, cluster)
    assert (got["status"], got["version"], got["target_version"]) == ("READY", "1.30", None)
    (stored,) = cloud.clusters.values()
    assert stored["version"] == "1.30"
    assert [g["version"] for g in cloud.node_groups.values()] == ["1.30"]
    assert [g["version"] for g in await _groups(deps, cluster)] == ["1.30"]
    assert (await names(deps, cluster["id"]))[-3:] == [
        "ClusterUpgradeRequested",
        "ClusterProvisioning",
        "ClusterUpgraded",
    ]
    assert cloud.upgrade_calls == 2  # the control plane, then the one node group


async def test_versions_are_checked_before_anything_starts(sessions):
    cloud = FakeClusterProvider(versions=("1.29", "1.31", "1.32"))
    deps = make_deps(sessions, cloud)
    cluster = await ready(deps)
    assert await refused(deps, cluster, "1.29") == "VERSION_UNCHANGED"
    assert await refused(deps, cluster, "1.28") == "VERSION_DOWNGRADE"
    assert await refused(deps, cluster, "1.30") == "VERSION_NOT_OFFERED"
    assert await refused(deps, cluster, "1.31") == "VERSION_SKIP"
    assert await refused(deps, cluster, "2.0") == "VERSION_SKIP"
    assert (await status(deps, cluster))["status"] == "READY"
    assert cloud.upgrade_calls == 0


async def test_a_failed_upgrade_leaves_the_cluster_ready_on_what_the_cloud_runs(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await ready(deps)
    await upgrade(deps, cluster, "1.30")
    real = cloud.upgrade_node_group

    async def refuse(*args: Any) -> None:
        raise ProviderError("node image missing", code="PROVIDER_INVALID_REQUEST")

    cloud.upgrade_node_group = refuse  # type: ignore[method-assign,assignment]
    await advance(deps, cluster)
    cloud.upgrade_node_group = real  # type: ignore[method-assign]
    got = await status(deps, cluster)
    assert (got["status"], got["version"], got["status_reason"]) == (
        "READY",
        "1.30",
        "PROVIDER_INVALID_REQUEST",
    )
    assert [g["status"] for g in await _groups(deps, cluster)] == ["READY"]
    assert (await names(deps, cluster["id"]))[-1] == "ClusterUpgradeFailed"


async def test_a_busy_cluster_cannot_be_upgraded_or_deleted(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await ready(deps)
    await upgrade(deps, cluster, "1.30")
    assert await refused(deps, cluster, "1.30") == "CLUSTER_BUSY"
    with pytest.raises(SkyclustError) as info:
        await call(clusters.delete_cluster, deps, key(cluster), CTX)
    assert info.value.code == "CLUSTER_BUSY"


# adoption ------------------------------------------------------------------------------


async def with_legacy(
    sessions: Any,
) -> tuple[FakeClusterProvider, Any, dict[str, Any], dict[str, Any]]:
    """A cloud with one cluster of ours and one made elsewhere ("legacy", node group
    "ng1"); and where to look for it: our workspace, credential and region."""
    cloud = FakeClusterProvider()
    cloud.add_unmanaged_cluster("us-east-1", "legacy", version="1.31", node_groups=("ng1",))
    deps = make_deps(sessions, cloud)
    mine = await ready(deps)
    where = {
        "workspace_id": mine["workspace_id"],
        "provider": "aws",
        "credential_id": mine["credential_id"],
        "region": "us-east-1",
    }
    return cloud, deps, mine, where


async def test_discover_import_read_only_then_promote(sessions):
    cloud, deps, mine, where = await with_legacy(sessions)
    found = {c["name"]: c for c in (await call(adopt.discover_clusters, deps, where, CTX))["items"]}
    assert found["legacy"]["tracked_by"] is None
    assert found[mine["name"]]["tracked_by"] == mine["id"]
    assert [g["name"] for g in found["legacy"]["node_groups"]] == ["ng1"]

    imported = await call(
        adopt.import_cluster, deps, {**where, "actor_id": "u", "name": "legacy"}, CTX
    )
    assert (imported["status"], imported["managed"], imported["version"]) == (
        "READY",
        False,
        "1.31",
    )
    (group,) = await _groups(deps, imported)
    assert (group["name"], group["desired_size"], group["status"]) == ("ng1", 2, "READY")
    with pytest.raises(SkyclustError) as info:
        await call(adopt.import_cluster, deps, {**where, "actor_id": "u", "name": "legacy"}, CTX)
    assert info.value.code == "CLUSTER_ALREADY_TRACKED"

    # Read-only: nothing SkyClust would change in the cloud is allowed.
    for handler, body in (
        (clusters.delete_cluster, key(imported)),
        (clusters.upgrade_cluster, key(imported, version="1.32")),
        (drift.reconcile_cluster, key(imported)),
        (node_groups.update_node_group, key(imported, node_group_id=group["id"], desired_size=3)),
        (node_groups.delete_node_group, key(imported, node_group_id=group["id"])),
        (
            node_groups.create_node_group,
            key(imported, name="more", min_size=1, max_size=2, desired_size=1),
        ),
    ):
        with pytest.raises(SkyclustError) as info:
            await call(handler, deps, body, CTX)
        assert info.value.code == "CLUSTER_READ_ONLY", handler.__name__
    assert cloud.clusters[("us-east-1", "legacy")]["tags"] == {}

    promoted = await call(adopt.promote_cluster, deps, key(imported), CTX)
    assert promoted["managed"] is True
    assert cloud.clusters[("us-east-1", "legacy")]["tags"]
    assert (await names(deps, imported["id"]))[-1] == "ClusterPromoted"
    # Managed now: its current state is the desired one, in sync.
    workspace, cluster_id = uuid.UUID(imported["workspace_id"]), uuid.UUID(imported["id"])
    assert await drift.check_cluster(deps, workspace, cluster_id, 60, 600) == []
    await call(
        node_groups.update_node_group,
        deps,
        key(imported, node_group_id=group["id"], desired_size=3),
        CTX,
    )


async def test_a_read_only_cluster_is_forgotten_without_touching_the_cloud(sessions):
    cloud, deps, mine, around = await with_legacy(sessions)
    where = {**around, "actor_id": "u", "name": "legacy"}
    imported = await call(adopt.import_cluster, deps, where, CTX)
    in_cloud = dict(cloud.clusters[("us-east-1", "legacy")])

    forgotten = await call(adopt.forget_cluster, deps, key(imported), CTX)
    assert forgotten["status"] == "DELETED"
    assert (await names(deps, imported["id"]))[-1] == "ClusterForgotten"
    assert cloud.clusters[("us-east-1", "legacy")] == in_cloud  # untouched, node pool too
    with pytest.raises(SkyclustError) as info:
        await status(deps, imported)
    assert info.value.code == "CLUSTER_NOT_FOUND"
    with pytest.raises(SkyclustError) as info:
        await call(adopt.forget_cluster, deps, key(imported), CTX)
    assert info.value.code == "CLUSTER_NOT_FOUND"

    # It can be imported again; a managed cluster is not forgotten but deleted.
    again = await call(adopt.import_cluster, deps, where, CTX)
    assert again["id"] != imported["id"]
    assert [g["name"] for g in await _groups(deps, again)] == ["ng1"]
    for managed in (mine, await call(adopt.promote_cluster, deps, key(again), CTX)):
        with pytest.raises(SkyclustError) as info:
            await call(adopt.forget_cluster, deps, key(managed), CTX)
        assert info.value.code == "CLUSTER_MANAGED"
    assert (await status(deps, mine))["status"] == "READY"


async def test_import_of_an_unknown_cluster_is_a_clear_error(sessions):
    deps = make_deps(sessions, FakeClusterProvider())
    mine = await ready(deps)
    with pytest.raises(SkyclustError) as info:
        await call(
            adopt.import_cluster,
            deps,
            {
                "workspace_id": mine["workspace_id"],
                "actor_id": "u",
                "provider": "aws",
                "credential_id": mine["credential_id"],
                "region": "us-east-1",
                "name": "nope",
            },
            CTX,
        )
    assert info.value.code == "CLOUD_CLUSTER_NOT_FOUND"
