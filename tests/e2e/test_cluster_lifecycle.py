"""Through the gateway: sign up, store an AWS credential, ask for an EKS cluster and
watch it become ready on the live stream; then delete it."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.envelope import CloudEvent

from .client import Api

pytestmark = pytest.mark.e2e


def make_cluster(api: Api, credential_id: str, name: str | None = None) -> dict[str, Any]:
    response = api.post(
        "/api/v1/aws/kubernetes/clusters",
        json={
            "credential_id": credential_id,
            "name": name or f"c-{uuid.uuid4().hex[:8]}",
            "version": "1.29",
            "region": "us-east-1",
            "tags": {"team": "platform"},
        },
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["success"] is True
    assert body["data"]["status"] == "PENDING"
    return {**body["data"], "traceparent": response.headers.get("traceparent")}


# What a create with no network shows about the cluster itself, in order.
CREATE_EVENTS = [
    "ClusterRequested",
    "ClusterProvisioning",
    "ClusterProvisioning",
    "ClusterProvisioning",
    "ClusterReady",
]


def saga_events(seen: list[Any], cluster_id: str) -> list[Any]:
    """The events provisioning published about the cluster itself (the network service's
    replies are about it too, but are the network's)."""
    return [
        e
        for e in seen
        if e.data["subject"] == cluster_id and e.data["source"] == "skyclust/provisioning"
    ]


def add_credential(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/api/v1/credentials", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])


def assert_valid_event(event_json: dict[str, Any]) -> CloudEvent:
    event = CloudEvent.model_validate(event_json)
    load_registry().validate(event.name, event.data, version=event.version)
    return event


def test_cluster_requested_becomes_ready_on_the_stream_then_is_deleted(
    platform, local_aws_credential
):
    api = platform.api()
    account = api.signup()
    credential = add_credential(api, local_aws_credential)
    assert credential["masked"]["access_key_id"].startswith("AKIA")
    assert "secret_access_key" not in str(credential)

    stream = api.stream()
    cluster = make_cluster(api, credential["id"])
    seen = stream.until("ClusterReady", cluster["id"])
    mine = saga_events(seen, cluster["id"])
    assert [e.event for e in mine] == CREATE_EVENTS
    for item in mine:
        event = assert_valid_event(item.data)
        assert event.workspaceid == account["workspace"]["id"]
        assert event.type == f"io.skyclust.{item.event}.v1"
        assert event.source == "skyclust/provisioning"
        assert int(item.id) > 0
    assert [int(e.id) for e in mine] == sorted(int(e.id) for e in mine)
    # One trace runs from the REST call through the outbox and the saga's consumer.
    trace_id = cluster["traceparent"].split("-")[1]
    assert [e.data["traceparent"].split("-")[1] for e in mine] == [trace_id] * len(CREATE_EVENTS)
    ready = mine[-1].data["data"]
    assert ready["endpoint"].startswith("https://")
    assert ready["cloud_id"].startswith("arn:aws:eks:us-east-1:")

    got = api.get(f"/api/v1/aws/kubernetes/clusters/{cluster['id']}")
    assert got.status_code == 200
    assert got.json()["data"]["status"] == "READY"
    assert got.json()["data"]["endpoint"] == ready["endpoint"]
    listed = api.get("/api/v1/aws/kubernetes/clusters").json()["data"]
    assert [c["id"] for c in listed] == [cluster["id"]]

    eks = boto3.client(
        "eks",
        region_name="us-east-1",
        endpoint_url=platform.env["SKYCLUST_AWS_ENDPOINT_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    assert cluster["name"] in eks.list_clusters()["clusters"]

    deleting = api.delete(f"/api/v1/aws/kubernetes/clusters/{cluster['id']}")
    assert deleting.status_code == 202, deleting.text
    assert deleting.json()["data"]["status"] == "DELETING"
    seen = stream.until("ClusterDeleted", cluster["id"])
    names = [e.event for e in saga_events(seen, cluster["id"])]
    assert names == ["ClusterDeleteRequested", "ClusterDeleted"]
    for item in seen:
        assert_valid_event(item.data)
    assert api.get(f"/api/v1/aws/kubernetes/clusters/{cluster['id']}").status_code == 404
    last = api.get(f"/api/v1/aws/kubernetes/clusters/{cluster['id']}?include_deleted=true")
    assert last.status_code == 200, last.text
    assert (last.json()["data"]["name"], last.json()["data"]["status"]) == (
        cluster["name"],
        "DELETED",
    )
    assert cluster["name"] not in eks.list_clusters()["clusters"]
    stream.close()


def test_cloud_error_fails_the_cluster_with_a_reason(platform, local_aws_credential):
    api = platform.api()
    api.signup()
    credential = add_credential(api, local_aws_credential)
    stream = api.stream(types="ClusterFailed,ClusterReady")
    response = api.post(
        "/api/v1/aws/kubernetes/clusters",
        json={
            "credential_id": credential["id"],
            "name": "bad-subnets",
            "version": "1.29",
            "region": "us-east-1",
            "aws_config": {"subnet_ids": ["subnet-nope1", "subnet-nope2"], "role_arn": "x" * 20},
        },
    )
    assert response.status_code == 202, response.text
    cluster_id = response.json()["data"]["id"]
    failed = stream.until("ClusterFailed", cluster_id)[-1]
    assert_valid_event(failed.data)
    assert failed.data["data"]["code"].startswith("PROVIDER_")
    got = api.get(f"/api/v1/aws/kubernetes/clusters/{cluster_id}").json()["data"]
    assert got["status"] == "FAILED"
    assert got["status_reason"] == failed.data["data"]["code"]
    stream.close()


def test_bad_requests_get_clear_errors(platform, local_aws_credential):
    api = platform.api()
    api.signup()
    unknown = api.post(
        "/api/v1/aws/kubernetes/clusters",
        json={
            "credential_id": str(uuid.uuid4()),
            "name": "x1",
            "version": "1.29",
            "region": "us-east-1",
        },
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "CREDENTIAL_NOT_FOUND"
    extra = api.post("/api/v1/credentials", json={**local_aws_credential, "color": "blue"})
    assert extra.status_code == 422
    assert extra.json()["error"]["code"] == "VALIDATION_ERROR"
    bad_secret = api.post(
        "/api/v1/credentials",
        json={"provider": "aws", "name": "n", "data": {"access_key_id": "short"}},
    )
    assert bad_secret.status_code == 422
    assert bad_secret.json()["error"]["code"] == "INVALID_CREDENTIAL_DATA"
    assert "short" not in bad_secret.text
    no_token = Api(platform.gateway_url).get("/api/v1/credentials")
    assert no_token.status_code == 401
    assert no_token.json()["error"]["code"] == "UNAUTHORIZED"
    assert no_token.headers["x-request-id"]
    garbage = api.post(
        "/api/v1/auth/login", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert garbage.status_code == 422
    assert "Traceback" not in garbage.text
    echoed = api.get("/api/v1/auth/me", headers={"X-Request-ID": "trace-me-123"})
    assert echoed.headers["x-request-id"] == "trace-me-123"
    assert echoed.json()["request_id"] == "trace-me-123"
