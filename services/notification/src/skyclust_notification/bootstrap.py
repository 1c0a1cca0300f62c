"""The notification service's composition root."""

from __future__ import annotations

from pathlib import Path

from skyclust_common.runtime import Runtime, ServiceSpec

from .adapters.db import metadata
from .adapters.identity import IdentityMembers
from .adapters.smtp import Mailer, SmtpMailer
from .adapters.uow import SqlNotificationUnitOfWork
from .entrypoints import commands, events, rpc
from .handlers.common import MembersLookup, NotificationDeps
from .settings import NotificationSettings

SERVICE = "notification"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def smtp_mailer(settings: NotificationSettings) -> SmtpMailer | None:
    if not settings.smtp_host:
        return None
    password = settings.smtp_password
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        username=settings.smtp_username,
        password=password.get_secret_value() if password else None,
        timeout=settings.smtp_timeout_seconds,
        require_tls=settings.smtp_require_tls,
    )


def bootstrap(
    runtime: Runtime,
    settings: NotificationSettings,
    *,
    members: MembersLookup | None = None,
    mailer: Mailer | None = None,
) -> NotificationDeps:
    db = runtime.db

    def uow() -> SqlNotificationUnitOfWork:
        return SqlNotificationUnitOfWork(db.sessions, db.metadata, runtime.registry, db.relay.wake)

    return NotificationDeps(
        uow=uow,
        members=members or IdentityMembers(runtime.bus),
        public_url=settings.public_url,
        mailer=mailer or smtp_mailer(settings),
    )


async def wire(
    runtime: Runtime,
    settings: NotificationSettings,
    *,
    members: MembersLookup | None = None,
    mailer: Mailer | None = None,
) -> NotificationDeps:
    deps = bootstrap(runtime, settings, members=members, mailer=mailer)
    await rpc.register(runtime.bus, deps)
    await events.register(runtime.bus, deps)
    if deps.mailer is not None:
        await commands.register(runtime.bus, deps)
    return deps


SPEC = ServiceSpec(
    name=SERVICE,
    settings=NotificationSettings,
    wire=wire,
    metadata=metadata,
    migrations=MIGRATIONS,
)
