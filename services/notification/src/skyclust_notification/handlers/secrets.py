"""The webhook secrets' keys, for operators: which key versions the stored secrets are
under, and sealing them all again under the active one (after a rotation, or once a key
is set for secrets stored before)."""

from __future__ import annotations

import uuid
from typing import Any

from .common import NotificationDeps

DEFAULT_BATCH = 100


async def sealed_status(deps: NotificationDeps) -> dict[str, Any]:
    async with deps.uow().read_only() as uow:
        return {"secrets": await uow.channels.sealed_under()}


async def reseal_all(deps: NotificationDeps, batch: int = DEFAULT_BATCH) -> dict[str, Any]:
    """In batches of one transaction each, in channel id order (rows another instance
    holds are skipped and left for its own use or the next run); a secret that does not
    open is named and left as it is."""
    resealed, failed = 0, list[str]()
    after: uuid.UUID | None = None
    while True:
        async with deps.uow() as uow:
            done = await uow.channels.reseal(None, batch, after)
            await uow.commit()
        resealed += done.resealed
        failed.extend(str(c) for c in done.failed)
        after = done.last
        if done.seen < batch:
            break
    return {"resealed": resealed, "failed": failed, **(await sealed_status(deps))}
