from __future__ import annotations

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import Bus, Delivery

from ..handlers import audit
from ..handlers.base import IdentityDeps


async def register(bus: Bus, deps: IdentityDeps) -> None:
    async def on_audit(event: CloudEvent, delivery: Delivery) -> None:
        await audit.on_audit_recorded(deps, event, delivery)

    await bus.consume(audit.CONSUMER, ["skyclust.evt.*.AuditRecorded"], on_audit, concurrency=8)
