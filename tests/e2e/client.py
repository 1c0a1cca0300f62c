"""A small API client for the e2e tests: JSON calls, and an SSE reader."""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Sse:
    event: str
    id: str
    data: dict[str, Any]


class Api:
    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url
        self.token = token
        self.client = httpx.Client(base_url=base_url, timeout=15)
        self.bodies: list[str] = []

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = self._headers(kwargs.pop("headers", None))
        response = self.client.request(method, path, headers=headers, **kwargs)
        self.bodies.append(response.text)
        return response

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    def signup(self, password: str = "correct-horse-9") -> dict[str, Any]:
        email = f"user-{uuid.uuid4().hex[:10]}@example.com"
        created = self.post(
            "/api/v1/auth/register",
            json={"email": email, "password": password, "name": "Test", "workspace_name": "ws"},
        )
        assert created.status_code == 201, created.text
        login = self.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        self.token = login.json()["data"]["access_token"]
        return {"email": email, **created.json()["data"]}

    def stream(self, last_event_id: str | None = None, **params: str) -> SseStream:
        return SseStream(self, last_event_id, params)


@dataclass
class SseStream:
    """Reads an SSE response on a thread; events queue up until taken."""

    api: Api
    last_event_id: str | None
    params: dict[str, str]
    events: queue.Queue[Sse] = field(default_factory=queue.Queue)
    comments: list[str] = field(default_factory=list)
    status: int | None = None

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._connected = threading.Event()
        # Set when the server ended the response (or it was refused).
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._connected.wait(10), "stream did not connect"

    def _run(self) -> None:
        try:
            self._read()
        except httpx.HTTPError:
            if not self._stop.is_set():
                raise
        finally:
            self._connected.set()
            self.ended.set()

    def _read(self) -> None:
        headers = self.api._headers({"Accept": "text/event-stream"})
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        with (
            httpx.Client(base_url=self.api.base_url, timeout=None) as client,
            client.stream("GET", "/api/v1/events/stream", headers=headers, params=self.params) as r,
        ):
            self.status = r.status_code
            if r.status_code != 200:
                self._connected.set()
                return
            fields: dict[str, str] = {}
            for line in r.iter_lines():
                if self._stop.is_set():
                    return
                if line.startswith(":"):
                    self.comments.append(line)
                    self._connected.set()
                    continue
                if line == "":
                    if "data" in fields:
                        self.api.bodies.append(fields["data"])
                        self.events.put(
                            Sse(
                                fields.get("event", ""),
                                fields.get("id", ""),
                                json.loads(fields["data"]),
                            )
                        )
                    fields = {}
                    continue
                key, _, value = line.partition(":")
                fields[key] = value[1:] if value.startswith(" ") else value

    def take(self, count: int, timeout: float = 30) -> list[Sse]:
        out: list[Sse] = []
        deadline = time.monotonic() + timeout
        while len(out) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"got {len(out)} of {count} events: {[e.event for e in out]}")
            try:
                out.append(self.events.get(timeout=remaining))
            except queue.Empty:
                continue
        return out

    def until(self, event: str, subject: str, timeout: float = 30) -> list[Sse]:
        """Every event until (and with) `event` about `subject`."""
        out: list[Sse] = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                last = out[-1].data.get("data") if out else None
                raise AssertionError(
                    f"no {event} for {subject}; saw {[e.event for e in out]}; last: {last}"
                )
            try:
                item = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            out.append(item)
            if item.event == event and item.data.get("subject") == subject:
                return out

    def drain(self, wait: float = 0.5) -> list[Sse]:
        time.sleep(wait)
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        self._stop.set()
