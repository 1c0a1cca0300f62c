"""The public NATS API from the outside: a plain nats-py client (`NatsClient` below uses
nothing of the project) connects to SKYCLUST_NATS_PUBLIC_URL with an API key as its
token. The REST API only sets the scene (accounts, keys, a credential) and reads the
audit log."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.errors import Error as NatsError

from .client import Api
from .test_cluster_lifecycle import add_credential
from .test_cluster_saga import credential_body

pytestmark = pytest.mark.e2e
PREFIX = "skyclust.public.v1"


@dataclass
class NatsClient:
    """What another system writes: the subjects of docs/nats-api.md, JSON bodies."""

    url: str
    workspace_id: str
    key_id: str
    token: str
    errors: list[str] = field(default_factory=list)
    nc: Any = None

    async def connect(self, **options: Any) -> NatsClient:
        async def on_error(exc: Exception) -> None:
            self.errors.append(str(exc))

        self.nc = await nats.connect(
            self.url,
            token=self.token,
            inbox_prefix=f"_INBOX_{self.key_id}",
            error_cb=on_error,
            connect_timeout=5,
            **options,
        )
        return self

    def subject(self, kind: str, name: str, workspace_id: str | None = None) -> str:
        return f"{PREFIX}.{workspace_id or self.workspace_id}.{self.key_id}.{kind}.{name}"

    async def command(self, name: str, body: dict[str, Any], msg_id: str) -> Any:
        js = self.nc.jetstream()
        return await js.publish(
            self.subject("cmd", name), json.dumps(body).encode(), headers={"Nats-Msg-Id": msg_id}
        )

    async def read(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        reply = await self.nc.request(
            self.subject("rpc", name), json.dumps(body).encode(), timeout=10
        )
        answer: dict[str, Any] = json.loads(reply.data)
        return answer

    async def outcomes(self) -> Any:
        return await self.nc.subscribe(f"{PREFIX}.{self.workspace_id}.{self.key_id}.res.>")

    async def events(self) -> Any:
        return await self.nc.subscribe(f"{PREFIX}.{self.workspace_id}.evt.>")

    def violations(self) -> list[str]:
        return [e for e in self.errors if "permissions violation" in e.lower()]


async def next_json(sub: Any, timeout: float) -> dict[str, Any]:
    msg = await sub.next_msg(timeout=timeout)
    body: dict[str, Any] = json.loads(msg.data)
    return body


async def until_event(sub: Any, name: str, subject: str, timeout: float) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {name} for {subject}; saw {seen}"
        event = await next_json(sub, left)
        if event.get("subject") == subject or event.get("data", {}).get("cluster_id") == subject:
            seen.append(event["type"])
            if event["type"].endswith(f".{name}.v1"):
                return seen


@dataclass
class Estate:
    admin: Api
    workspace_id: str
    credential_id: str
    url: str

    def key(self, role: str) -> dict[str, Any]:
        created = self.admin.post("/api/v1/api-keys", json={"name": f"nats-{role}", "role": role})
        assert created.status_code == 201, created.text
        return dict(created.json()["data"])

    def client(self, key: dict[str, Any]) -> NatsClient:
        return NatsClient(self.url, self.workspace_id, key["id"], key["key"])


def make_estate(platform: Any) -> Estate:
    admin = platform.api()
    account = admin.signup()
    credential = add_credential(admin, credential_body(platform, "gcp"))
    return Estate(
        admin,
        account["workspace"]["id"],
        credential["id"],
        platform.env["SKYCLUST_NATS_PUBLIC_URL"],
    )


@pytest.fixture(scope="module")
def estate(platform: Any) -> Estate:
    return make_estate(platform)


def gke(estate: Estate, name: str) -> dict[str, Any]:
    return {
        "provider": "gcp",
        "name": name,
        "version": "1.31",
        "region": "us-central1",
        "credential_id": estate.credential_id,
        "node_groups": [{"name": "workers", "min_size": 1, "max_size": 3, "desired_size": 1}],
    }


@pytest.fixture
async def user_client(estate: Estate) -> AsyncIterator[NatsClient]:
    client = await estate.client(estate.key("user")).connect()
    try:
        yield client
    finally:
        await client.nc.close()


def test_the_public_url_carries_no_credentials(platform: Any) -> None:
    public = platform.env["SKYCLUST_NATS_PUBLIC_URL"]
    assert "@" not in public and public != platform.env["SKYCLUST_NATS_URL"]


async def test_a_user_key_creates_a_gke_cluster_follows_it_and_lists_it(
    estate: Estate, user_client: NatsClient
) -> None:
    outcomes, events = await user_client.outcomes(), await user_client.events()
    name = f"nats-{uuid.uuid4().hex[:6]}"
    msg_id = str(uuid.uuid4())
    ack = await user_client.command("CreateCluster", gke(estate, name), msg_id)
    assert ack.stream == "SKYCLUST_PUBLIC" and not ack.duplicate
    # The same command published again (a retry after a lost ack): stored once.
    again = await user_client.command("CreateCluster", gke(estate, name), msg_id)
    assert again.duplicate and again.seq == ack.seq
    outcome = await next_json(outcomes, 30)
    assert outcome["ok"] is True, outcome
    assert outcome["message_id"] == msg_id and outcome["command"] == "CreateCluster"
    cluster = outcome["data"]
    seen = await until_event(events, "ClusterReady", cluster["id"], timeout=90)
    assert seen[0].endswith(".ClusterRequested.v1")
    listed = await user_client.read("ListClusters", {"provider": "gcp"})
    assert listed["ok"] is True
    mine = [c for c in listed["data"]["items"] if c["name"] == name]
    assert [(c["id"], c["status"]) for c in mine] == [(cluster["id"], "READY")]
    got = await user_client.read("GetCluster", {"provider": "gcp", "cluster_id": cluster["id"]})
    assert got["ok"] is True and got["data"]["id"] == cluster["id"]
    # Anything the subject decides is refused in the body.
    forged = await user_client.read("ListClusters", {"workspace_id": str(uuid.uuid4())})
    assert forged["ok"] is False and forged["error"]["code"] == "VALIDATION_ERROR"
    # Audited with the key as the actor.
    deadline = time.monotonic() + 15
    while True:
        page = estate.admin.get("/api/v1/audit-logs", params={"action": "create_cluster"})
        records = [r for r in page.json()["data"]["items"] if r["resource_id"] == cluster["id"]]
        if records:
            break
        assert time.monotonic() < deadline, "no audit record for the NATS command"
        await asyncio.sleep(0.3)
    assert records[0]["actor_type"] == "api_key"
    assert records[0]["actor_id"] == f"apikey:{user_client.key_id}"
    assert records[0]["request_id"] == msg_id and records[0]["outcome"] == "success"
    assert user_client.violations() == []


async def test_another_workspace_is_out_of_reach_by_nats_server(
    platform: Any, estate: Estate, user_client: NatsClient
) -> None:
    other = make_estate(platform)
    await user_client.nc.subscribe(f"{PREFIX}.{other.workspace_id}.evt.>")
    await user_client.nc.publish(
        user_client.subject("cmd", "CreateCluster", other.workspace_id), b"{}"
    )
    await user_client.nc.publish(f"skyclust.evt.{estate.workspace_id}.ClusterDeleted", b"{}")
    await user_client.nc.flush()
    await asyncio.sleep(0.5)
    violations = user_client.violations()
    assert any(f'subscription to "{PREFIX}.{other.workspace_id}' in v for v in violations)
    assert any(f'publish to "{PREFIX}.{other.workspace_id}' in v for v in violations)
    assert any('publish to "skyclust.evt.' in v for v in violations)


async def test_a_viewer_key_reads_but_its_create_is_refused(estate: Estate) -> None:
    viewer = await estate.client(estate.key("viewer")).connect()
    try:
        listed = await viewer.read("ListClusters", {})
        assert listed["ok"] is True
        with pytest.raises(nats.errors.TimeoutError):
            js = viewer.nc.jetstream(timeout=1)
            await js.publish(
                viewer.subject("cmd", "CreateCluster"), json.dumps(gke(estate, "no")).encode()
            )
        assert any(".cmd.createcluster" in v for v in viewer.violations())
    finally:
        await viewer.nc.close()


async def test_a_revoked_key_is_cut_within_seconds_and_refused(estate: Estate) -> None:
    key = estate.key("user")
    client = await estate.client(key).connect(max_reconnect_attempts=3, reconnect_time_wait=0.2)
    assert (await client.read("ListClusters", {}))["ok"] is True
    assert estate.admin.delete(f"/api/v1/api-keys/{key['id']}").status_code == 200
    deadline = time.monotonic() + 5
    while not client.nc.is_closed:
        assert time.monotonic() < deadline, "the revoked key's connection is still open"
        await asyncio.sleep(0.1)
    with pytest.raises(NatsError):
        await nats.connect(estate.url, token=key["key"], allow_reconnect=False)


async def test_a_command_sent_while_provisioning_is_down_is_carried_out_after(
    platform: Any, estate: Estate, user_client: NatsClient
) -> None:
    outcomes = await user_client.outcomes()
    launcher = platform.proc.pid
    # The launcher would restart provisioning at once: it is held while provisioning is down.
    os.kill(launcher, signal.SIGSTOP)
    try:
        victim = platform.pid("provisioning")
        os.kill(victim, signal.SIGKILL)
        await asyncio.sleep(1)
        name = f"nats-late-{uuid.uuid4().hex[:6]}"
        ack = await user_client.command("CreateCluster", gke(estate, name), str(uuid.uuid4()))
        assert ack.stream == "SKYCLUST_PUBLIC"
        with pytest.raises(nats.errors.TimeoutError):
            await outcomes.next_msg(timeout=3)
    finally:
        os.kill(launcher, signal.SIGCONT)
    outcome = await next_json(outcomes, 90)
    assert outcome["ok"] is True, outcome
    assert outcome["data"]["name"] == name
    listed = await user_client.read("ListClusters", {"provider": "gcp"})
    assert [c["name"] for c in listed["data"]["items"]].count(name) == 1


def test_the_documented_example_client_creates_a_cluster(estate: Estate) -> None:
    key = estate.key("user")
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "nats_create_cluster.py"
    env = {
        **os.environ,
        "SKYCLUST_NATS_PUBLIC_URL": estate.url,
        "SKYCLUST_API_KEY": key["key"],
        "SKYCLUST_API_KEY_ID": key["id"],
        "SKYCLUST_WORKSPACE_ID": estate.workspace_id,
    }
    run = subprocess.run(
        [sys.executable, str(example), estate.credential_id, f"doc-{uuid.uuid4().hex[:6]}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ClusterReady" in run.stdout and "requested" in run.stdout


async def test_networks_and_budgets_go_the_same_way(
    estate: Estate, user_client: NatsClient
) -> None:
    outcomes = await user_client.outcomes()
    vpc = {
        "provider": "gcp",
        "credential_id": estate.credential_id,
        "name": f"net-{uuid.uuid4().hex[:6]}",
        "region": "us-central1",
        "cidr_block": "10.42.0.0/16",
    }
    await user_client.command("CreateVpc", vpc, str(uuid.uuid4()))
    created = await next_json(outcomes, 30)
    assert created["ok"] is True and created["command"] == "CreateVpc", created
    got = await user_client.read("GetVpc", {"provider": "gcp", "vpc_id": created["data"]["id"]})
    assert got["ok"] is True and got["data"]["name"] == vpc["name"]
    # Budgets are an admin's: a user key's connection may not even publish the command.
    await user_client.nc.publish(user_client.subject("cmd", "CreateBudget"), b"{}")
    await user_client.nc.flush()
    admin = await estate.client(estate.key("admin")).connect()
    try:
        admin_outcomes = await admin.outcomes()
        budget = {"name": "nats", "amount": "100", "period": "monthly"}
        await admin.command("CreateBudget", budget, str(uuid.uuid4()))
        made = await next_json(admin_outcomes, 30)
        assert made["ok"] is True, made
        listed = await admin.read("ListBudgets", {})
        assert made["data"]["budget_id"] in [b["budget_id"] for b in listed["data"]["items"]]
    finally:
        await admin.nc.close()
    await asyncio.sleep(0.3)
    assert any(".cmd.createbudget" in v for v in user_client.violations())


async def test_a_subnet_is_created_and_costs_are_read_over_nats(
    estate: Estate, user_client: NatsClient
) -> None:
    outcomes, events = await user_client.outcomes(), await user_client.events()
    vpc = {
        "provider": "gcp",
        "credential_id": estate.credential_id,
        "name": f"subnets-{uuid.uuid4().hex[:6]}",
        "region": "us-central1",
        "cidr_block": "10.43.0.0/16",
    }
    await user_client.command("CreateVpc", vpc, str(uuid.uuid4()))
    network = (await next_json(outcomes, 30))["data"]
    await until_event(events, "VpcReady", network["id"], timeout=60)
    subnet_body = {
        "provider": "gcp",
        "vpc_id": network["id"],
        "name": "nodes",
        "region": "us-central1",
        "cidr_block": "10.43.1.0/24",
    }
    msg_id = str(uuid.uuid4())
    await user_client.command("CreateSubnet", subnet_body, msg_id)
    created = await next_json(outcomes, 30)
    assert created["ok"] is True and created["command"] == "CreateSubnet", created
    subnet = created["data"]
    assert (subnet["vpc_id"], subnet["cidr_block"]) == (network["id"], "10.43.1.0/24")
    await until_event(events, "SubnetReady", subnet["id"], timeout=60)
    listed = await user_client.read("ListSubnets", {"provider": "gcp", "vpc_id": network["id"]})
    assert [(s["id"], s["status"]) for s in listed["data"]["items"]] == [(subnet["id"], "READY")]
    # The same command published again is stored once: no second subnet, no second outcome.
    again = await user_client.command("CreateSubnet", subnet_body, msg_id)
    assert again.duplicate

    summary = await user_client.read("GetCostSummary", {"period": "7d"})
    assert summary["ok"] is True, summary
    assert {"total", "currency", "daily", "by_provider"} <= set(summary["data"])
    breakdown = await user_client.read("GetCostBreakdown", {"by": "service"})
    assert breakdown["ok"] is True and breakdown["data"]["by"] == "service", breakdown
    bad = await user_client.read("GetCostSummary", {"period": "forever"})
    assert bad["ok"] is False and bad["error"]["status"] == 422, bad

    deadline = time.monotonic() + 15
    while True:
        page = estate.admin.get("/api/v1/audit-logs", params={"action": "create_subnet"})
        records = [r for r in page.json()["data"]["items"] if r["resource_id"] == subnet["id"]]
        if records:
            break
        assert time.monotonic() < deadline, "no audit record for the NATS subnet command"
        await asyncio.sleep(0.3)
    assert (records[0]["actor_id"], records[0]["request_id"]) == (
        f"apikey:{user_client.key_id}",
        msg_id,
    )
    assert user_client.violations() == []
