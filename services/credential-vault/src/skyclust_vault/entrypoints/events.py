from __future__ import annotations

from skyclust_common.contracts import ContractRegistry, ContractViolation
from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import Bus, Delivery

from ..handlers import usage
from ..handlers.credentials import VaultDeps

USAGE_CONSUMER = "credential-vault-usage"


def usage_events(registry: ContractRegistry) -> list[str]:
    """The usage events that have a contract here. The network service's VPC events
    join as soon as their contracts exist."""
    names = []
    for name in usage.CLAIMS_AND_RELEASES:
        try:
            registry.get(name)
        except ContractViolation:
            continue
        names.append(name)
    return names


async def register(bus: Bus, deps: VaultDeps) -> None:
    async def dispatch(event: CloudEvent, delivery: Delivery) -> None:
        await usage.on_usage_event(deps, USAGE_CONSUMER, event, delivery)

    await bus.consume(
        USAGE_CONSUMER,
        [f"skyclust.evt.*.{name}" for name in usage_events(bus.registry)],
        dispatch,
    )
