"""Workspaces do not see each other, and the stream resumes without gaps."""

from __future__ import annotations

import jwt
import pytest

from .client import Api
from .test_cluster_lifecycle import CREATE_EVENTS, add_credential, make_cluster, saga_events

pytestmark = pytest.mark.e2e


def test_another_workspace_sees_nothing_of_mine(platform, local_aws_credential):
    owner = platform.api()
    owner.signup()
    other = platform.api()
    other.signup()
    other_stream = other.stream()

    credential = add_credential(owner, {**local_aws_credential, "name": "owner-aws"})
    owner_stream = owner.stream()
    cluster = make_cluster(owner, credential["id"])
    owner_stream.until("ClusterReady", cluster["id"])

    assert other.get(f"/api/v1/aws/kubernetes/clusters/{cluster['id']}").status_code == 404
    assert other.delete(f"/api/v1/aws/kubernetes/clusters/{cluster['id']}").status_code == 404
    assert other.get(f"/api/v1/credentials/{credential['id']}").status_code == 404
    assert other.delete(f"/api/v1/credentials/{credential['id']}").status_code == 404
    assert other.get("/api/v1/aws/kubernetes/clusters").json()["data"] == []
    assert other.get("/api/v1/credentials").json()["data"] == []
    # Using my credential id to create a cluster in their workspace: not found either.
    stolen = other.post(
        "/api/v1/aws/kubernetes/clusters",
        json={
            "credential_id": credential["id"],
            "name": "x",
            "version": "1.29",
            "region": "us-east-1",
        },
    )
    assert stolen.status_code == 404

    # A marker event of their own proves their stream was live the whole time.
    marker = add_credential(other, {**local_aws_credential, "name": "marker"})
    seen = other_stream.until("CredentialCreated", marker["id"])
    assert all(e.data["workspaceid"] != cluster["workspace_id"] for e in seen)
    assert all(e.data["subject"] not in (cluster["id"], credential["id"]) for e in seen)
    owner_stream.close()
    other_stream.close()


def test_reconnect_with_last_event_id_gets_every_missed_event_once(platform, local_aws_credential):
    api = platform.api()
    api.signup()
    first = api.stream()
    credential = add_credential(api, local_aws_credential)
    created = first.until("CredentialCreated", credential["id"])[-1]
    first.close()

    # While disconnected: a whole cluster lifecycle happens.
    cluster = make_cluster(api, credential["id"])
    watcher = api.stream(types="ClusterReady")
    watcher.until("ClusterReady", cluster["id"])
    watcher.close()

    resumed = api.stream(last_event_id=created.id)
    missed = resumed.until("ClusterReady", cluster["id"])
    extra = resumed.drain(1.0)
    everything = missed + extra
    names = [e.event for e in saga_events(everything, cluster["id"])]
    ids = [int(e.id) for e in everything]
    assert names[: len(CREATE_EVENTS)] == CREATE_EVENTS
    assert "CredentialDecrypted" in [e.event for e in everything]
    assert len(ids) == len(set(ids)), "an event was delivered twice"
    assert ids == sorted(ids) and ids[0] > int(created.id)
    assert created.id not in [e.id for e in missed]
    resumed.close()


def test_stream_ticket_works_for_eventsource_clients(platform):
    api = platform.api()
    api.signup()
    ticket = api.post("/api/v1/events/ticket").json()["data"]["ticket"]
    anonymous = Api(platform.gateway_url)
    stream = anonymous.stream(ticket=ticket)
    assert stream.status == 200
    stream.close()
    # The ticket is not an access token, and an access token is not a ticket.
    refused = Api(platform.gateway_url, token=ticket).get("/api/v1/auth/me")
    assert refused.status_code == 401
    bad = Api(platform.gateway_url).stream(ticket=api.token or "")
    assert bad.status == 401


def test_an_eventsource_ticket_lives_as_long_as_its_session(platform, local_aws_credential):
    api = platform.api()
    api.signup()
    issued = api.post("/api/v1/events/ticket").json()["data"]
    # Far past the old one-minute ticket: the browser's reconnects keep working until
    # the session's refresh token expires.
    assert issued["expires_in"] > 29 * 24 * 3600
    claims = jwt.decode(issued["ticket"], options={"verify_signature": False})
    assert claims["sid"] and claims["typ"] == "stream"
    anonymous = Api(platform.gateway_url)
    first = anonymous.stream(ticket=issued["ticket"])
    credential = add_credential(api, local_aws_credential)
    seen = first.until("CredentialCreated", credential["id"])[-1]
    first.close()
    # An EventSource reconnect: the same URL, with Last-Event-ID.
    again = anonymous.stream(last_event_id=seen.id, ticket=issued["ticket"])
    assert again.status == 200
    second = add_credential(api, {**local_aws_credential, "name": "second"})
    resumed = again.until("CredentialCreated", second["id"])
    assert seen.id not in [e.id for e in resumed]

    # Logging out ends the session: its open stream closes, the reconnect is refused.
    assert api.post("/api/v1/auth/logout").status_code == 200
    assert again.ended.wait(10), "a stream of an ended session stayed open"
    refused = anonymous.stream(last_event_id=resumed[-1].id, ticket=issued["ticket"])
    assert refused.status == 401


def test_api_keys_cannot_get_tickets_but_can_stream(platform):
    admin = platform.api()
    admin.signup()
    key = admin.post("/api/v1/api-keys", json={"name": "ci", "role": "viewer"}).json()["data"]
    robot = Api(platform.gateway_url, key["key"])
    ticket = robot.post("/api/v1/events/ticket")
    assert ticket.status_code == 403
    assert ticket.json()["error"]["code"] == "TICKET_NEEDS_SESSION"
    stream = robot.stream()
    assert stream.status == 200
    stream.close()


def test_stream_follows_one_resource_and_refuses_bad_filters(platform, local_aws_credential):
    api = platform.api()
    api.signup()
    first = add_credential(api, local_aws_credential)
    followed = api.stream(resource=first["id"])
    everything = api.stream()
    second = add_credential(api, {**local_aws_credential, "name": "other"})
    api.delete(f"/api/v1/credentials/{first['id']}")
    seen = everything.drain(2.0)
    mine = followed.drain(0.1)
    assert second["id"] in [e.data["subject"] for e in seen]
    assert "CredentialDeleted" in [e.event for e in mine]
    assert all(e.data["subject"] == first["id"] for e in mine)
    for query in ({"resource": "a b"}, {"types": "lowercase"}):
        bad = api.stream(**query)
        assert bad.status == 400
    cursor = api.stream(last_event_id="not-a-number")
    assert cursor.status == 400
    followed.close()
    everything.close()


def test_stream_sends_heartbeats(platform):
    api = platform.api()
    api.signup()
    stream = api.stream()
    import time

    time.sleep(4.5)
    assert any("ping" in comment for comment in stream.comments)
    stream.close()
