"""The owner each rpc contract records (`x-skyclust-owner`) is the service that answers
it: each service's registrations, run on a bus that only declares, serve exactly the
rpc contracts it owns, on the subjects the contracts give (a caller-subject contract on
`skyclust.rpc.<owner>.*.<Name>`)."""

from __future__ import annotations

import pytest
from skyclust_cost.entrypoints import rpc as cost_rpc

from skyclust_common.contracts import load_registry
from skyclust_common.messaging import Bus, BusConfig

from .test_asyncapi import SERVICES, Register, declaring_bus

COST: Register = cost_rpc.register  # cost has no AsyncAPI document yet


async def served(service: str) -> set[str]:
    if service == "cost":
        bus = Bus.declaring(load_registry(), BusConfig(service=service))
        await COST(bus, None)
    else:
        bus = await declaring_bus(service)
    return {responder.subject.broker_address for responder in bus._responders}


@pytest.mark.unit
@pytest.mark.parametrize("service", sorted({*SERVICES, "cost"}))
async def test_each_service_serves_exactly_the_rpc_contracts_it_owns(service: str):
    owned = set()
    for contract in load_registry():
        if contract.kind == "rpc" and contract.owner == service:
            caller = "*." if contract.caller_subject else ""
            owned.add(f"skyclust.rpc.{service}.{caller}{contract.name}")
    assert owned, service
    assert await served(service) == owned
