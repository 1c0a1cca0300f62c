"""The network service as it runs, on a real nats-server and PostgreSQL: requests over
request/reply, its saga on its own events through the outbox, commands on the work-queue
stream, and bad commands dead-lettered. The cloud and the vault are fakes."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.dbadmin import provision_service
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import SkyclustError
from skyclust_common.messaging import Bus, BusConfig, command_subject, connect_nats
from skyclust_common.runtime import Runtime, start_runtime, stop_runtime
from skyclust_network.adapters.db import metadata
from skyclust_network.adapters.providers.fake import FakeNetworkProvider
from skyclust_network.bootstrap import MIGRATIONS, wire
from skyclust_network.settings import NetworkSettings

from .helpers import FakeVault

pytestmark = pytest.mark.integration


@dataclass
class Running:
    runtime: Runtime
    client: Bus
    cloud: FakeNetworkProvider
    vault: FakeVault


@pytest.fixture(scope="module")
async def running(nats_server: Any, postgres: Any, sessions: Any) -> AsyncIterator[Running]:
    url = await provision_service(postgres.url, "network", "network-test")
    settings = NetworkSettings(
        nats_url=nats_server.url,
        database_url=url,
        outbox_poll_seconds=0.1,
        discovery_interval_seconds=0,
        retry_backoff_seconds=[0.1, 0.2],
        ack_wait_seconds=5,
        max_deliver=3,
    )
    runtime = await start_runtime("network", settings, metadata, MIGRATIONS)
    cloud, vault = FakeNetworkProvider(name="aws"), FakeVault()
    await wire(
        runtime,
        settings,
        providers={"aws": cloud},
        lookup_credential=vault.lookup,
        decrypt_credential=vault.decrypt,
    )
    client = Bus(
        await connect_nats(nats_server.url, name="test-client"),
        load_registry(),
        BusConfig(service="provisioning"),
    )
    yield Running(runtime, client, cloud, vault)
    await client.close()
    await stop_runtime(runtime)


class Events:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    async def handler(self, msg: Any) -> None:
        await self.queue.put((msg.subject, json.loads(msg.data)))

    async def until(
        self, name: str, subject: str | None = None, timeout: float = 15
    ) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {name}; saw {[e.get('type') for e in seen]}"
            try:
                _, event = await asyncio.wait_for(self.queue.get(), remaining)
            except TimeoutError:
                continue
            seen.append(event)
            if event["type"] == f"io.skyclust.{name}.v1" and subject in (
                None,
                event.get("subject"),
            ):
                return seen


async def listen(client: Bus, subject: str) -> Events:
    events = Events()
    await client.nc.subscribe(subject, cb=events.handler)
    return events


async def test_a_request_over_nats_runs_the_saga_through_the_outbox(running: Running):
    workspace = str(uuid.uuid4())
    credential = running.vault.add(
        workspace, "aws", {"access_key_id": "AKIAX", "secret_access_key": "s"}
    )
    events = await listen(running.client, f"skyclust.evt.{workspace}.>")
    created = await running.client.request(
        "network",
        "CreateVpc",
        {
            "workspace_id": workspace,
            "actor_id": "u1",
            "provider": "aws",
            "credential_id": credential,
            "name": "wired",
            "region": "us-east-1",
            "cidr_block": "10.12.0.0/16",
        },
    )
    assert created["status"] == "PENDING"
    seen = await events.until("VpcReady", created["id"])
    assert [e["type"] for e in seen] == ["io.skyclust.VpcRequested.v1", "io.skyclust.VpcReady.v1"]
    for event in seen:
        parsed = CloudEvent.model_validate(event)
        load_registry().validate(parsed.name, parsed.data)
        assert parsed.workspaceid == workspace and parsed.source == "skyclust/network"

    with pytest.raises(SkyclustError) as info:
        await running.client.request(
            "network",
            "CreateVpc",
            {
                "workspace_id": workspace,
                "actor_id": "u1",
                "provider": "aws",
                "credential_id": credential,
                "name": "other",
                "region": "us-east-1",
                "cidr_block": "10.12.64.0/18",
            },
        )
    assert info.value.code == "CIDR_OVERLAP" and info.value.status == 409
    assert "wired" in info.value.message


async def test_provision_cluster_network_on_the_command_stream_twice_makes_one(running: Running):
    workspace = str(uuid.uuid4())
    credential = running.vault.add(
        workspace, "aws", {"access_key_id": "AKIAX", "secret_access_key": "s"}
    )
    events = await listen(running.client, f"skyclust.evt.{workspace}.>")
    cluster_id = str(uuid.uuid4())
    data = {
        "request_id": "req-1",
        "cluster_id": cluster_id,
        "cluster_name": "wired",
        "provider": "aws",
        "credential_id": credential,
        "region": "us-east-1",
    }
    for _ in range(2):
        await running.client.send_command(
            "network",
            new_event(
                "ProvisionClusterNetwork",
                data,
                source="provisioning",
                workspace_id=workspace,
                subject=cluster_id,
            ),
        )
    first = (await events.until("ClusterNetworkReady", cluster_id))[-1]
    second = (await events.until("ClusterNetworkReady", cluster_id))[-1]
    assert first["data"]["vpc"] == second["data"]["vpc"]
    assert first["causationid"] != second["causationid"]
    owned = [
        v
        for v in running.cloud.vpcs.values()
        if v.tags.get("skyclust.io/generated-for-cluster") == cluster_id
    ]
    assert len(owned) == 1

    await running.client.send_command(
        "network",
        new_event(
            "ReleaseClusterNetwork",
            {"request_id": "req-2", "cluster_id": cluster_id},
            source="provisioning",
            workspace_id=workspace,
            subject=cluster_id,
        ),
    )
    released = (await events.until("ClusterNetworkReleased", cluster_id))[-1]
    assert released["data"]["deleted"] is True
    assert not [v for v in running.cloud.vpcs.values() if v.cloud_id == owned[0].cloud_id]


async def test_an_invalid_command_is_dead_lettered_with_its_reason(running: Running):
    dead = await listen(running.client, "skyclust.dlq.network")
    bad = new_event(
        "ProvisionClusterNetwork",
        {"request_id": "r", "cluster_id": str(uuid.uuid4())},
        source="provisioning",
        workspace_id=str(uuid.uuid4()),
    )
    await running.client.publish_raw(
        command_subject("network", "ProvisionClusterNetwork"),
        bad.to_json(),
        {"Nats-Msg-Id": bad.id},
    )
    letter = (await dead.until("MessageDeadLettered"))[-1]
    assert letter["data"]["error_code"] == "INVALID_MESSAGE"
    assert "cluster_name" in letter["data"]["reason"]
