"""The AsyncAPI documents in docs/asyncapi/ are what the services' FastStream brokers
declare now: each service's registrations run on a bus that only declares, and the
document built from it must equal the committed one. To write them anew:
SKYCLUST_WRITE_ASYNCAPI=1 pytest tests/test_asyncapi.py"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from skyclust_cost.entrypoints import events as cost_events
from skyclust_cost.entrypoints import rpc as cost_rpc

from skyclust_common.asyncapi import document, to_yaml
from skyclust_common.contracts import load_registry
from skyclust_common.messaging import Bus, BusConfig
from skyclust_identity.entrypoints import events as identity_events
from skyclust_identity.entrypoints import rpc as identity_rpc
from skyclust_network.entrypoints import commands as network_commands
from skyclust_network.entrypoints import events as network_events
from skyclust_network.entrypoints import rpc as network_rpc
from skyclust_notification.entrypoints import commands as notification_commands
from skyclust_notification.entrypoints import events as notification_events
from skyclust_notification.entrypoints import rpc as notification_rpc
from skyclust_provisioning.entrypoints import events as provisioning_events
from skyclust_provisioning.entrypoints import rpc as provisioning_rpc
from skyclust_vault.entrypoints import events as vault_events
from skyclust_vault.entrypoints import rpc as vault_rpc

DOCS = Path(__file__).resolve().parent.parent / "docs" / "asyncapi"

# What each service's `wire` registers on its bus; the handlers are never called here.
Register = Callable[[Bus, Any], Awaitable[None]]
SERVICES: dict[str, list[Register]] = {
    "identity": [identity_rpc.register, identity_events.register],
    "credential-vault": [vault_rpc.register, vault_events.register],
    "provisioning": [provisioning_rpc.register, provisioning_events.register],
    "network": [network_rpc.register, network_events.register, network_commands.register],
    "notification": [
        notification_rpc.register,
        notification_events.register,
        notification_commands.register,
    ],
    "cost": [cost_rpc.register, cost_events.register],
}


async def declaring_bus(service: str) -> Bus:
    bus = Bus.declaring(load_registry(), BusConfig(service=service))
    for register in SERVICES[service]:
        await register(bus, None)
    return bus


@pytest.mark.unit
@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_the_committed_asyncapi_document_is_what_the_service_declares(service: str):
    current = to_yaml(document(await declaring_bus(service)))
    path = DOCS / f"{service}.yaml"
    if os.environ.get("SKYCLUST_WRITE_ASYNCAPI") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(current)
    assert path.exists(), f"{path.name} is missing: SKYCLUST_WRITE_ASYNCAPI=1 writes it"
    assert path.read_text() == current, (
        f"{path.name} is out of date: SKYCLUST_WRITE_ASYNCAPI=1 pytest tests/test_asyncapi.py"
    )


@pytest.mark.unit
async def test_every_request_a_service_answers_points_at_its_contract():
    spec = document(await declaring_bus("identity"))
    messages = spec["components"]["messages"]
    login = next(m for key, m in messages.items() if key.startswith("identity.Login:"))
    assert login["payload"] == {
        "$ref": "https://skyclust.io/contracts/rpc/Login.v1.schema.json#/$defs/request"
    }
    audit = next(m for key, m in messages.items() if key.startswith("identity-audit"))
    assert audit["payload"]["allOf"][1]["properties"]["data"] == {
        "$ref": "https://skyclust.io/contracts/events/AuditRecorded.v1.schema.json"
    }
    channel = spec["channels"]["identity.Login"]
    assert channel["bindings"]["nats"] == {
        "bindingVersion": "custom",
        "queue": "identity",
        "subject": "skyclust.rpc.identity.Login",
    }
