"""Identity's account mails: the right template, escaped HTML, sent once per command,
retried when the mail server fails, refused from anyone but identity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from skyclust_common.envelope import new_event
from skyclust_common.errors import PermanentFailure
from skyclust_notification.domain.errors import MailUnavailable
from skyclust_notification.domain.mail import Mail, account_mail
from skyclust_notification.handlers.account_mail import on_send_account_email

pytestmark = pytest.mark.unit

LINK = "https://skyclust.example/verify?token=a<b>&c"
VALID_LINK = "https://skyclust.example/verify?token=abc&next=%2F"


@dataclass
class FakeMailer:
    sent: list[Mail] = field(default_factory=list)
    failures: int = 0

    async def send(self, mail: Mail) -> None:
        if self.failures:
            self.failures -= 1
            raise MailUnavailable()
        self.sent.append(mail)


def command(source: str = "identity", template: str = "verify_email") -> Any:
    return new_event(
        "SendAccountEmail",
        {
            "user_id": "0b0c4a55-2f6e-4f4e-9a43-1d0f7f0f6a11",
            "email": "new@example.com",
            "template": template,
            "link": VALID_LINK,
            "expires_at": "2026-12-02T12:00:00+00:00",
        },
        source=source,
    )


def test_the_mails_say_what_they_are_for_with_the_link_escaped_in_html():
    when = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    verify = account_mail("verify_email", "a@x.io", LINK, when, command_id="c1", domain="d.io")
    reset = account_mail("password_reset", "a@x.io", LINK, when, command_id="c2", domain="d.io")
    assert verify.subject == "Confirm your SkyClust email address"
    assert reset.subject == "Reset your SkyClust password"
    assert LINK in verify.text and "2026-12-02 12:00 UTC" in verify.text
    assert 'href="https://skyclust.example/verify?token=a&lt;b&gt;&amp;c"' in verify.html
    assert "<b>" not in verify.html
    assert (verify.message_id, reset.message_id) == ("<c1@d.io>", "<c2@d.io>")


async def test_a_command_is_mailed_once_however_often_it_is_delivered(world, deliver):
    mailer = FakeMailer()
    deps = world.deps
    deps.mailer = mailer
    cmd = command(template="password_reset")
    for attempt in (1, 2, 3):
        await on_send_account_email(deps, cmd, deliver(cmd, attempt))
    (mail,) = mailer.sent
    assert (mail.to, mail.subject) == ("new@example.com", "Reset your SkyClust password")


async def test_a_mail_server_failure_is_retried_and_then_sent(world, deliver):
    mailer = FakeMailer(failures=1)
    deps = world.deps
    deps.mailer = mailer
    cmd = command()
    with pytest.raises(MailUnavailable):
        await on_send_account_email(deps, cmd, deliver(cmd))
    assert mailer.sent == [] and world.db.inbox == set()
    await on_send_account_email(deps, cmd, deliver(cmd, 2))
    assert len(mailer.sent) == 1


async def test_only_identity_may_ask_for_an_account_mail(world, deliver):
    mailer = FakeMailer()
    deps = world.deps
    deps.mailer = mailer
    forged = command(source="provisioning")
    with pytest.raises(PermanentFailure):
        await on_send_account_email(deps, forged, deliver(forged))
    assert mailer.sent == []
