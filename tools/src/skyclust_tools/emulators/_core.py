"""Machinery shared by the cloud emulators: clock, deferred transitions, faults, routing."""

from __future__ import annotations

import asyncio
import copy
import heapq
import itertools
import re
import secrets
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

JSON = dict[str, Any]


class Clock:
    """Wall clock with an adjustable offset so tests can expire tokens or finish operations."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class Scheduler:
    """Deferred state transitions.

    Nothing runs in the background: due transitions are applied whenever the emulator
    handles a request, so state is always consistent with the (possibly offset) clock.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()

    def after(self, seconds: float, action: Callable[[], None]) -> float:
        due = self._clock.now() + max(0.0, seconds)
        heapq.heappush(self._heap, (due, next(self._seq), action))
        return due

    def run_due(self) -> None:
        now = self._clock.now()
        while self._heap and self._heap[0][0] <= now:
            _, _, action = heapq.heappop(self._heap)
            action()

    def clear(self) -> None:
        self._heap.clear()


class Durations:
    """Seconds each kind of long-running operation takes; 0 finishes it within the request."""

    def __init__(self, defaults: Mapping[str, float]) -> None:
        self._defaults = dict(defaults)
        self._values = dict(defaults)

    def __getitem__(self, kind: str) -> float:
        return self._values[kind]

    def update(self, values: Mapping[str, Any]) -> None:
        unknown = set(values) - set(self._values) - {"default"}
        if unknown:
            raise ValueError(f"unknown operation kinds: {sorted(unknown)}")
        for name, value in values.items():
            if float(value) < 0:
                raise ValueError(f"duration for {name} must be >= 0")
        if "default" in values:
            self._values = dict.fromkeys(self._values, float(values["default"]))
        for name, value in values.items():
            if name != "default":
                self._values[name] = float(value)

    def reset(self) -> None:
        self._values = dict(self._defaults)

    def as_dict(self) -> dict[str, float]:
        return dict(self._values)


@dataclass
class Fault:
    """An injected failure: matching requests fail with ``status``, hang, or start a failing LRO."""

    method: str
    path_regex: str
    status: int | None = None
    times: int | None = 1
    hang_seconds: float = 0.0
    code: str | None = None
    message: str | None = None
    operation_error: bool = False
    retry_after: int | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    hits: int = 0

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        self._pattern = re.compile(self.path_regex)

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        return self.method in ("*", method.upper()) and bool(self._pattern.search(path))

    def as_dict(self) -> JSON:
        data = asdict(self)
        data["remaining"] = None if self.times is None else max(0, self.times - self.hits)
        return data


class FaultInjector:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, spec: Mapping[str, Any]) -> Fault:
        allowed = {
            "method",
            "path_regex",
            "status",
            "times",
            "hang_seconds",
            "code",
            "message",
            "operation_error",
            "retry_after",
        }
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        if "path_regex" not in spec:
            raise ValueError("path_regex is required")
        fault = Fault(**{"method": "*", **spec})
        if not (fault.status or fault.hang_seconds or fault.operation_error):
            raise ValueError("a fault needs status, hang_seconds or operation_error")
        if fault.status is not None and not 400 <= fault.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, path):
                fault.hits += 1
                return fault
        return None

    def list(self) -> list[JSON]:
        return [f.as_dict() for f in self._faults]

    def clear(self) -> None:
        self._faults.clear()


class RequestLog:
    """Recent API requests, so tests can assert what a client actually sent."""

    def __init__(self, size: int = 2000) -> None:
        self._entries: deque[JSON] = deque(maxlen=size)

    def record(self, method: str, path: str, query: str, status: int) -> None:
        self._entries.append(
            {"time": time.time(), "method": method, "path": path, "query": query, "status": status}
        )

    def list(self) -> list[JSON]:
        return list(self._entries)

    def clear(self) -> None:
        self._entries.clear()


Handler = Callable[..., Awaitable[Any]]


@dataclass
class _Route:
    methods: frozenset[str]
    regex: re.Pattern[str]
    handler: Handler


class Router:
    """Path-template router; ``{name}`` matches one segment, ``{name:path}`` the rest."""

    def __init__(self, *, case_insensitive: bool = False) -> None:
        self._routes: list[_Route] = []
        self._flags = re.IGNORECASE if case_insensitive else 0

    def add(self, methods: Iterable[str], template: str, handler: Handler) -> None:
        pattern = ""
        for part in re.split(r"(\{[^}]+\})", template):
            if part.startswith("{"):
                name, _, kind = part[1:-1].partition(":")
                pattern += f"(?P<{name}>.+)" if kind == "path" else f"(?P<{name}>[^/]+)"
            else:
                pattern += re.escape(part)
        regex = re.compile(f"^{pattern}/?$", self._flags)
        self._routes.append(_Route(frozenset(m.upper() for m in methods), regex, handler))

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        for route in self._routes:
            found = route.regex.match(path)
            if found is not None and method.upper() in route.methods:
                return route.handler, found.groupdict()
        return None

    def knows(self, path: str) -> bool:
        return any(route.regex.match(path) for route in self._routes)


async def hang(request: Request, seconds: float) -> bool:
    """Sleep like a stuck backend; True (early) once the client has given up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await request.is_disconnected():
            return True
        await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
    return False


CLIENT_GONE = 499


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def public(value: Any) -> Any:
    """Deep copy without emulator-internal keys (those starting with ``_``)."""
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [public(v) for v in value]
    return value


def rfc3339(ts: float, *, digits: int = 3) -> str:
    moment = datetime.fromtimestamp(ts, tz=UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += f".{moment.microsecond:06d}"[: digits + 1]
    return text + "Z"


def random_digits(length: int) -> str:
    return str(secrets.randbelow(9) + 1) + "".join(
        str(secrets.randbelow(10)) for _ in range(length - 1)
    )
