"""The commands other services send the notification service, on the work-queue
stream."""

from __future__ import annotations

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import COMMANDS_STREAM, Bus, Delivery, command_subject

from ..handlers import account_mail
from ..handlers.common import SOURCE, NotificationDeps


async def register(bus: Bus, deps: NotificationDeps) -> None:
    async def handle(command: CloudEvent, delivery: Delivery) -> None:
        await account_mail.on_send_account_email(deps, command, delivery)

    await bus.consume(
        "notification-commands",
        [command_subject(SOURCE, "SendAccountEmail")],
        handle,
        stream=COMMANDS_STREAM,
    )
