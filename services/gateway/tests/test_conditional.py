"""ETag / If-Match / If-None-Match and the Location and Retry-After of a 202, through the
real gateway app in process on the fake provisioning."""

from __future__ import annotations

import httpx
import pytest

from skyclust_gateway.conditional import etag_of, matches

from .cluster_fakes import AWS, AWS_CLUSTER, CREATE, FakeProvisioning, as_

pytestmark = pytest.mark.unit

CLUSTER = f"{AWS}/{AWS_CLUSTER}"


def test_etag_follows_the_services_updated_at() -> None:
    one = {"id": "c1", "updated_at": "2026-01-01T00:00:00+00:00", "status": "READY"}

    assert etag_of(one) == etag_of({**one, "status": "UPDATING"})
    assert etag_of(one) != etag_of({**one, "updated_at": "2026-01-01T00:00:01+00:00"})
    # Without updated_at: what the service reports, as a whole.
    assert etag_of({"id": "w", "name": "a"}) != etag_of({"id": "w", "name": "b"})
    assert etag_of([one]) is None and etag_of(None) is None
    tag = etag_of(one)
    assert tag is not None and tag.startswith('"') and tag.endswith('"')


def test_matching_lists() -> None:
    assert matches('"a", "b"', '"b"')
    assert matches("*", '"b"')
    assert matches('W/"b"', '"b"')
    assert not matches('"a"', '"b"')


async def test_a_read_has_an_etag_and_if_none_match_answers_304(
    gw: httpx.AsyncClient,
) -> None:
    read = await gw.get(CLUSTER, headers=as_("viewer"))
    etag = read.headers["etag"]

    assert etag == etag_of(read.json()["data"])
    again = await gw.get(CLUSTER, headers={**as_("viewer"), "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b"" and again.headers["etag"] == etag
    other = await gw.get(CLUSTER, headers={**as_("viewer"), "If-None-Match": '"stale"'})
    assert other.status_code == 200
    # A list is no single resource: no ETag.
    assert "etag" not in (await gw.get(AWS, headers=as_("viewer"))).headers


async def test_if_match_lets_the_current_version_through(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    etag = (await gw.get(CLUSTER, headers=as_("user"))).headers["etag"]
    provisioning.calls.clear()

    response = await gw.patch(
        CLUSTER, json={"version": "1.31"}, headers={**as_("user"), "If-Match": etag}
    )

    assert response.status_code == 202, response.text
    # Read from the service (not from the cache), then changed.
    assert [call[0] for call in provisioning.calls] == ["GetCluster", "UpgradeCluster"]


async def test_if_match_refuses_a_lost_update(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    etag = (await gw.get(CLUSTER, headers=as_("user"))).headers["etag"]
    # Someone else changed it meanwhile: the service reports a later updated_at.
    provisioning.cluster = {**provisioning.cluster, "updated_at": "2026-02-01T00:00:00+00:00"}
    provisioning.calls.clear()

    response = await gw.patch(
        CLUSTER, json={"version": "1.31"}, headers={**as_("user"), "If-Match": etag}
    )

    assert response.status_code == 412
    body = response.json()
    assert body["error"]["code"] == "PRECONDITION_FAILED"
    assert body["error"]["details"]["etag"] == response.headers["etag"] != etag
    assert [call[0] for call in provisioning.calls] == ["GetCluster"]


async def test_if_match_on_a_missing_resource_gets_its_not_found(
    gw: httpx.AsyncClient,
) -> None:
    response = await gw.patch(
        f"{AWS}/00000000-0000-4000-8000-000000000000",
        json={"version": "1.31"},
        headers={**as_("user"), "If-Match": '"x"'},
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "CLUSTER_NOT_FOUND"


async def test_every_202_says_where_to_look_and_when(gw: httpx.AsyncClient) -> None:
    created = await gw.post(AWS, json=CREATE, headers=as_("user"))
    upgraded = await gw.patch(CLUSTER, json={"version": "1.31"}, headers=as_("user"))
    reconciled = await gw.post(f"{CLUSTER}/reconcile", headers=as_("user"))

    for response in (created, upgraded, reconciled):
        assert response.status_code == 202, response.text
        assert response.headers["retry-after"] == "2"
    assert created.headers["location"] == f"{AWS}/{created.json()['data']['id']}"
    assert upgraded.headers["location"] == CLUSTER
    assert reconciled.headers["location"] == CLUSTER
    # The answer to an update carries the resource's new ETag.
    assert upgraded.headers["etag"] == etag_of(upgraded.json()["data"])
