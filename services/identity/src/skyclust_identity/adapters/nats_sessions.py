"""Cutting an API key's open NATS connections, through nats-server's system account:
every server is asked (CONNZ) for the connections of the key's user name
(`apikey:<id>`, set by the auth callout), and each is kicked. A client then reconnects
by itself, and the callout refuses it: its key is revoked."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

log = logging.getLogger(__name__)


def user_name(api_key_id: str) -> str:
    return f"apikey:{api_key_id}"


class NatsSessions:
    def __init__(self, nc: Any, *, gather_seconds: float = 0.5) -> None:
        self.nc = nc  # a connection of the system account's user
        self.gather_seconds = gather_seconds

    async def _connections(self, user: str) -> list[tuple[str, int]]:
        """(server id, client id) of `user`'s connections on every server that answers
        within `gather_seconds`."""
        inbox = self.nc.new_inbox()
        found: list[tuple[str, int]] = []
        sub = await self.nc.subscribe(inbox)
        try:
            body = json.dumps({"user": user, "auth": True, "limit": 1024}).encode()
            await self.nc.publish("$SYS.REQ.SERVER.PING.CONNZ", body, reply=inbox)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.gather_seconds
            while (left := deadline - loop.time()) > 0:
                try:
                    msg = await sub.next_msg(timeout=left)
                except TimeoutError:
                    break
                answer = json.loads(msg.data)
                server = (answer.get("server") or {}).get("id")
                for conn in (answer.get("data") or {}).get("connections") or []:
                    if isinstance(server, str) and isinstance(conn.get("cid"), int):
                        found.append((server, conn["cid"]))
        finally:
            await sub.unsubscribe()
        return found

    async def cut(self, api_key_id: str) -> int:
        """Kick every connection of the key; how many were kicked."""
        kicked = 0
        for server, cid in await self._connections(user_name(api_key_id)):
            subject = f"$SYS.REQ.SERVER.{server}.KICK"
            reply = await self.nc.request(subject, json.dumps({"cid": cid}).encode(), timeout=2)
            if json.loads(reply.data).get("error") is None:
                kicked += 1
        log.info(
            "revoked API key's NATS connections cut",
            extra={"api_key_id": api_key_id, "connections": kicked},
        )
        return kicked
