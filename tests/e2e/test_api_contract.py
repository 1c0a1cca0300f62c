"""The REST API's HTTP contract on the live platform: a retried POST with its
Idempotency-Key gets the first answer, a reused key for another body is refused, a lost
update is refused with 412, and every 202 says where to look and when."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from .client import Api
from .test_cluster_lifecycle import add_credential

pytestmark = pytest.mark.e2e

CLUSTERS = "/api/v1/aws/kubernetes/clusters"


def cluster_body(credential_id: str, name: str | None = None) -> dict[str, Any]:
    return {
        "credential_id": credential_id,
        "name": name or f"c-{uuid.uuid4().hex[:8]}",
        "version": "1.29",
        "region": "us-east-1",
    }


def until_status(api: Api, path: str, status: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = api.get(path, headers={"Cache-Control": "no-cache"})
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        if data["status"] == status:
            return data
        assert time.monotonic() < deadline, f"still {data['status']}, not {status}"
        time.sleep(0.3)


def test_a_retried_create_gets_the_first_answer(platform, local_aws_credential):
    api = platform.api()
    api.signup()
    credential = add_credential(api, local_aws_credential)
    body = cluster_body(credential["id"])
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = api.post(CLUSTERS, json=body, headers=key)
    retried = api.post(CLUSTERS, json=body, headers=key)
    other = api.post(CLUSTERS, json={**body, "name": "other"}, headers=key)
    # Without a key, the same body is a second create: the name is taken.
    unkeyed = api.post(CLUSTERS, json=body)

    assert first.status_code == 202, first.text
    assert retried.status_code == 202, retried.text
    assert retried.headers["idempotent-replayed"] == "true"
    assert retried.json()["data"] == first.json()["data"]
    assert retried.headers["location"] == first.headers["location"]
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert unkeyed.status_code == 409
    assert unkeyed.json()["error"]["code"] == "CLUSTER_NAME_TAKEN"
    names = [c["name"] for c in api.get(CLUSTERS).json()["data"]]
    assert names.count(body["name"]) == 1

    # Another member's caller (another workspace) with the same key runs its own.
    stranger = platform.api()
    stranger.signup()
    theirs = add_credential(stranger, local_aws_credential)
    mine_again = stranger.post(CLUSTERS, json=cluster_body(theirs["id"]), headers=key)
    assert mine_again.status_code == 202, mine_again.text
    assert "idempotent-replayed" not in mine_again.headers


def test_concurrent_requests_with_one_key_create_once(platform, local_aws_credential):
    api = platform.api()
    api.signup()
    credential = add_credential(api, local_aws_credential)
    body = cluster_body(credential["id"])
    key = {"Idempotency-Key": str(uuid.uuid4())}

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: api.post(CLUSTERS, json=body, headers=key), range(4)))

    ran = [a for a in answers if a.status_code == 202 and "idempotent-replayed" not in a.headers]
    assert len(ran) == 1, [a.text for a in answers]
    for answer in answers:
        if answer is ran[0]:
            continue
        if answer.status_code == 409:
            assert answer.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE"
            assert answer.headers["retry-after"] == "1"
        else:
            assert answer.status_code == 202 and answer.headers["idempotent-replayed"] == "true"
            assert answer.json()["data"]["id"] == ran[0].json()["data"]["id"]
    names = [c["name"] for c in api.get(CLUSTERS).json()["data"]]
    assert names.count(body["name"]) == 1


def test_a_new_api_key_is_never_replayed(platform):
    api = platform.api()
    api.signup()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"name": f"ci-{uuid.uuid4().hex[:6]}", "role": "viewer"}

    first = api.post("/api/v1/api-keys", json=body, headers=key)
    second = api.post("/api/v1/api-keys", json=body, headers=key)

    assert first.status_code == second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    assert first.json()["data"]["id"] != second.json()["data"]["id"]


def test_202_location_and_a_lost_update_refused(platform, local_aws_credential):
    api = platform.api()
    api.signup()
    credential = add_credential(api, local_aws_credential)

    created = api.post(CLUSTERS, json=cluster_body(credential["id"]))
    assert created.status_code == 202, created.text
    cluster = created.json()["data"]
    location = created.headers["location"]
    assert location == f"{CLUSTERS}/{cluster['id']}"
    assert int(created.headers["retry-after"]) > 0

    seen = api.get(location, headers={"Cache-Control": "no-cache"})
    assert seen.status_code == 200 and seen.json()["data"]["id"] == cluster["id"]
    stale = seen.headers["etag"]
    until_status(api, location, "READY")
    current = api.get(location, headers={"Cache-Control": "no-cache"}).headers["etag"]
    assert current != stale
    unchanged = api.get(location, headers={"If-None-Match": current, "Cache-Control": "no-cache"})
    assert unchanged.status_code == 304

    lost = api.delete(location, headers={"If-Match": stale})
    assert lost.status_code == 412
    assert lost.json()["error"]["code"] == "PRECONDITION_FAILED"
    assert lost.json()["error"]["details"]["etag"] == current
    assert api.get(location).json()["data"]["status"] == "READY"

    deleted = api.delete(location, headers={"If-Match": current})
    assert deleted.status_code == 202, deleted.text
    assert deleted.headers["location"] == location
    assert int(deleted.headers["retry-after"]) > 0


def test_if_match_on_a_workspace_rename(platform):
    api = platform.api()
    account = api.signup()
    path = f"/api/v1/workspaces/{account['workspace']['id']}"

    etag = api.get(path).headers["etag"]
    renamed = api.request("PATCH", path, json={"name": "first"}, headers={"If-Match": etag})
    assert renamed.status_code == 200, renamed.text
    again = api.request("PATCH", path, json={"name": "second"}, headers={"If-Match": etag})

    assert again.status_code == 412
    assert again.json()["error"]["code"] == "PRECONDITION_FAILED"
    assert api.get(path).json()["data"]["name"] == "first"


def test_the_cluster_list_across_clouds_pages_and_filters(platform, local_aws_credential):
    api = platform.api()
    api.signup()
    credential = add_credential(api, local_aws_credential)
    names = [f"page-{n}-{uuid.uuid4().hex[:4]}" for n in range(3)]
    for name in names:
        body = {**cluster_body(credential["id"], name), "tags": {"batch": "paging"}}
        assert api.post(CLUSTERS, json=body).status_code == 202

    seen: list[str] = []
    response = api.get("/api/v1/kubernetes/clusters", params={"limit": 2, "tag": "batch=paging"})
    pages = 0
    while True:
        assert response.status_code == 200, response.text
        pages += 1
        seen += [c["name"] for c in response.json()["data"]]
        if "link" not in response.headers:
            break
        next_page = response.headers["link"].split(">")[0].lstrip("<")
        response = api.get(next_page)

    assert seen == names and pages == 2
    one = api.get("/api/v1/kubernetes/clusters", params={"name": names[1].upper()})
    assert [c["name"] for c in one.json()["data"]] == [names[1]]
    none = api.get("/api/v1/kubernetes/clusters", params={"provider": "gcp"})
    assert none.status_code == 200 and none.json()["data"] == []
    bad = api.get("/api/v1/kubernetes/clusters", params={"cursor": "nope"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_CURSOR"
