"""The platform events the notification service turns into notifications."""

from __future__ import annotations

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import Bus, Delivery

from ..domain.catalog import CATALOG
from ..domain.tags import TAG_SOURCES
from ..handlers import inbox, resource_tags, webhooks
from ..handlers.common import NotificationDeps


def inbox_events(bus: Bus) -> list[str]:
    # BudgetThresholdCrossed comes with the cost service: listened for once its
    # contract is in contracts/.
    known = {contract.name for contract in bus.registry if contract.kind == "events"}
    return [name for name in CATALOG if name in known]


async def register(bus: Bus, deps: NotificationDeps) -> None:
    async def handle(event: CloudEvent, delivery: Delivery) -> None:
        await inbox.on_platform_event(deps, event, delivery)

    await bus.consume(
        inbox.CONSUMER,
        [f"skyclust.evt.*.{name}" for name in inbox_events(bus)],
        handle,
    )

    async def handle_webhooks(event: CloudEvent, delivery: Delivery) -> None:
        await webhooks.on_platform_event(deps, event, delivery)

    # Its own durable: a slow store of deliveries must not hold up the inbox, and each
    # keeps its own inbox mark.
    await bus.consume(
        webhooks.CONSUMER,
        [f"skyclust.evt.*.{name}" for name in inbox_events(bus)],
        handle_webhooks,
    )

    async def handle_tags(event: CloudEvent, delivery: Delivery) -> None:
        await resource_tags.on_tagged_event(deps, event, delivery)

    known = {contract.name for contract in bus.registry if contract.kind == "events"}
    await bus.consume(
        resource_tags.CONSUMER,
        [f"skyclust.evt.*.{name}" for name in TAG_SOURCES if name in known],
        handle_tags,
    )
