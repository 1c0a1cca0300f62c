"""A SessionsRevoked that identity did not publish revokes nothing, on a real
nats-server: the gateway's token check ignores it and records it as a dead letter with
the reason, and the event stream closes no stream for it."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.envelope import new_event
from skyclust_common.messaging import DLQ_STREAM, Bus, BusConfig, connect_nats
from skyclust_gateway.auth import REVOCATIONS_CONSUMER, Revocations, follow_revocations
from skyclust_gateway.streaming.events import REVOKER

from .stream_harness import Gateway, auth, open_stream

pytestmark = pytest.mark.integration


def test_the_stream_trusts_revocations_from_the_contracts_owner_only():
    assert f"skyclust/{load_registry().get('SessionsRevoked').owner}" == REVOKER


def revoked(workspace: str, sid: str, source: str) -> Any:
    data = {
        "user_id": str(uuid.uuid4()),
        "workspace_id": workspace,
        "session_ids": [sid],
        "reason": "logout",
    }
    return new_event("SessionsRevoked", data, source=source, workspace_id=workspace)


async def dead_letters(bus: Bus) -> list[dict[str, Any]]:
    info = await bus.js.stream_info(DLQ_STREAM)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            msg = await bus.js.get_msg(DLQ_STREAM, seq)
        except Exception:
            continue
        body = json.loads(msg.data or b"{}")
        if body.get("data", {}).get("consumer") == REVOCATIONS_CONSUMER:
            found.append(body["data"])
    return found


async def test_a_forged_sessions_revoked_revokes_no_token(nats_server) -> None:
    nc = await connect_nats(nats_server.url, name="gateway-revocations-test", attempts=3)
    bus = Bus(nc, load_registry(), BusConfig(service="gateway"))
    await bus.ensure_streams()
    revocations = Revocations(horizon_seconds=600)
    workspace = str(uuid.uuid4())
    forged_sid, real_sid = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        await follow_revocations(bus, revocations)
        forged = revoked(workspace, forged_sid, "provisioning")
        await bus.publish(forged)
        await bus.publish(revoked(workspace, real_sid, "identity"))
        deadline = time.monotonic() + 10
        while not revocations.revoked(real_sid):
            assert time.monotonic() < deadline, "the real revocation never arrived"
            await asyncio.sleep(0.05)
        assert not revocations.revoked(forged_sid)
        letters: list[dict[str, Any]] = []
        while not letters:
            assert time.monotonic() < deadline, "the forged revocation left no dead letter"
            letters = [d for d in await dead_letters(bus) if d["original"]["id"] == forged.id]
            await asyncio.sleep(0.05)
        assert letters[0]["error_code"] == "UNTRUSTED_SOURCE"
        assert letters[0]["service"] == "gateway"
        assert letters[0]["reason"] == (
            "SessionsRevoked is published only by skyclust/identity, not by 'skyclust/provisioning'"
        )
    finally:
        await bus.close()


async def test_a_forged_sessions_revoked_closes_no_stream(gateway: Gateway) -> None:
    workspace, sid = str(uuid.uuid4()), str(uuid.uuid4())
    gateway.hub.session_check = None  # only the SessionsRevoked event can close it
    client = await open_stream(gateway.port, "", auth(workspace, sid=sid))
    data = {"session_ids": [sid], "reason": "logout"}
    forged = await gateway.publish(workspace, "SessionsRevoked", data, "skyclust/network")
    assert [e["id"] for e in await client.collect(1)] == [forged]
    assert not client.closed
    real = await gateway.publish(workspace, "SessionsRevoked", data)
    assert [e["id"] for e in await client.collect(2)] == [real]
    assert client.closed
