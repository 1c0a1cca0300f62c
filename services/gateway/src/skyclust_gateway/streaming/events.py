"""An event as the stream sends it (decoded and framed once), and one open stream's
filters and bounded buffer."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

_RESOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")
# Events addressed to one user of the workspace, by their data's `user_id`.
PERSONAL_EVENTS = frozenset({"NotificationCreated"})
# SessionsRevoked closes streams only from its owner (its contract's x-skyclust-owner);
# another source's is streamed like any event and closes nothing.
REVOKER = "skyclust/identity"


def valid_resource(value: str) -> bool:
    return bool(_RESOURCE.match(value))


def valid_name(value: str) -> bool:
    return bool(_NAME.match(value))


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    workspace: str
    name: str
    resources: frozenset[str]
    frame: bytes
    session_ids: tuple[str, ...] = ()
    # The one user an event is for (a notification): no one else's stream shows it.
    recipient: str | None = None


def decode(subject: str, seq: int, data: bytes) -> Event | None:
    """The event as the stream will send it, or None for a message that is not one."""
    parts = subject.split(".")
    if len(parts) != 4:
        return None
    workspace, name = parts[2], parts[3]
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    resources: set[str] = set()
    subject_id = body.get("subject")
    if isinstance(subject_id, str):
        resources.add(subject_id)
    inner = body.get("data")
    session_ids: tuple[str, ...] = ()
    recipient: str | None = None
    if isinstance(inner, dict):
        for key in ("cluster_id", "network_id"):
            value = inner.get(key)
            if isinstance(value, str):
                resources.add(value)
        revoked = inner.get("session_ids")
        by_owner = body.get("source") == REVOKER
        if name == "SessionsRevoked" and isinstance(revoked, list) and by_owner:
            session_ids = tuple(str(s) for s in revoked)
        if name in PERSONAL_EVENTS:
            # Without a recipient it is for nobody, rather than for the whole workspace.
            recipient = str(inner.get("user_id") or "-")
    # SSE ends a field at a newline: a payload that has one is written compactly.
    payload = data if b"\n" not in data and b"\r" not in data else json.dumps(body).encode()
    frame = b"id: %d\nevent: %s\ndata: %s\n\n" % (seq, name.encode(), payload)
    return Event(seq, workspace, name, frozenset(resources), frame, session_ids, recipient)


class Connection:
    """One open stream: its filters and the frames not yet written."""

    __slots__ = (
        "closed_at",
        "closing",
        "floor",
        "frames",
        "gone",
        "last_seq",
        "limit",
        "ping",
        "reason",
        "resource",
        "session_id",
        "types",
        "user_id",
        "wake",
        "workspace",
        "writer",
    )

    def __init__(
        self,
        workspace: str,
        types: frozenset[str] | None,
        resource: str | None,
        session_id: str | None,
        limit: int,
        user_id: str | None = None,
    ) -> None:
        self.workspace = workspace
        self.user_id = user_id
        self.types = types
        self.resource = resource
        self.session_id = session_id
        self.limit = limit
        self.frames: deque[bytes] = deque()
        self.wake = asyncio.Event()
        # The highest sequence queued: live events at or below it were already sent.
        self.last_seq = 0
        # While replaying, live events are kept but not yet woken for.
        self.floor: int | None = None
        self.ping = False
        self.closing = False
        self.reason = ""
        self.gone = False
        self.closed_at = 0.0
        self.writer: asyncio.Task[Any] | None = None

    def matches(self, event: Event) -> bool:
        if event.recipient is not None and event.recipient != self.user_id:
            return False
        if self.types is not None and event.name not in self.types:
            return False
        return self.resource is None or self.resource in event.resources

    def offer(self, event: Event) -> None:
        if self.closing or event.seq <= self.last_seq or not self.matches(event):
            return
        if len(self.frames) >= self.limit:
            # Everything queued is still written; the client resumes after the last of it.
            self.close("overflow")
            return
        self.frames.append(event.frame)
        self.last_seq = event.seq
        if self.floor is None:
            self.wake.set()

    def close(self, reason: str) -> None:
        if not self.closing:
            self.closing = True
            self.reason = reason
            self.closed_at = time.monotonic()
        self.wake.set()


def seq_of(frame: bytes) -> int:
    return int(frame[4 : frame.index(b"\n")])
