"""The in-app inbox through the gateway: a cluster that fails on a cloud lands in its
creator's inbox (an admin of their workspace) once, live on their stream too, and is
then marked read; another user's inbox stays empty."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from .client import Api
from .test_saga_crash import Clouds, credentials
from .test_saga_faults import User, create, hits, inject, network_fault

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def user(platform: Any) -> Iterator[User]:
    api = platform.api()
    api.signup()
    stream = api.stream()
    yield User(api, credentials(api, platform), stream, Clouds(platform))
    stream.close()


def wait_for_inbox(api: Api, timeout: float = 60, **params: Any) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        page = api.get("/api/v1/notifications", params=params)
        assert page.status_code == 200, page.text
        body: dict[str, Any] = page.json()["data"]
        if body["items"]:
            return body
        assert time.monotonic() < deadline, "no notification arrived"
        time.sleep(0.3)


def test_a_failed_cluster_reaches_the_inbox_once_and_is_read(user: User, platform: Any) -> None:
    notes = user.api.stream(types="NotificationCreated")
    provider, name = "gcp", f"n{uuid.uuid4().hex[:8]}"
    injected = inject(user, provider, network_fault(provider, name))
    try:
        cluster_id = create(user, provider, name)
        body = wait_for_inbox(user.api)
    finally:
        consumed = hits(user, provider, injected)
        user.clouds.admin(provider).clear_faults()
        notes.close()
    assert consumed == 1
    (note,) = [n for n in body["items"] if n["resource_id"] == cluster_id]
    assert (note["event_type"], note["severity"], note["read_at"]) == (
        "ClusterFailed",
        "critical",
        None,
    )
    assert note["title"] == f"Cluster {name} could not be created"
    assert note["link"].endswith(f"/api/v1/gcp/kubernetes/clusters/{cluster_id}")
    assert body["unread_count"] >= 1

    live = [e for e in notes.drain(1.0) if e.event == "NotificationCreated"]
    assert [e.data["data"]["notification_id"] for e in live] == [note["id"]]

    count = user.api.get("/api/v1/notifications/unread-count").json()["data"]["unread_count"]
    read = user.api.post(f"/api/v1/notifications/{note['id']}/read")
    assert read.status_code == 200, read.text
    assert read.json()["data"]["unread_count"] == count - 1
    unread = user.api.get("/api/v1/notifications", params={"unread": "true"}).json()["data"]
    assert note["id"] not in [n["id"] for n in unread["items"]]

    stranger = platform.api()
    stranger.signup()
    theirs = stranger.get("/api/v1/notifications").json()["data"]
    assert theirs == {"items": [], "next_cursor": None, "unread_count": 0}
    gone = stranger.post(f"/api/v1/notifications/{note['id']}/read")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "NOTIFICATION_NOT_FOUND"
