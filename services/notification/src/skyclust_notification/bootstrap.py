"""The notification service's composition root."""

from __future__ import annotations

from pathlib import Path

from skyclust_common.runtime import Runtime, ServiceSpec

from .adapters.db import metadata
from .adapters.identity import IdentityMembers
from .adapters.uow import SqlNotificationUnitOfWork
from .entrypoints import events, rpc
from .handlers.common import MembersLookup, NotificationDeps
from .settings import NotificationSettings

SERVICE = "notification"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def bootstrap(
    runtime: Runtime,
    settings: NotificationSettings,
    *,
    members: MembersLookup | None = None,
) -> NotificationDeps:
    db = runtime.db

    def uow() -> SqlNotificationUnitOfWork:
        return SqlNotificationUnitOfWork(db.sessions, db.metadata, runtime.registry, db.relay.wake)

    return NotificationDeps(
        uow=uow,
        members=members or IdentityMembers(runtime.bus),
        public_url=settings.public_url,
    )


async def wire(
    runtime: Runtime, settings: NotificationSettings, *, members: MembersLookup | None = None
) -> NotificationDeps:
    deps = bootstrap(runtime, settings, members=members)
    await rpc.register(runtime.bus, deps)
    await events.register(runtime.bus, deps)
    return deps


SPEC = ServiceSpec(
    name=SERVICE,
    settings=NotificationSettings,
    wire=wire,
    metadata=metadata,
    migrations=MIGRATIONS,
)
