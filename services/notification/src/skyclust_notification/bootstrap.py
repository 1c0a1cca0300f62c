"""The notification service's composition root."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path

from skyclust_common.runtime import PeriodicJob, Runtime, ServiceSpec

from .adapters.db import metadata
from .adapters.identity import IdentityMembers
from .adapters.smtp import Mailer, SmtpMailer
from .adapters.uow import SqlNotificationUnitOfWork
from .adapters.webhook_http import WebhookSender
from .domain.ssrf import parse_cidrs
from .domain.webhooks import RetrySchedule
from .entrypoints import commands, events, rpc
from .handlers import webhook_delivery
from .handlers.common import MembersLookup, NotificationDeps, WebhookDeps
from .settings import NotificationSettings, retry_waits

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


def webhook_deps(settings: NotificationSettings) -> WebhookDeps:
    return WebhookDeps(
        sender=WebhookSender(
            parse_cidrs(settings.webhook_allowed_cidrs),
            connect_timeout=settings.webhook_connect_timeout_seconds,
            read_timeout=settings.webhook_read_timeout_seconds,
            max_response_bytes=settings.webhook_max_response_bytes,
            ca_bundle=settings.webhook_ca_bundle,
        ),
        schedule=RetrySchedule(
            retry_waits(settings.webhook_retry_schedule), jitter=settings.webhook_retry_jitter
        ),
        rotation_overlap=timedelta(seconds=settings.webhook_rotation_overlap_seconds),
        lease=timedelta(seconds=settings.webhook_lease_seconds),
        disable_after=timedelta(seconds=settings.webhook_disable_after_seconds),
    )


def bootstrap(
    runtime: Runtime,
    settings: NotificationSettings,
    *,
    members: MembersLookup | None = None,
    mailer: Mailer | None = None,
) -> NotificationDeps:
    db = runtime.db
    box = settings.secret_box()

    def uow() -> SqlNotificationUnitOfWork:
        return SqlNotificationUnitOfWork(
            db.sessions, db.metadata, runtime.registry, db.relay.wake, secret_box=box
        )

    return NotificationDeps(
        uow=uow,
        members=members or IdentityMembers(runtime.bus),
        public_url=settings.public_url,
        mailer=mailer or smtp_mailer(settings),
        webhooks=webhook_deps(settings),
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


def jobs(deps: NotificationDeps, settings: NotificationSettings) -> Iterable[PeriodicJob]:
    async def send_due() -> None:
        # Until a tick finds nothing due: a backlog drains without waiting on the poll.
        while await webhook_delivery.deliver_due(deps):
            pass

    yield PeriodicJob("webhook-deliveries", settings.webhook_poll_seconds, send_due)


def cli(argv: Sequence[str]) -> int:
    from .cli import main

    return main(argv)


SPEC = ServiceSpec(
    name=SERVICE,
    settings=NotificationSettings,
    wire=wire,
    metadata=metadata,
    migrations=MIGRATIONS,
    jobs=jobs,
    cli=cli,
)
