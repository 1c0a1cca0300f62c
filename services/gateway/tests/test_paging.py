"""Paging and filters of the lists, and the cluster list across clouds, through the real
gateway app in process on a fake provisioning holding many clusters."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from skyclust_gateway.paging import QueryReader

from .cluster_fakes import AWS, WORKSPACE, FakeProvisioning, as_, cluster_view

pytestmark = pytest.mark.unit

ALL = "/api/v1/kubernetes/clusters"


class ManyClusters(FakeProvisioning):
    def __init__(self) -> None:
        super().__init__()
        self.clusters = [
            cluster_view(
                id=str(uuid.UUID(int=n + 1)),
                name=f"{'web' if n % 2 else 'db'}-{n:02d}",
                provider=("aws", "gcp", "azure")[n % 3],
                region=("us-east-1", "eu-west-1")[n % 2],
                status=("READY", "FAILED", "PROVISIONING")[n % 3],
                tags={"team": "a" if n < 10 else "b", **({"gpu": "yes"} if n == 4 else {})},
                credential_id=str(uuid.UUID(int=1000 + n % 2)),
                created_at=f"2026-01-01T00:00:{n:02d}+00:00",
            )
            for n in range(25)
        ]

    async def call(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        if name == "ListClusters":
            self.calls.append((name, data, None))
            assert data["workspace_id"] == WORKSPACE
            provider = data.get("provider")
            return {"items": [c for c in self.clusters if provider in (None, c["provider"])]}
        return await super().call(service, name, data)


@pytest.fixture
def provisioning() -> FakeProvisioning:
    return ManyClusters()


def flat(pages: list[list[str]]) -> list[str]:
    return [name for page in pages for name in page]


async def walk(gw: httpx.AsyncClient, url: str, **params: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    response = await gw.get(url, params=params, headers=as_("viewer"))
    while True:
        assert response.status_code == 200, response.text
        pages.append([c["name"] for c in response.json()["data"]])
        link = response.headers.get("link")
        if link is None:
            assert "x-next-cursor" not in response.headers
            return pages
        assert link.endswith('>; rel="next"')
        response = await gw.get(link[1 : link.index(">")], headers=as_("viewer"))


async def test_pages_cover_the_list_once_in_order(
    gw: httpx.AsyncClient, provisioning: ManyClusters
) -> None:
    pages = await walk(gw, ALL, limit=10)

    assert [len(page) for page in pages] == [10, 10, 5]
    assert flat(pages) == [c["name"] for c in provisioning.clusters]
    # Without a limit, one page of at most 100.
    assert len((await walk(gw, ALL))[0]) == 25


async def test_filters(gw: httpx.AsyncClient, provisioning: ManyClusters) -> None:
    async def names(url: str = ALL, **params: Any) -> list[str]:
        return flat(await walk(gw, url, **params))

    assert await names(name="WEB-0") == [f"web-0{n}" for n in (1, 3, 5, 7, 9)]
    assert all(n.startswith(("web", "db")) for n in await names(status="READY,FAILED"))
    assert len(await names(status="READY,FAILED")) == 17
    assert len(await names(region="eu-west-1")) == 12
    assert await names(tag="gpu") == ["db-04"]
    assert await names(tag="gpu=no") == []
    assert len(await names(tag="team=b")) == 15
    assert len(await names(credential_id=str(uuid.UUID(int=1001)))) == 12
    # One cloud: on the cloud's own path, or `provider=` on the list across clouds.
    aws = [c["name"] for c in provisioning.clusters if c["provider"] == "aws"]
    assert await names(AWS) == aws == await names(provider="aws")
    assert provisioning.calls[-1][1] == {"workspace_id": WORKSPACE, "provider": "aws"}
    # Filters and pages together.
    pages = await walk(gw, ALL, limit=3, region="us-east-1", status="READY")
    assert flat(pages) == [
        c["name"]
        for c in provisioning.clusters
        if c["region"] == "us-east-1" and c["status"] == "READY"
    ]


async def test_a_cursor_survives_its_item_being_deleted(
    gw: httpx.AsyncClient, provisioning: ManyClusters
) -> None:
    first = await gw.get(ALL, params={"limit": 5}, headers=as_("viewer"))
    cursor = first.headers["x-next-cursor"]
    del provisioning.clusters[4]  # the last one of the first page goes

    second = await gw.get(ALL, params={"limit": 5, "cursor": cursor}, headers=as_("viewer"))

    assert [c["name"] for c in second.json()["data"]] == [
        c["name"] for c in provisioning.clusters[4:9]
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": "WyJ4IiwieSIsInoiXQ"},  # well formed, not ours
        {"cursor": "<other filters>", "region": "us-east-1"},
    ],
)
async def test_a_bad_cursor_is_refused(gw: httpx.AsyncClient, params: dict[str, str]) -> None:
    if params["cursor"] == "<other filters>":
        first = await gw.get(ALL, params={"limit": 2}, headers=as_("viewer"))
        params = {**params, "cursor": first.headers["x-next-cursor"]}

    response = await gw.get(ALL, params=params, headers=as_("viewer"))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_CURSOR"


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"cursor": "c" * 513},
        {"name": ""},
        {"status": "READY;"},
        {"region": "US"},
        {"credential_id": "not-a-uuid"},
        {"provider": "ibm"},
    ],
)
async def test_bad_parameters_are_refused(gw: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await gw.get(ALL, params=params, headers=as_("viewer"))

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    # FastAPI's own shape, for the parameters the list reads itself as for the others.
    assert [e["field"] for e in error["details"]["errors"]] == [f"query.{next(iter(params))}"]


async def test_a_bad_parameter_is_refused_among_good_ones(gw: httpx.AsyncClient) -> None:
    params = {"limit": "2", "region": "us-east-1", "tag": "team=a", "status": "READY,,"}

    response = await gw.get(ALL, params=params, headers=as_("viewer"))

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["error"]["details"]["errors"]] == ["query.status"]


def test_a_list_declares_only_filters_that_exist() -> None:
    with pytest.raises(ValueError, match="colour"):
        QueryReader("name", "colour")


async def test_the_openapi_shows_each_lists_own_filters(gw: httpx.AsyncClient) -> None:
    spec = (await gw.get("/openapi.json")).json()

    def params(path: str) -> set[str]:
        return {p["name"] for p in spec["paths"][path]["get"].get("parameters", [])}

    assert {"limit", "cursor", "name", "status", "region", "tag", "credential_id"} <= params(ALL)
    node_groups = params("/api/v1/{provider}/kubernetes/clusters/{cluster_id}/node-groups")
    assert {"limit", "cursor", "name", "status"} <= node_groups
    assert "region" not in node_groups
