"""Mail over SMTP (aiosmtplib): STARTTLS whenever the server offers it, login when
configured, and SMTP failures translated into the retryable/permanent error tree."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from ..domain.errors import MailRefused, MailUnavailable
from ..domain.mail import Mail


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None: ...


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 15.0,
        require_tls: bool = False,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.timeout = timeout
        # None: STARTTLS when the server offers it; True: refuse a server that does not.
        self.start_tls: bool | None = True if require_tls else None

    def message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Message-ID"] = mail.message_id
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message

    async def send(self, mail: Mail) -> None:
        try:
            await aiosmtplib.send(
                self.message(mail),
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.start_tls,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise MailRefused() from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailUnavailable(
                f"the mail server could not be reached: {type(exc).__name__}"
            ) from exc
