"""Identity's SendAccountEmail on the real work-queue stream, mailed over real SMTP
(aiosmtpd, started here) once, even when the command is published twice under two
message ids."""

from __future__ import annotations

import asyncio
import email
import time
import uuid
from collections.abc import AsyncIterator
from email import policy
from pathlib import Path
from typing import Any

import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.dbadmin import provision_service
from skyclust_common.envelope import new_event
from skyclust_common.messaging import Bus, BusConfig, connect_nats
from skyclust_common.migrations import upgrade_head
from skyclust_common.runtime import start_runtime, stop_runtime
from skyclust_notification.adapters.db import metadata
from skyclust_notification.bootstrap import MIGRATIONS, wire
from skyclust_notification.settings import NotificationSettings
from skyclust_tools.embedded import free_port
from skyclust_tools.mail_sink import MailSink

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def sink(tmp_path_factory: Any) -> AsyncIterator[MailSink]:
    running = MailSink(Path(tmp_path_factory.mktemp("mail")), free_port()).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
async def identity(nats_server: Any, postgres: Any, sink: MailSink) -> AsyncIterator[Bus]:
    url = await provision_service(postgres.url, "notification", "notification-test")
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    settings = NotificationSettings(
        nats_url=nats_server.url,
        database_url=url,
        outbox_poll_seconds=0.1,
        retry_backoff_seconds=[0.1, 0.2],
        ack_wait_seconds=5,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_from="SkyClust <no-reply@skyclust.test>",
    )
    runtime = await start_runtime("notification", settings, metadata, MIGRATIONS)
    await wire(runtime, settings, members=lambda workspace: asyncio.sleep(0, []))
    client = Bus(
        await connect_nats(nats_server.url, name="test-identity"),
        load_registry(),
        BusConfig(service="identity"),
    )
    yield client
    await client.close()
    await stop_runtime(runtime)


async def mails_to(sink: MailSink, address: str, timeout: float = 15) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = [
            email.message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sink.mails()
        ]
        found = [m for m in found if m["To"] == address]
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def test_a_verification_mail_arrives_once_with_text_and_html(
    identity: Bus, sink: MailSink
) -> None:
    address = f"new-{uuid.uuid4().hex[:8]}@example.com"
    link = f"http://127.0.0.1:8080/verify?token={uuid.uuid4().hex}"
    command = new_event(
        "SendAccountEmail",
        {
            "user_id": str(uuid.uuid4()),
            "email": address,
            "template": "verify_email",
            "link": link,
            "expires_at": "2026-12-05T12:00:00+00:00",
        },
        source="identity",
    )
    await identity.send_command("notification", command)
    # The same command again under another stream message id (a republish the stream's
    # duplicate window does not catch): the inbox mark does.
    subject = "skyclust.cmd.notification.SendAccountEmail"
    await identity.publish_raw(subject, command.to_json(), {"Nats-Msg-Id": uuid.uuid4().hex})
    (mail,) = await mails_to(sink, address)
    await asyncio.sleep(1.0)
    assert len(await mails_to(sink, address, timeout=0)) == 1
    assert mail["Subject"] == "Confirm your SkyClust email address"
    assert mail["Message-ID"] == f"<{command.id}@skyclust.local>"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert link in text and f'href="{link}"' in html
