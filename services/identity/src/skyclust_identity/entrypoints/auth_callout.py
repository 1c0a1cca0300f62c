"""Identity answers nats-server's auth callout (when it has the callout's account seed)."""

from __future__ import annotations

import asyncio
from typing import Any

from skyclust_common.messaging import Bus, connect_nats
from skyclust_common.nats_permissions import AUTH_CALLOUT_SUBJECT

from ..adapters.nats_jwt import CalloutSigner
from ..adapters.nats_sessions import NatsSessions
from ..handlers import nats_access
from ..handlers.base import IdentityDeps

QUEUE = "identity"


async def register(bus: Bus, deps: IdentityDeps) -> None:
    seed = deps.settings.nats_callout_seed
    if seed is None:
        return
    signer = CalloutSigner(seed.get_secret_value())
    pending: set[asyncio.Task[None]] = set()

    async def answer(msg: Any) -> None:
        reply = await nats_access.authorize(deps, signer, msg.data)
        if reply is not None and msg.reply:
            await msg.respond(reply)

    async def on_request(msg: Any) -> None:
        # Each request on its own task: one slow database read holds up no other connect.
        task = asyncio.create_task(answer(msg))
        pending.add(task)
        task.add_done_callback(pending.discard)

    await bus.nc.subscribe(AUTH_CALLOUT_SUBJECT, queue=QUEUE, cb=on_request)
    system_password = deps.settings.nats_system_password
    if system_password is not None:
        system = await connect_nats(
            deps.settings.nats_url,
            name="identity-system",
            user=deps.settings.nats_system_user,
            password=system_password.get_secret_value(),
        )
        deps.cut_nats_sessions = NatsSessions(system).cut
        _system_connections.append(system)


# Kept open for the process's life, like the bus's own connection.
_system_connections: list[Any] = []
