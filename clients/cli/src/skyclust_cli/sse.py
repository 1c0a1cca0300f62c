"""The workspace's event stream (Server-Sent Events), followed through disconnects.

A login session asks for a stream ticket once: the ticket lasts as long as the session,
so a stream followed for hours outlives the 15-minute access token it started with. An
API key has no session and sends its Authorization header instead. A dropped connection
is opened again with Last-Event-ID, and the gateway replays what was missed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from typing import Any

import httpx

from .client import API, Api, decode, unreachable
from .errors import CliError, api_error

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
MAX_BACKOFF_SECONDS = 10.0
# The gateway sends `: ping` every 15 s; a silent minute means the connection is dead.
READ_TIMEOUT_SECONDS = 60.0


@dataclass
class Event:
    name: str
    id: str | None
    data: dict[str, Any]

    @property
    def subject(self) -> str | None:
        value = self.data.get("subject")
        return str(value) if value is not None else None

    @property
    def payload(self) -> dict[str, Any]:
        body = self.data.get("data")
        return body if isinstance(body, dict) else {}

    def about(self, resource_id: str) -> bool:
        """Whether the event concerns the resource: its subject, the cluster or network
        named in its data, or the operation it is part of (correlation)."""
        payload = self.payload
        return resource_id in (
            self.subject,
            payload.get("cluster_id"),
            payload.get("network_id"),
            self.data.get("correlationid"),
        )


@dataclass
class Heartbeat:
    """A comment line: nothing happened, but the connection is alive."""

    text: str


def parse(lines: Iterable[str]) -> Iterator[Event | Heartbeat]:
    name, event_id = "message", None
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                try:
                    body = json.loads("\n".join(data))
                except ValueError:
                    body = {"data": "\n".join(data)}
                yield Event(name, event_id, body if isinstance(body, dict) else {"data": body})
            name, event_id, data = "message", None, []
            continue
        if line.startswith(":"):
            yield Heartbeat(line[1:].strip())
            continue
        key, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if key == "event":
            name = value
        elif key == "data":
            data.append(value)
        elif key == "id":
            event_id = value


@dataclass
class EventStream:
    api: Api
    types: list[str] | None = None
    resource: str | None = None
    last_event_id: str | None = None
    # Called after a reconnect, before the replayed events: a watcher re-reads state.
    on_reconnect: Callable[[], None] | None = None
    max_attempts: int = 10
    sleep: Callable[[float], None] = time.sleep
    _ticket: str | None = field(default=None, init=False)
    _ticket_tried: bool = field(default=False, init=False)
    _cm: AbstractContextManager[httpx.Response] | None = field(default=None, init=False)
    _response: httpx.Response | None = field(default=None, init=False)

    def _ticket_for_session(self) -> str | None:
        if self._ticket_tried or self.api.context.api_key:
            return self._ticket
        self._ticket_tried = True
        try:
            self._ticket = self.api.post("/events/ticket")["ticket"]
        except CliError as exc:
            if exc.code != "TICKET_NEEDS_SESSION":
                raise
        return self._ticket

    def _request(self) -> tuple[dict[str, str], dict[str, str]]:
        params: dict[str, str] = {}
        headers = {"Accept": "text/event-stream"}
        if self.types:
            params["types"] = ",".join(self.types)
        if self.resource:
            params["resource"] = self.resource
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        ticket = self._ticket_for_session()
        if ticket:
            params["ticket"] = ticket
        else:
            if self.api._expiring():
                self.api.refresh()
            headers.update(self.api.auth_headers())
        return params, headers

    def open(self) -> None:
        """Connected once this returns: events from now on will be delivered."""
        attempt = 0
        while True:
            params, headers = self._request()
            cm = self.api.http.stream(
                "GET",
                f"{API}/events/stream",
                params=params,
                headers=headers,
                timeout=httpx.Timeout(15.0, read=READ_TIMEOUT_SECONDS),
            )
            try:
                response = cm.__enter__()
            except httpx.TransportError as exc:
                attempt += 1
                if attempt >= self.max_attempts:
                    raise unreachable(self.api.context.gateway, exc) from exc
                self.sleep(min(MAX_BACKOFF_SECONDS, 0.5 * 2**attempt))
                continue
            if response.status_code == 200:
                self._cm, self._response = cm, response
                return
            response.read()
            cm.__exit__(None, None, None)
            error = api_error(response.status_code, decode(response))
            attempt += 1
            if response.status_code not in RETRYABLE_STATUSES or attempt >= self.max_attempts:
                raise error
            retry_after = response.headers.get("retry-after", "")
            wait = float(retry_after) if retry_after.isdigit() else 0.5 * 2**attempt
            self.sleep(min(MAX_BACKOFF_SECONDS, wait))

    def close(self) -> None:
        if self._cm is not None:
            cm, self._cm, self._response = self._cm, None, None
            with suppress(httpx.HTTPError):
                cm.__exit__(None, None, None)

    def __enter__(self) -> EventStream:
        if self._response is None:
            self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Event | Heartbeat]:
        """Events and heartbeats, forever: a dropped connection is opened again from the
        last event seen."""
        while True:
            if self._response is None:
                self.open()
                if self.on_reconnect is not None:
                    self.on_reconnect()
            assert self._response is not None
            try:
                for item in parse(self._response.iter_lines()):
                    if isinstance(item, Event) and item.id:
                        self.last_event_id = item.id
                    yield item
            except httpx.TransportError:
                pass
            # The gateway closes a stream that fell behind; either way, resume.
            self.close()
            self.sleep(0.5)
