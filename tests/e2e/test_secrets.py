"""A canary secret stored as a credential appears nowhere in plain text; every message
the services published validates against its contract."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import asyncpg
import nats
import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.envelope import CloudEvent

from .test_cluster_lifecycle import add_credential, make_cluster

pytestmark = pytest.mark.e2e


async def every_row_as_text(admin_url: str) -> list[str]:
    conn = await asyncpg.connect(admin_url)
    try:
        tables = await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
            "AND table_type = 'BASE TABLE'"
        )
        rows: list[str] = []
        for table in tables:
            query = f'SELECT t::text FROM "{table[0]}"."{table[1]}" t'
            rows.extend(record[0] for record in await conn.fetch(query))
        # bytea columns print as hex; look for the canary's hex as well.
        return rows
    finally:
        await conn.close()


async def every_stream_message(nats_url: str) -> dict[str, list[bytes]]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    found: dict[str, list[bytes]] = {}
    try:
        for stream in ("SKYCLUST_EVENTS", "SKYCLUST_COMMANDS", "SKYCLUST_DLQ"):
            info = await js.stream_info(stream)
            found[stream] = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                try:
                    msg = await js.get_msg(stream, seq)
                except Exception:
                    continue
                found[stream].append(msg.data or b"")
    finally:
        await nc.close()
    return found


def test_canary_secret_appears_nowhere(platform, local_aws_credential):
    canary = "CANARY" + secrets.token_hex(16)
    body: dict[str, Any] = json.loads(json.dumps(local_aws_credential))
    body["name"] = "canary"
    body["data"]["secret_access_key"] = canary
    api = platform.api()
    api.signup()
    credential = add_credential(api, body)
    stream = api.stream()
    cluster = make_cluster(api, credential["id"])
    stream.until("ClusterReady", cluster["id"])
    api.get(f"/api/v1/credentials/{credential['id']}")
    api.get("/api/v1/credentials")
    api.delete(f"/api/v1/aws/kubernetes/clusters/{cluster['id']}")
    stream.until("ClusterDeleted", cluster["id"])
    stream.close()

    rows = asyncio.run(every_row_as_text(platform.env["SKYCLUST_DATABASE_URL"]))
    assert rows, "the scan read no rows at all"
    assert not [row for row in rows if canary in row or canary.encode().hex() in row]

    messages = asyncio.run(every_stream_message(platform.env["SKYCLUST_NATS_URL"]))
    assert messages["SKYCLUST_EVENTS"]
    assert not [m for ms in messages.values() for m in ms if canary.encode() in m]

    logs = platform.logs()
    assert {"identity.log", "credential-vault.log", "provisioning.log", "gateway.log"} <= set(logs)
    assert not [name for name, text in logs.items() if canary in text]

    assert api.bodies, "no API responses were recorded"
    assert not [b for b in api.bodies if canary in b]


def test_every_published_event_validates_against_its_contract(platform, local_aws_credential):
    api = platform.api()
    api.signup()
    credential = add_credential(api, {**local_aws_credential, "name": "contracts"})
    stream = api.stream()
    cluster = make_cluster(api, credential["id"])
    stream.until("ClusterReady", cluster["id"])
    stream.close()

    registry = load_registry()
    messages = asyncio.run(every_stream_message(platform.env["SKYCLUST_NATS_URL"]))
    names = set()
    for raw in messages["SKYCLUST_EVENTS"] + messages["SKYCLUST_DLQ"]:
        event = CloudEvent.from_json(raw)
        registry.validate(event.name, event.data, version=event.version)
        names.add(event.name)
    assert {
        "UserRegistered",
        "WorkspaceCreated",
        "CredentialCreated",
        "CredentialDecrypted",
        "ClusterRequested",
        "ClusterProvisioning",
        "ClusterReady",
    } <= names
