"""The unit lane's world: the fake store, a workspace of members and a clock."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.fake_uow import FakeDatabase
from skyclust_common.messaging import Delivery
from skyclust_notification.adapters.fake_uow import FakeNotificationUnitOfWork
from skyclust_notification.domain.model import Member
from skyclust_notification.handlers.common import NotificationDeps

REGISTRY = load_registry()


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 12, 1, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 1.0) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class World:
    workspace_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    admin: Member = field(default_factory=lambda: Member(uuid.uuid4(), "admin", "a@x.io", "A"))
    user: Member = field(default_factory=lambda: Member(uuid.uuid4(), "user", "u@x.io", "U"))
    viewer: Member = field(default_factory=lambda: Member(uuid.uuid4(), "viewer", "v@x.io", "V"))
    db: FakeDatabase = field(default_factory=FakeDatabase)
    clock: Clock = field(default_factory=Clock)
    asked: list[str] = field(default_factory=list)

    @property
    def members(self) -> list[Member]:
        return [self.admin, self.user, self.viewer]

    async def lookup(self, workspace_id: str) -> list[Member]:
        self.asked.append(workspace_id)
        return list(self.members) if workspace_id == self.workspace_id else []

    @property
    def deps(self) -> NotificationDeps:
        return NotificationDeps(
            uow=lambda: FakeNotificationUnitOfWork(self.db, REGISTRY),
            members=self.lookup,
            public_url="https://skyclust.example",
            clock=self.clock,
        )

    def event(
        self, name: str, data: dict[str, Any], *, source: str, actor: Member | None = None
    ) -> CloudEvent:
        REGISTRY.validate(name, data)
        return new_event(
            name,
            data,
            source=source,
            workspace_id=self.workspace_id,
            actor_id=str(actor.user_id) if actor else None,
        )

    def cluster_failed(self, actor: Member | None = None, name: str = "prod") -> CloudEvent:
        return self.event(
            "ClusterFailed",
            {
                "cluster_id": str(uuid.uuid4()),
                "provider": "gcp",
                "name": name,
                "code": "QUOTA_EXCEEDED",
                "message": "not enough CPUs in europe-west1",
                "retryable": False,
                "operation": "create",
            },
            source="provisioning",
            actor=actor,
        )


def delivery(event: CloudEvent, attempt: int = 1) -> Delivery:
    return Delivery("notification-inbox", f"skyclust.evt.x.{event.name}", attempt, 1)


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def deliver() -> Any:
    return delivery


@dataclass
class Receiver:
    """A local HTTP endpoint: records each request and answers from `replies`."""

    replies: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        raw = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append((headers, raw))
        status, extra, payload = self.replies.pop(0) if self.replies else (204, {}, b"")
        if status == 0:
            # An endpoint that takes the request and never answers.
            await asyncio.sleep(3600)
        out = f"HTTP/1.1 {status} X\r\ncontent-length: {len(payload)}\r\nconnection: close\r\n"
        out += "".join(f"{k}: {v}\r\n" for k, v in extra.items())
        writer.write(out.encode() + b"\r\n" + payload)
        await writer.drain()
        writer.close()


@pytest.fixture
async def receiver() -> Any:
    rec = Receiver()
    server = await asyncio.start_server(rec.handle, "127.0.0.1", 0)
    rec.port = server.sockets[0].getsockname()[1]
    yield rec
    server.close()
    await server.wait_closed()
