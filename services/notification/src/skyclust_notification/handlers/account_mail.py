"""Identity's account mails (address verification, password reset), sent once per
command."""

from __future__ import annotations

from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import PermanentFailure
from skyclust_common.messages.commands import SendAccountEmail
from skyclust_common.messaging import Delivery

from ..domain.mail import account_mail
from .common import NotificationDeps

CONSUMER = "notification-account-mail"


async def on_send_account_email(
    deps: NotificationDeps, command: CloudEvent, delivery: Delivery
) -> None:
    """The command's inbox mark is taken before the mail goes out and committed after:
    a second delivery, or another replica, waits on the mark and then skips; a failed
    send rolls the mark back and the command is retried. Only a crash between the send
    and the commit sends it again, with the same Message-ID."""
    if command.source != "skyclust/identity":
        # NATS lets only identity publish it; anything else is dead-lettered, not sent.
        raise PermanentFailure("SendAccountEmail is taken from identity only")
    req = SendAccountEmail.parse(command.data)
    mailer = deps.mailer
    if mailer is None:
        raise RuntimeError("no mailer is configured")
    mail = account_mail(
        req.template,
        req.email,
        req.link,
        req.expires_at,
        command_id=command.id,
        domain=deps.mail_domain,
    )
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, command.id):
            return
        await mailer.send(mail)
        await uow.commit()
