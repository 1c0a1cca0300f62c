"""The cluster listing reads rows of the viewed columns, not ORM objects: it must show
exactly what reading each cluster on its own shows, against real PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import update

from skyclust_common.db import session_of
from skyclust_provisioning.adapters.db import VIEWED_COLUMNS, Cluster
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.handlers import clusters

from .rpc_calls import call
from .saga_harness import CTX, advance, make_deps, request, status

pytestmark = pytest.mark.integration


async def listed(deps: clusters.ProvisioningDeps, workspace: str, provider: str | None) -> Any:
    body = {"workspace_id": workspace, **({"provider": provider} if provider else {})}
    return (await call(clusters.list_clusters, deps, body, CTX))["items"]


async def test_a_listing_shows_what_each_cluster_read_alone_shows(sessions):
    deps = make_deps(sessions, FakeClusterProvider())
    workspace = str(uuid.uuid4())
    first = await request(
        deps,
        workspace_id=workspace,
        tags={"team": "core"},
        aws_config={"subnet_ids": ["subnet-a", "subnet-b"]},
    )
    await advance(deps, first)
    second = await request(deps, workspace_id=workspace)
    gone = await request(deps, workspace_id=workspace)
    async with deps.uow() as uow:
        await session_of(uow).execute(
            update(Cluster).where(Cluster.id == uuid.UUID(gone["id"])).values(status="DELETED")
        )
        await uow.commit()
    await request(deps)  # another workspace's

    items = await listed(deps, workspace, "aws")
    assert [c["id"] for c in items] == [first["id"], second["id"]]  # oldest first
    assert items == [await status(deps, first), await status(deps, second)]
    assert items[0]["tags"] == {"team": "core"}
    assert items[0]["aws_config"] == {"subnet_ids": ["subnet-a", "subnet-b"]}
    assert items[0]["status"] == "READY" and items[0]["endpoint"]
    assert await listed(deps, workspace, None) == items
    assert await listed(deps, workspace, "gcp") == []


def test_the_listing_reads_every_column_of_a_view_and_they_exist():
    columns = set(Cluster.__table__.c.keys())
    assert set(VIEWED_COLUMNS) <= columns
    assert {"failure", "network_request", "step_deadline"}.isdisjoint(VIEWED_COLUMNS)
    assert len(VIEWED_COLUMNS) == len(set(VIEWED_COLUMNS)) == 27
