"""The account emails identity asked to send, read where they wait before the
notification service mails them: identity's outbox. The e2e tests follow their links as
the mailbox's owner would."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg


async def _newest(database_url: str, email: str, template: str) -> dict[str, Any] | None:
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            """
            SELECT subject, payload FROM identity.outbox
            WHERE payload->>'type' = 'io.skyclust.SendAccountEmail.v1'
              AND payload->'data'->>'email' = $1 AND payload->'data'->>'template' = $2
            ORDER BY created_at DESC LIMIT 1
            """,
            email,
            template,
        )
    finally:
        await conn.close()
    if row is None:
        return None
    import json

    payload = row["payload"]
    mail: dict[str, Any] = json.loads(payload) if isinstance(payload, str) else payload
    assert row["subject"] == "skyclust.cmd.notification.SendAccountEmail"
    return mail


def mailed_token(platform: Any, email: str, template: str) -> str:
    mail = asyncio.run(_newest(platform.env["SKYCLUST_DATABASE_URL"], email, template))
    assert mail is not None, f"no {template} email for {email}"
    assert mail["source"] == "skyclust/identity"
    return parse_qs(urlsplit(mail["data"]["link"]).query)["token"][0]


def verify(platform: Any, email: str) -> None:
    from .client import Api

    token = mailed_token(platform, email, "verify_email")
    verified = Api(platform.gateway_url).post("/api/v1/auth/verify-email", json={"token": token})
    assert verified.status_code == 200, verified.text
    assert verified.json()["data"]["user"]["email_verified"] is True
