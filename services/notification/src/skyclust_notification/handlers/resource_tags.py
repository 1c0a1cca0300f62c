"""The resources' tags, as their requests and updates announce them: kept so that a
rule filtering by tag can match the events about a resource, which carry none."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import Delivery

from ..adapters.repositories import NotificationUnitOfWork
from ..domain.rules import Rule, by_tags
from ..domain.tags import TAG_SOURCES, effective, subjects
from .common import NotificationDeps

log = logging.getLogger(__name__)

CONSUMER = "notification-resource-tags"


async def on_tagged_event(deps: NotificationDeps, event: CloudEvent, delivery: Delivery) -> None:
    """Keep (or drop) the resource's tags. An older announcement redelivered after a
    newer one does not overwrite it: the store keeps the newest by event time."""
    source = TAG_SOURCES.get(event.name)
    if source is None or not event.workspaceid:
        return
    if event.source != f"skyclust/{source.owner}":
        log.warning(
            "tags refused: not from the service that owns the event",
            extra={"event": event.name, "source": event.source, "event_id": event.id},
        )
        return
    resource_id = str(event.data[source.id_key])
    workspace_id = uuid.UUID(event.workspaceid)
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        if source.forget:
            await uow.resource_tags.forget(workspace_id, resource_id)
        else:
            tags = {str(k): str(v) for k, v in (event.data.get("tags") or {}).items()}
            await uow.resource_tags.announce(
                workspace_id, resource_id, source.resource_type, tags, event.time
            )
        await uow.commit()


async def tags_for(
    uow: NotificationUnitOfWork,
    workspace_id: uuid.UUID,
    rules: list[Rule],
    data: Mapping[str, Any],
) -> dict[str, str]:
    """The tags of the resources an event is about, looked up only when a rule of the
    workspace filters by tags."""
    if not by_tags(rules):
        return {}
    about = subjects(data)
    return effective(await uow.resource_tags.of(workspace_id, about), about)
