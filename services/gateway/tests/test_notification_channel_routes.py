"""The notification-channel and rule routes: admins change them (only admins see
channels, anyone who reads the workspace sees rules), bodies with no unknown fields, each a
thin call to the notification service for the caller's workspace, requests and replies
as their contracts say."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from skyclust_common.errors import NotFound
from skyclust_gateway.routers.deps import Services, services

from .cluster_fakes import REGISTRY, WORKSPACE, as_

pytestmark = pytest.mark.unit

CHANNEL = str(uuid.uuid4())
DELIVERY = str(uuid.uuid4())
SECRET = "whsec_" + "A" * 43 + "="


def channel() -> dict[str, Any]:
    return {
        "id": CHANNEL,
        "workspace_id": WORKSPACE,
        "name": "ops",
        "type": "webhook",
        "url": "https://hooks.example.com/in",
        "recipients": [],
        "recipient_roles": [],
        "event_types": ["ClusterFailed"],
        "enabled": True,
        "disabled_reason": None,
        "previous_secret_until": None,
        "created_at": "2026-12-01T12:00:00+00:00",
    }


def delivery() -> dict[str, Any]:
    return {
        "id": DELIVERY,
        "channel_id": CHANNEL,
        "event_id": str(uuid.uuid4()),
        "event_type": "ClusterFailed",
        "recipient": None,
        "status": "succeeded",
        "attempts": 1,
        "response_code": 204,
        "latency_ms": 12,
        "error": None,
        "created_at": "2026-12-01T12:00:00+00:00",
        "next_attempt_at": None,
    }


RULE = str(uuid.uuid4())


def rule() -> dict[str, Any]:
    return {
        "id": RULE,
        "workspace_id": WORKSPACE,
        "name": "clusters to ops",
        "event_types": ["Cluster*"],
        "min_severity": "info",
        "resource_ids": [],
        "tags": {},
        "channel_ids": [CHANNEL],
        "in_app_roles": [],
        "in_app_user_ids": [],
        "enabled": True,
        "created_at": "2026-12-01T12:00:00+00:00",
    }


def _no_such_notification() -> dict[str, Any]:
    raise NotFound("notification not found", code="NOTIFICATION_NOT_FOUND")


REPLIES: dict[str, Any] = {
    "MarkNotificationRead": _no_such_notification,
    "CreateNotificationChannel": lambda: {"channel": channel(), "secret": SECRET},
    "RotateNotificationChannelSecret": lambda: {"channel": channel(), "secret": SECRET},
    "ListNotificationChannels": lambda: {"items": [channel()]},
    "GetNotificationChannel": lambda: {"channel": channel()},
    "UpdateNotificationChannel": lambda: {"channel": channel()},
    "DeleteNotificationChannel": lambda: {"deleted": True},
    "TestNotificationChannel": lambda: {"delivery": delivery()},
    "ListWebhookDeliveries": lambda: {"items": [delivery()]},
    "RetryWebhookDelivery": lambda: {"delivery": delivery()},
    "CreateNotificationRule": lambda: {"rule": rule()},
    "ListNotificationRules": lambda: {"items": [rule()]},
    "GetNotificationRule": lambda: {"rule": rule()},
    "UpdateNotificationRule": lambda: {"rule": rule()},
    "DeleteNotificationRule": lambda: {"deleted": True},
    "GetNotificationMutes": lambda: {"event_types": ["Cluster*"]},
    "SetNotificationMutes": lambda: {"event_types": ["Cluster*"]},
}


class FakeNotification(Services):
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def call(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        assert service == "notification"
        REGISTRY.validate(name, data, part="request")
        self.calls.append((name, data))
        reply: dict[str, Any] = REPLIES[name]()
        REGISTRY.validate(name, reply, part="reply")
        return reply


@pytest.fixture
def svc() -> FakeNotification:
    return FakeNotification()


@pytest.fixture
async def client(clusters_app: FastAPI, svc: FakeNotification) -> AsyncIterator[httpx.AsyncClient]:
    clusters_app.dependency_overrides[services] = lambda: svc
    transport = httpx.ASGITransport(app=clusters_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
        yield c
    clusters_app.dependency_overrides.pop(services, None)


NEW = "/api/v1/notifications/channels"
LEGACY = "/api/v1/notification-channels"


@pytest.fixture(params=[NEW, LEGACY], ids=["path", "deprecated-alias"])
def channels(request: pytest.FixtureRequest) -> str:
    """Every channel route is served at the issue's path and at the deprecated alias."""
    path: str = request.param
    return path


BODY = {"name": "ops", "url": "https://hooks.example.com/in", "event_types": ["ClusterFailed"]}


async def test_an_admin_creates_a_channel_and_sees_its_secret_once(client, svc, channels):
    response = await client.post(channels, json=BODY, headers=as_("admin"))
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["secret"] == SECRET and data["channel"]["id"] == CHANNEL
    name, sent = svc.calls[-1]
    assert name == "CreateNotificationChannel"
    assert sent["workspace_id"] == WORKSPACE and sent["url"] == BODY["url"]
    listed = await client.get(channels, headers=as_("admin"))
    assert SECRET not in listed.text and "whsec_" not in listed.text


@pytest.mark.parametrize("role", ["user", "viewer"])
async def test_only_admins_reach_the_channels(client, svc, channels, role):
    for method, path in (
        ("POST", channels),
        ("GET", channels),
        ("POST", f"{channels}/{CHANNEL}/rotate-secret"),
        ("GET", f"{channels}/{CHANNEL}/deliveries"),
    ):
        response = await client.request(method, path, json=BODY, headers=as_(role))
        assert response.status_code == 403, (method, path)
    assert svc.calls == []


async def test_unknown_fields_and_other_types_are_refused(client, svc, channels):
    for body in (
        {**BODY, "secret": "mine"},
        {**BODY, "type": "slack"},
        {**BODY, "event_types": ["x" * 65]},
        {"name": "mail", "type": "email", "recipients": []},
    ):
        response = await client.post(channels, json=body, headers=as_("admin"))
        assert response.status_code == 422
    assert svc.calls == []


async def test_each_route_asks_the_service_for_the_callers_workspace(client, svc, channels):
    admin = as_("admin")
    base = f"{channels}/{CHANNEL}"
    calls = [
        ("GET", base, None, "GetNotificationChannel"),
        ("PATCH", base, {"enabled": False}, "UpdateNotificationChannel"),
        ("POST", f"{base}/rotate-secret", None, "RotateNotificationChannelSecret"),
        ("POST", f"{base}/test", None, "TestNotificationChannel"),
        ("GET", f"{base}/deliveries?limit=5", None, "ListWebhookDeliveries"),
        (
            "POST",
            f"{channels}/deliveries/{DELIVERY}/retry",
            None,
            "RetryWebhookDelivery",
        ),
        ("DELETE", base, None, "DeleteNotificationChannel"),
    ]
    for method, path, body, contract in calls:
        response = await client.request(method, path, json=body, headers=admin)
        assert response.status_code == 200, (path, response.text)
        name, sent = svc.calls[-1]
        assert name == contract and sent["workspace_id"] == WORKSPACE
    assert svc.calls[1][1] == {"workspace_id": WORKSPACE, "channel_id": CHANNEL, "enabled": False}
    assert svc.calls[4][1]["limit"] == 5
    assert svc.calls[5][1]["delivery_id"] == DELIVERY


async def test_the_deprecated_alias_says_so_and_names_its_successor(client, svc):
    old = await client.get(f"{LEGACY}/{CHANNEL}/deliveries", headers=as_("admin"))
    assert old.status_code == 200
    assert old.headers["deprecation"] == "true"
    assert old.headers["link"] == f'<{NEW}/{CHANNEL}/deliveries>; rel="successor-version"'
    retried = await client.post(f"{LEGACY}/deliveries/{DELIVERY}/retry", headers=as_("admin"))
    assert (
        retried.headers["link"] == f'<{NEW}/deliveries/{DELIVERY}/retry>; rel="successor-version"'
    )
    new = await client.get(f"{NEW}/{CHANNEL}/deliveries", headers=as_("admin"))
    assert new.status_code == 200 and "deprecation" not in new.headers
    assert svc.calls[0] == svc.calls[2]  # the same call to the service from both paths


async def test_the_openapi_marks_only_the_alias_deprecated(clusters_app):
    paths = clusters_app.openapi()["paths"]
    for path, operations in paths.items():
        for operation in operations.values():
            if path.startswith(LEGACY):
                assert operation.get("deprecated") is True, path
                assert path.replace(LEGACY, NEW) in paths, path
            elif path.startswith(NEW):
                assert not operation.get("deprecated"), path
    assert sum(path.startswith(NEW) for path in paths) == 6


async def test_the_inbox_routes_do_not_swallow_the_channels_and_rules(client, svc):
    """`/api/v1/notifications/{id}/...` shares its prefix with the channels and rules: each
    path reaches its own handler, and the inbox's still reach theirs."""
    notification = str(uuid.uuid4())
    for method, path, contract in (
        ("GET", NEW, "ListNotificationChannels"),
        ("POST", f"{NEW}/{CHANNEL}/test", "TestNotificationChannel"),
        ("GET", f"{NEW}/{CHANNEL}", "GetNotificationChannel"),
        ("POST", f"{NEW}/deliveries/{DELIVERY}/retry", "RetryWebhookDelivery"),
        ("GET", "/api/v1/notifications/rules", "ListNotificationRules"),
        ("GET", "/api/v1/notifications/mutes", "GetNotificationMutes"),
    ):
        response = await client.request(method, path, headers=as_("admin"))
        assert response.status_code == 200, (path, response.text)
        assert svc.calls[-1][0] == contract, path
    read = await client.post(f"/api/v1/notifications/{notification}/read", headers=as_("admin"))
    assert read.status_code == 404 and read.json()["error"]["code"] == "NOTIFICATION_NOT_FOUND"
    assert svc.calls[-1][0] == "MarkNotificationRead"
    assert svc.calls[-1][1]["notification_id"] == notification
    # "channels" is not a notification id: refused before the service is asked.
    calls = len(svc.calls)
    wrong = await client.post(f"{NEW}/read", headers=as_("admin"))
    assert wrong.status_code == 422 and len(svc.calls) == calls


async def test_an_email_channel_is_created_with_its_recipients(client, svc, channels):
    body = {"name": "mail", "type": "email", "recipients": ["ops@example.com"]}
    response = await client.post(channels, json=body, headers=as_("admin"))
    assert response.status_code == 201, response.text
    _, sent = svc.calls[-1]
    assert sent == {
        "workspace_id": WORKSPACE,
        "actor_id": sent["actor_id"],
        "name": "mail",
        "type": "email",
        "recipients": ["ops@example.com"],
        "event_types": [],
    }
    by_role = {"name": "admins", "type": "email", "recipient_roles": ["admin"]}
    response = await client.post(channels, json=by_role, headers=as_("admin"))
    assert response.status_code == 201, response.text
    assert svc.calls[-1][1]["recipient_roles"] == ["admin"]
    calls = len(svc.calls)
    refused = {**by_role, "recipient_roles": ["owner"]}
    response = await client.post(channels, json=refused, headers=as_("admin"))
    assert response.status_code == 422 and len(svc.calls) == calls


RULE_BODY = {"name": "clusters to ops", "event_types": ["Cluster*"], "channel_ids": [CHANNEL]}


async def test_admins_change_rules_and_viewers_read_them(client, svc):
    made = await client.post("/api/v1/notifications/rules", json=RULE_BODY, headers=as_("admin"))
    assert made.status_code == 201, made.text
    name, sent = svc.calls[-1]
    assert name == "CreateNotificationRule"
    assert (sent["workspace_id"], sent["event_types"], sent["channel_ids"]) == (
        WORKSPACE,
        ["Cluster*"],
        [CHANNEL],
    )
    assert sent["min_severity"] == "info" and sent["in_app_roles"] == []
    assert sent["tags"] == {}
    for role in ("viewer", "user"):
        listed = await client.get("/api/v1/notifications/rules", headers=as_(role))
        assert listed.status_code == 200 and listed.json()["data"]["items"][0]["id"] == RULE
        one = await client.get(f"/api/v1/notifications/rules/{RULE}", headers=as_(role))
        assert one.status_code == 200
    calls = len(svc.calls)
    for role in ("viewer", "user"):
        for method, path, body in (
            ("POST", "/api/v1/notifications/rules", RULE_BODY),
            ("PATCH", f"/api/v1/notifications/rules/{RULE}", {"enabled": False}),
            ("DELETE", f"/api/v1/notifications/rules/{RULE}", None),
        ):
            response = await client.request(method, path, json=body, headers=as_(role))
            assert response.status_code == 403, (role, method)
    assert len(svc.calls) == calls
    patched = await client.patch(
        f"/api/v1/notifications/rules/{RULE}",
        json={"min_severity": "critical"},
        headers=as_("admin"),
    )
    assert patched.status_code == 200
    assert svc.calls[-1] == (
        "UpdateNotificationRule",
        {"workspace_id": WORKSPACE, "rule_id": RULE, "min_severity": "critical"},
    )
    tagged = await client.patch(
        f"/api/v1/notifications/rules/{RULE}", json={"tags": {"env": "prod"}}, headers=as_("admin")
    )
    assert tagged.status_code == 200
    assert svc.calls[-1][1]["tags"] == {"env": "prod"}
    gone = await client.delete(f"/api/v1/notifications/rules/{RULE}", headers=as_("admin"))
    assert gone.status_code == 200 and svc.calls[-1][0] == "DeleteNotificationRule"


async def test_a_rule_body_with_unknown_fields_or_values_is_refused(client, svc):
    for body in (
        {**RULE_BODY, "secret": "x"},
        {**RULE_BODY, "min_severity": "loud"},
        {**RULE_BODY, "in_app_roles": ["owner"]},
        {**RULE_BODY, "channel_ids": ["not-a-uuid"]},
        {**RULE_BODY, "tags": {"env": 3}},
        {**RULE_BODY, "tags": ["env"]},
        {"name": "no events"},
    ):
        response = await client.post("/api/v1/notifications/rules", json=body, headers=as_("admin"))
        assert response.status_code == 422, body
    assert svc.calls == []


async def test_each_user_sets_their_own_mutes(client, svc):
    for role in ("viewer", "admin"):
        response = await client.put(
            "/api/v1/notifications/mutes",
            json={"event_types": ["Cluster*"]},
            headers=as_(role),
        )
        assert response.status_code == 200, response.text
        name, sent = svc.calls[-1]
        assert name == "SetNotificationMutes"
        assert set(sent) == {"workspace_id", "user_id", "event_types"}
    shown = await client.get("/api/v1/notifications/mutes", headers=as_("user"))
    assert shown.json()["data"] == {"event_types": ["Cluster*"]}
    bad = await client.put(
        "/api/v1/notifications/mutes", json={"event_types": ["x"], "all": True}, headers=as_("user")
    )
    assert bad.status_code == 422
