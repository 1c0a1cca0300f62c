"""The inbox routes: thin calls to the notification service for the caller's own user
and workspace, requests and replies as their contracts say; and the stream showing a
notification to its recipient alone."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from skyclust_common.errors import NotFound
from skyclust_gateway.routers.deps import Services, services
from skyclust_gateway.streaming.events import Connection, decode

from .cluster_fakes import REGISTRY, USER, WORKSPACE, as_

pytestmark = pytest.mark.unit

NOTE = str(uuid.uuid4())


def notification(read_at: str | None = None) -> dict[str, Any]:
    return {
        "id": NOTE,
        "workspace_id": WORKSPACE,
        "user_id": USER,
        "event_type": "ClusterFailed",
        "event_id": str(uuid.uuid4()),
        "severity": "critical",
        "title": "Cluster web could not be created",
        "body": "QUOTA_EXCEEDED: no CPUs",
        "resource_type": "cluster",
        "resource_id": str(uuid.uuid4()),
        "link": "http://127.0.0.1:8000/api/v1/aws/kubernetes/clusters/x",
        "created_at": "2026-12-01T12:00:00+00:00",
        "read_at": read_at,
    }


class FakeNotification(Services):
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def call(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        assert service == "notification"
        REGISTRY.validate(name, data, part="request")
        self.calls.append((name, data))
        if name == "ListNotifications":
            reply: dict[str, Any] = {
                "items": [notification()],
                "next_cursor": None,
                "unread_count": 1,
            }
        elif name == "MarkNotificationRead":
            if data["notification_id"] != NOTE:
                raise NotFound("notification not found", code="NOTIFICATION_NOT_FOUND")
            read = notification("2026-12-01T12:05:00+00:00")
            reply = {"notification": read, "unread_count": 0}
        else:
            reply = {"marked": 1, "unread_count": 0}
        REGISTRY.validate(name, reply, part="reply")
        return reply


@pytest.fixture
def inbox() -> FakeNotification:
    return FakeNotification()


@pytest.fixture
async def client(
    clusters_app: FastAPI, inbox: FakeNotification
) -> AsyncIterator[httpx.AsyncClient]:
    clusters_app.dependency_overrides[services] = lambda: inbox
    transport = httpx.ASGITransport(app=clusters_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
        yield c
    clusters_app.dependency_overrides.pop(services, None)


async def test_the_listing_asks_for_the_callers_own_inbox(client, inbox):
    response = await client.get(
        "/api/v1/notifications?unread=true&limit=5&cursor=abc", headers=as_("viewer")
    )
    assert response.status_code == 200
    body = response.json()["data"]
    assert body["unread_count"] == 1 and body["items"][0]["id"] == NOTE
    assert inbox.calls == [
        (
            "ListNotifications",
            {
                "workspace_id": WORKSPACE,
                "user_id": USER,
                "unread": True,
                "limit": 5,
                "cursor": "abc",
            },
        )
    ]


async def test_the_unread_count_route(client, inbox):
    response = await client.get("/api/v1/notifications/unread-count", headers=as_("user"))
    assert response.json()["data"] == {"unread_count": 1}


async def test_marking_read_one_and_all(client, inbox):
    one = await client.post(f"/api/v1/notifications/{NOTE}/read", headers=as_("viewer"))
    assert one.status_code == 200
    assert one.json()["data"]["notification"]["read_at"] == "2026-12-01T12:05:00+00:00"
    other = await client.post(f"/api/v1/notifications/{uuid.uuid4()}/read", headers=as_("viewer"))
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "NOTIFICATION_NOT_FOUND"
    every = await client.post("/api/v1/notifications/read-all", headers=as_("admin"))
    assert every.json()["data"] == {"marked": 1, "unread_count": 0}
    assert [name for name, _ in inbox.calls] == [
        "MarkNotificationRead",
        "MarkNotificationRead",
        "MarkAllNotificationsRead",
    ]
    assert all(data["user_id"] == USER for _, data in inbox.calls)


async def test_bad_parameters_are_refused_before_any_call(client, inbox):
    for path in ("/api/v1/notifications?limit=0", "/api/v1/notifications/not-a-uuid/read"):
        method = "POST" if path.endswith("/read") else "GET"
        response = await client.request(method, path, headers=as_("viewer"))
        assert response.status_code in (400, 422), path
    assert inbox.calls == []


async def test_no_token_no_inbox(client, inbox):
    response = await client.get("/api/v1/notifications")
    assert response.status_code == 401
    assert inbox.calls == []


def framed(workspace: str, name: str, data: dict[str, Any], seq: int = 7) -> Any:
    body = {"id": str(uuid.uuid4()), "type": f"io.skyclust.{name}.v1", "data": data}
    return decode(f"skyclust.evt.{workspace}.{name}", seq, json.dumps(body).encode())


def test_a_notification_reaches_only_its_recipients_stream():
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    streams = {
        who: Connection(WORKSPACE, None, None, None, 8, user_id=who)
        for who in (alice, bob, "apikey:k1")
    }
    event = framed(WORKSPACE, "NotificationCreated", {"user_id": alice, "title": "t"})
    for stream in streams.values():
        stream.offer(event)
    assert [len(s.frames) for s in streams.values()] == [1, 0, 0]
    # Other events still reach every stream of the workspace.
    ready = framed(WORKSPACE, "ClusterReady", {"cluster_id": "c-1"}, seq=8)
    for stream in streams.values():
        stream.offer(ready)
    assert [len(s.frames) for s in streams.values()] == [2, 1, 1]


def test_a_notification_without_a_recipient_is_shown_to_nobody():
    anyone = Connection(WORKSPACE, None, None, None, 8, user_id=USER)
    anyone.offer(framed(WORKSPACE, "NotificationCreated", {"title": "t"}))
    assert not anyone.frames
