"""The node group and kubeconfig routes through the gateway app, in process: the
gateway's real routes, permissions and error rendering, calling provisioning's real
handlers (on real PostgreSQL) with every request and reply checked against its
contract. Only NATS is left out."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from skyclust_common.contracts import load_registry
from skyclust_common.db import create_engine, session_of
from skyclust_common.dbadmin import provision_service
from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import Unauthorized
from skyclust_common.messaging import Delivery, RpcContext
from skyclust_common.migrations import upgrade_head
from skyclust_gateway.app import create_app
from skyclust_gateway.auth import Principal
from skyclust_gateway.routers.deps import services
from skyclust_gateway.settings import GatewaySettings
from skyclust_provisioning.adapters.db import metadata
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.adapters.uow import ProvisioningUnitOfWork
from skyclust_provisioning.entrypoints import events, rpc
from skyclust_provisioning.handlers import clusters

pytestmark = pytest.mark.integration
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
WORKSPACE = str(uuid.uuid4())
OTHER_WORKSPACE = str(uuid.uuid4())


@pytest.fixture(scope="module")
async def sessions(postgres):
    url = await provision_service(postgres.url, "provisioning", "gateway-node-groups-test")
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    engine = create_engine(url)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


class Verifier:
    """Tokens are `<role>:<workspace>`."""

    async def verify(self, token: str, **kw: Any) -> Principal:
        role, _, workspace = token.partition(":")
        if not workspace:
            raise Unauthorized("bad token", code="UNAUTHORIZED")
        return Principal(f"user-{role}", workspace, role)


class InProcessServices:
    def __init__(self, deps: clusters.ProvisioningDeps) -> None:
        self.deps = deps
        self.registry = load_registry()

    async def call(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        assert service == "provisioning"
        self.registry.validate(name, data, part="request")
        reply = await rpc.HANDLERS[name](self.deps, data, RpcContext({}))
        self.registry.validate(name, reply, part="reply")
        return reply


@pytest.fixture
async def platform(sessions):
    async def lookup(workspace_id: str, credential_id: str) -> dict[str, Any]:
        return {"id": credential_id, "provider": "aws"}

    async def decrypt(ws: str, cred: str, reason: str, correlation: str) -> dict[str, Any]:
        return {"provider": "aws", "data": {"access_key_id": "AKIA", "secret_access_key": "s"}}

    deps = clusters.ProvisioningDeps(
        uow=lambda: ProvisioningUnitOfWork(sessions, metadata, load_registry()),
        providers={"aws": FakeClusterProvider()},
        lookup_credential=lookup,
        decrypt_credential=decrypt,
        poll_interval=0.01,
        create_timeout=5,
        delete_timeout=5,
        max_attempts=3,
    )
    app = create_app(GatewaySettings(nats_url="nats://127.0.0.1:1"))
    app.state.verifier = Verifier()
    app.dependency_overrides[services] = lambda: InProcessServices(deps)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw"
    ) as client:
        yield client, deps


def auth(role: str = "user", workspace: str = WORKSPACE) -> dict[str, str]:
    return {"Authorization": f"Bearer {role}:{workspace}"}


async def run_saga(deps: clusters.ProvisioningDeps, subject: str) -> None:
    """Play the saga the outbox would have triggered for `subject`."""
    from sqlalchemy import select

    from skyclust_common.db import outbox_table

    table = outbox_table(metadata)
    async with deps.uow() as uow:
        rows = await session_of(uow).execute(
            select(table.c.payload).order_by(table.c.created_at, table.c.id)
        )
        found = [CloudEvent.model_validate(row[0]) for row in rows]
    for event in [e for e in found if e.subject == subject]:
        step = events.SAGA_STEPS.get(event.name)
        if step is not None:
            await step(deps, event, Delivery("saga", "subject", 1, 1))


async def test_node_group_routes_end_to_end(platform):
    gw, deps = platform
    created = await gw.post(
        "/api/v1/aws/kubernetes/clusters",
        json={
            "credential_id": str(uuid.uuid4()),
            "name": f"c{uuid.uuid4().hex[:8]}",
            "version": "1.29",
            "region": "us-east-1",
            "aws_config": {"subnet_ids": ["subnet-a", "subnet-b"]},
        },
        headers=auth(),
    )
    assert created.status_code == 202, created.text
    cluster_id = created.json()["data"]["id"]
    await run_saga(deps, cluster_id)
    base = f"/api/v1/aws/kubernetes/clusters/{cluster_id}/node-groups"
    body = {
        "name": "workers",
        "min_size": 1,
        "max_size": 3,
        "desired_size": 2,
        "labels": {"tier": "web"},
        "taints": [{"key": "dedicated", "value": "web", "effect": "NoSchedule"}],
    }

    viewer = await gw.post(base, json=body, headers=auth("viewer"))
    assert viewer.status_code == 403
    bad = await gw.post(base, json={**body, "min_size": 5}, headers=auth())
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "INVALID_NODE_GROUP_SIZE")

    response = await gw.post(base, json=body, headers=auth())
    assert response.status_code == 202, response.text
    group = response.json()["data"]
    assert group["status"] == "PENDING"
    await run_saga(deps, group["id"])

    listed = await gw.get(base, headers=auth("viewer"))
    assert [g["status"] for g in listed.json()["data"]] == ["READY"]
    one = await gw.get(f"{base}/{group['id']}", headers=auth("viewer"))
    assert one.json()["data"]["taints"] == body["taints"]

    # Another workspace, or the cluster under another provider's path: 404.
    elsewhere = await gw.get(f"{base}/{group['id']}", headers=auth(workspace=OTHER_WORKSPACE))
    assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (
        404,
        "CLUSTER_NOT_FOUND",
    )
    wrong_provider = await gw.get(base.replace("/aws/", "/gcp/"), headers=auth())
    assert wrong_provider.status_code == 404

    scaled = await gw.patch(f"{base}/{group['id']}", json={"desired_size": 3}, headers=auth())
    assert scaled.status_code == 202, scaled.text
    assert scaled.json()["data"]["status"] == "UPDATING"
    busy = await gw.patch(f"{base}/{group['id']}", json={"desired_size": 1}, headers=auth())
    assert (busy.status_code, busy.json()["error"]["code"]) == (409, "NODE_GROUP_BUSY")
    await run_saga(deps, group["id"])
    one = await gw.get(f"{base}/{group['id']}", headers=auth())
    assert (one.json()["data"]["status"], one.json()["data"]["desired_size"]) == ("READY", 3)

    deleted = await gw.delete(f"{base}/{group['id']}", headers=auth())
    assert deleted.status_code == 202
    await run_saga(deps, group["id"])
    gone = await gw.get(f"{base}/{group['id']}", headers=auth())
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "NODE_GROUP_NOT_FOUND")


async def test_kubeconfig_route_is_for_members_who_may_and_is_recorded(platform):
    gw, deps = platform
    created = await gw.post(
        "/api/v1/aws/kubernetes/clusters",
        json={
            "credential_id": str(uuid.uuid4()),
            "name": f"c{uuid.uuid4().hex[:8]}",
            "version": "1.29",
            "region": "us-east-1",
            "aws_config": {"subnet_ids": ["subnet-a", "subnet-b"]},
        },
        headers=auth(),
    )
    cluster_id = created.json()["data"]["id"]
    path = f"/api/v1/aws/kubernetes/clusters/{cluster_id}/kubeconfig"
    early = await gw.get(path, headers=auth())
    assert (early.status_code, early.json()["error"]["code"]) == (409, "CLUSTER_NOT_READY")
    await run_saga(deps, cluster_id)

    viewer = await gw.get(path, headers=auth("viewer"))
    assert viewer.status_code == 403
    elsewhere = await gw.get(path, headers=auth(workspace=OTHER_WORKSPACE))
    assert elsewhere.status_code == 404

    response = await gw.get(path, params={"mode": "static"}, headers=auth())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/yaml")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-credential-expires-at"]
    config = json.loads(response.text)
    token = config["users"][0]["user"]["token"]
    assert config["clusters"][0]["cluster"]["server"] == "https://fake.example"

    from sqlalchemy import select

    from skyclust_common.db import outbox_table

    table = outbox_table(metadata)
    async with deps.uow() as uow:
        rows = await session_of(uow).execute(select(table.c.payload))
        issued = [
            CloudEvent.model_validate(row[0])
            for row in rows
            if row[0]["type"] == "io.skyclust.KubeconfigIssued.v1"
            and row[0]["subject"] == cluster_id
        ]
    assert len(issued) == 1
    assert issued[0].data["actor_id"] == "user-user"
    assert token not in issued[0].model_dump_json()


def outbox_events(rows: Any, name: str, subject: str) -> list[CloudEvent]:
    return [
        CloudEvent.model_validate(row[0])
        for row in rows
        if row[0]["type"] == f"io.skyclust.{name}.v1" and row[0]["subject"] == subject
    ]


async def ready_cluster(gw: httpx.AsyncClient, deps: Any) -> str:
    created = await gw.post(
        "/api/v1/aws/kubernetes/clusters",
        json={
            "credential_id": str(uuid.uuid4()),
            "name": f"c{uuid.uuid4().hex[:8]}",
            "version": "1.29",
            "region": "us-east-1",
            "aws_config": {"subnet_ids": ["subnet-a", "subnet-b"]},
        },
        headers=auth(),
    )
    cluster_id = created.json()["data"]["id"]
    await run_saga(deps, cluster_id)
    return str(cluster_id)


async def test_the_default_kubeconfig_runs_the_cli_and_holds_no_credential(platform):
    gw, deps = platform
    cluster_id = await ready_cluster(gw, deps)
    path = f"/api/v1/aws/kubernetes/clusters/{cluster_id}/kubeconfig"
    response = await gw.get(path, headers=auth())
    assert response.status_code == 200, response.text
    assert "x-credential-expires-at" not in response.headers
    config = json.loads(response.text)
    user = config["users"][0]["user"]
    assert set(user) == {"exec"}
    assert user["exec"]["apiVersion"] == "client.authentication.k8s.io/v1"
    assert user["exec"]["command"] == "skyclust"
    assert user["exec"]["args"] == [
        "kubeconfig",
        "token",
        "--provider",
        "aws",
        "--cluster",
        cluster_id,
    ]
    assert config["clusters"][0]["cluster"]["server"] == "https://fake.example"
    bad = await gw.get(path, params={"mode": "sometimes"}, headers=auth())
    assert bad.status_code == 422


async def test_the_token_route_is_scoped_and_every_issue_lands_in_the_audit_trail(platform):
    gw, deps = platform
    cluster_id = await ready_cluster(gw, deps)
    path = f"/api/v1/aws/kubernetes/clusters/{cluster_id}/kubeconfig/token"
    assert (await gw.get(path, headers=auth("viewer"))).status_code == 403
    elsewhere = await gw.get(path, headers=auth(workspace=OTHER_WORKSPACE))
    assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (
        404,
        "CLUSTER_NOT_FOUND",
    )
    other_cloud = f"/api/v1/gcp/kubernetes/clusters/{cluster_id}/kubeconfig/token"
    assert (await gw.get(other_cloud, headers=auth())).status_code == 404
    first = await gw.get(path, headers=auth())
    second = await gw.get(path, headers=auth())
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    body = first.json()["data"]
    assert body["status"]["token"].startswith("fake-")
    assert body["status"]["token"] != second.json()["data"]["status"]["token"]
    assert body["expires_at"]
    await gw.get(f"/api/v1/aws/kubernetes/clusters/{cluster_id}/kubeconfig", headers=auth())

    from sqlalchemy import select

    from skyclust_common.db import outbox_table

    async with deps.uow() as uow:
        rows = list(await uow.session.execute(select(outbox_table(metadata).c.payload)))
    audits = outbox_events(rows, "AuditRecorded", cluster_id)
    assert [a.data["action"] for a in audits] == [
        "issue_cluster_token",
        "issue_cluster_token",
        "issue_kubeconfig",
    ]
    token_record = audits[0].data
    assert token_record["workspace_id"] == WORKSPACE
    assert (token_record["actor_type"], token_record["actor_id"]) == ("user", "user-user")
    assert (token_record["resource_type"], token_record["resource_id"]) == (
        "cluster",
        cluster_id,
    )
    assert token_record["details"]["expires_at"] == body["expires_at"]
    assert token_record["details"]["mode"] == "token"
    assert audits[2].data["details"] == {**audits[2].data["details"], "mode": "exec"}
    assert body["status"]["token"] not in json.dumps([a.data for a in audits])
    assert len(outbox_events(rows, "KubeconfigIssued", cluster_id)) == 3
