"""Platform events become notifications for the right members, once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from skyclust_common.errors import ServiceUnavailable
from skyclust_notification.handlers.inbox import on_platform_event

pytestmark = pytest.mark.unit


def rows(world: Any) -> list[Any]:
    return list(world.db.tables.get("notifications", {}).values())


async def test_a_failed_cluster_reaches_the_admins_and_whoever_asked_for_it(world, deliver):
    event = world.cluster_failed(actor=world.user)
    await on_platform_event(world.deps, event, deliver(event))
    got = {n.user_id: n for n in rows(world)}
    assert set(got) == {world.admin.user_id, world.user.user_id}
    note = got[world.admin.user_id]
    assert (note.severity.value, note.event_type, note.resource_type) == (
        "critical",
        "ClusterFailed",
        "cluster",
    )
    assert note.title == "Cluster prod could not be created"
    assert "QUOTA_EXCEEDED" in note.body
    assert note.link == (
        f"https://skyclust.example/api/v1/gcp/kubernetes/clusters/{event.data['cluster_id']}"
    )
    created = world.db.events("NotificationCreated")
    assert sorted(e.data["user_id"] for e in created) == sorted(str(u) for u in got)
    assert all(e.workspaceid == world.workspace_id and e.causationid == event.id for e in created)


async def test_a_redelivered_event_changes_nothing(world, deliver):
    event = world.cluster_failed(actor=world.user)
    await on_platform_event(world.deps, event, deliver(event))
    await on_platform_event(world.deps, event, deliver(event, attempt=2))
    assert len(rows(world)) == 2
    assert len(world.db.events("NotificationCreated")) == 2


async def test_drift_and_invalid_credentials_go_to_admins_only(world, deliver):
    drift = world.event(
        "ClusterDriftDetected",
        {
            "cluster_id": str(uuid.uuid4()),
            "provider": "aws",
            "name": "edge",
            "drift": [{"field": "version", "desired": "1.29", "actual": "1.30"}],
        },
        source="provisioning",
        actor=world.user,
    )
    invalid = world.event(
        "CredentialInvalid",
        {
            "credential_id": str(uuid.uuid4()),
            "provider": "azure",
            "name": "ops",
            "reason": "AADSTS7000215",
            "message": None,
            "checked_at": "2026-12-01T12:00:00+00:00",
        },
        source="credential-vault",
    )
    for event in (drift, invalid):
        await on_platform_event(world.deps, event, deliver(event))
    assert {(n.event_type, n.user_id) for n in rows(world)} == {
        ("ClusterDriftDetected", world.admin.user_id),
        ("CredentialInvalid", world.admin.user_id),
    }
    by_type = {n.event_type: n for n in rows(world)}
    assert "version" in by_type["ClusterDriftDetected"].body
    assert by_type["CredentialInvalid"].body == "AADSTS7000215: AADSTS7000215"


async def test_a_new_member_hears_of_it_with_the_admins(world, deliver):
    event = world.event(
        "MemberAdded",
        {
            "workspace_id": world.workspace_id,
            "user_id": str(world.viewer.user_id),
            "role": "viewer",
        },
        source="identity",
    )
    await on_platform_event(world.deps, event, deliver(event))
    assert {n.user_id for n in rows(world)} == {world.admin.user_id, world.viewer.user_id}


async def test_an_event_from_a_service_that_does_not_own_it_is_ignored(world, deliver):
    forged = world.cluster_failed()
    forged = forged.model_copy(update={"source": "skyclust/network"})
    await on_platform_event(world.deps, forged, deliver(forged))
    assert rows(world) == [] and world.asked == []


async def test_events_without_a_notification_are_ignored(world, deliver):
    event = world.event(
        "WorkspaceUpdated",
        {"workspace_id": world.workspace_id, "name": "renamed"},
        source="identity",
        actor=world.admin,
    )
    await on_platform_event(world.deps, event, deliver(event))
    assert rows(world) == [] and world.db.commits == 0


async def test_identity_failing_leaves_nothing_behind_for_the_retry(world, deliver):
    async def down(workspace_id: str) -> list[Any]:
        raise ServiceUnavailable("identity is down")

    deps = world.deps
    deps.members = down
    event = world.cluster_failed()
    with pytest.raises(ServiceUnavailable):
        await on_platform_event(deps, event, deliver(event))
    assert rows(world) == [] and world.db.inbox == set()
    await on_platform_event(world.deps, event, deliver(event, attempt=2))
    assert len(rows(world)) == 1
