"""`Idempotency-Key` on POST: a retried request gets the first answer again instead of
doing the work twice (a second cluster, or `409 CLUSTER_NAME_TAKEN` for the first).

- The key is the caller's: it is scoped by workspace and actor (user or API key), so
  two callers may use the same key without meeting. A call without a token is scoped
  as anonymous, and only the same body finds its answer.
- The first request with a key claims it and runs; its answer (status, headers, body)
  is kept for `ttl` seconds. The same key with the same request (method, path, query
  and body, JSON compared by value) is answered from what was kept, with
  `Idempotent-Replayed: true`; with another request it is `422 IDEMPOTENCY_KEY_REUSED`.
- While the first is still running, the same key gets `409 IDEMPOTENCY_KEY_IN_USE`
  with `Retry-After`. A claim a crashed gateway left behind lapses after `hold`
  seconds.
- 5xx, 401, 403 and 429 answers are not kept (the request did not get a real answer,
  or may get another once the caller is let in): the claim is released and a retry
  runs again.
- Routes whose answers carry secrets (tokens, a new API key) are never kept: the header
  is ignored there.

The store is a port: `MemoryIdempotencyStore` (the default, per gateway process) and
`RedisIdempotencyStore` (when `SKYCLUST_REDIS_URL` is set, shared by every gateway, its
claim an atomic `SET NX`). With several gateways and no Redis, a retry that reaches
another gateway runs again; the owning services' own checks (a taken name) still hold.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skyclust_common.errors import SkyclustError

from .auth import bearer, current_principal
from .envelope import failure
from .errors import IdempotencyKeyInUse, IdempotencyKeyInvalid, IdempotencyKeyReused

HEADER = b"idempotency-key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
# Answers that are not kept: the request may get a real answer when retried.
_NOT_KEPT = {401, 403, 408, 429}
# Answers that carry secrets (tokens, a new key) are never kept anywhere.
_SECRET_PATHS = ("/api/v1/auth/", "/api/v1/api-keys")
_SECRET_EXCEPTIONS = ("/api/v1/auth/register",)
# Headers that belong to the request that is answering, not to the kept answer.
_OWN_HEADERS = {b"x-request-id", b"traceparent", b"date", b"server"}


@dataclass
class Kept:
    """A claimed key: `status` None while its request runs, then the answer."""

    fingerprint: str
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def dumps(self) -> bytes:
        return orjson.dumps(
            {
                "f": self.fingerprint,
                "s": self.status,
                "h": self.headers,
                "b": base64.b64encode(self.body).decode(),
            }
        )

    @classmethod
    def loads(cls, raw: bytes) -> Kept:
        data = orjson.loads(raw)
        return cls(
            data["f"],
            data["s"],
            [(str(k), str(v)) for k, v in data["h"]],
            base64.b64decode(data["b"]),
        )


class IdempotencyStore(Protocol):
    async def claim(self, key: str, fingerprint: str, hold: float) -> Kept | None:
        """Claim `key` for `hold` seconds: None if claimed now, else what it holds."""

    async def keep(self, key: str, answer: Kept, ttl: float) -> None:
        """Keep the answer of a claimed key for `ttl` seconds."""

    async def release(self, key: str) -> None:
        """Give a claimed key up, keeping nothing."""


class MemoryIdempotencyStore:
    """Keys in this process, at most `max_entries` (expired ones go first, then the
    oldest)."""

    def __init__(self, max_entries: int = 10_000, clock: Any = time.monotonic) -> None:
        self.max_entries = max_entries
        self.clock = clock
        self.entries: dict[str, tuple[float, Kept]] = {}

    async def claim(self, key: str, fingerprint: str, hold: float) -> Kept | None:
        now = self.clock()
        entry = self.entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        if len(self.entries) >= self.max_entries:
            self._evict(now)
        self.entries[key] = (now + hold, Kept(fingerprint))
        return None

    async def keep(self, key: str, answer: Kept, ttl: float) -> None:
        self.entries.pop(key, None)
        self.entries[key] = (self.clock() + ttl, answer)

    async def release(self, key: str) -> None:
        self.entries.pop(key, None)

    def _evict(self, now: float) -> None:
        for key in [k for k, (until, _) in self.entries.items() if until <= now]:
            del self.entries[key]
        while len(self.entries) >= self.max_entries:
            del self.entries[next(iter(self.entries))]


class RedisIdempotencyStore:
    """Keys in Redis, shared by every gateway: a claim is `SET NX EX`, so of two
    gateways receiving the same key at once only one runs the request."""

    def __init__(self, redis: Any, prefix: str = "skyclust:idem:") -> None:
        self.redis = redis
        self.prefix = prefix

    async def claim(self, key: str, fingerprint: str, hold: float) -> Kept | None:
        name = self.prefix + key
        claimed = await self.redis.set(
            name, Kept(fingerprint).dumps(), nx=True, ex=max(1, int(hold))
        )
        if claimed:
            return None
        raw = await self.redis.get(name)
        if raw is None:  # it lapsed between the two calls: try once more
            claimed = await self.redis.set(
                name, Kept(fingerprint).dumps(), nx=True, ex=max(1, int(hold))
            )
            return None if claimed else Kept(fingerprint)
        return Kept.loads(raw)

    async def keep(self, key: str, answer: Kept, ttl: float) -> None:
        await self.redis.set(self.prefix + key, answer.dumps(), ex=max(1, int(ttl)))

    async def release(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)


def store_for(redis_url: str | None, max_entries: int) -> IdempotencyStore:
    if redis_url:
        import redis.asyncio as redis

        return RedisIdempotencyStore(redis.from_url(redis_url))
    return MemoryIdempotencyStore(max_entries)


def fingerprint(scope: Scope, body: bytes) -> str:
    """The request a key stands for: method, path, query and body (JSON by value, so
    spacing and the order of fields do not matter)."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        canonical = body
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope["query_string"]):
        digest.update(part)
        digest.update(b"\0")
    digest.update(canonical)
    return digest.hexdigest()


def _applies(path: str) -> bool:
    if path.startswith(_SECRET_EXCEPTIONS):
        return True
    return not path.startswith(_SECRET_PATHS)


class IdempotencyMiddleware:
    """See the module's docstring. Inside the audit (a replay is recorded as a request
    like any other) and outside the routes, so it needs no change to any of them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        raw_key = next((v for k, v in scope["headers"] if k == HEADER), None)
        if raw_key is None or not _applies(scope["path"]):
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not _VALID_KEY.match(key):
            await _answer(IdempotencyKeyInvalid(), scope, receive, send)
            return
        owner = await _owner(scope)
        if owner is None:  # a token that does not verify: the route refuses it
            await self.app(scope, receive, send)
            return
        body, replay = await _read_body(receive)
        state = scope["app"].state
        settings = state.settings
        store: IdempotencyStore = state.idempotency
        name = f"{owner}:{hashlib.sha256(key.encode()).hexdigest()}"
        mine = fingerprint(scope, body)
        kept = await store.claim(name, mine, settings.idempotency_hold_seconds)
        if kept is not None:
            if kept.fingerprint != mine:
                await _answer(IdempotencyKeyReused(), scope, receive, send)
            elif kept.status is None:
                error = IdempotencyKeyInUse()
                response = failure(error.status, error.code, error.message)
                response.headers["Retry-After"] = "1"
                await response(scope, receive, send)
            else:
                await _replay(kept, send)
            return
        answer = Kept(mine)
        parts: list[bytes] = []

        async def recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.status = int(message["status"])
                answer.headers = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", ())
                    if k.lower() not in _OWN_HEADERS
                ]
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay, recording)
        except BaseException:
            await store.release(name)
            raise
        if answer.status is None or answer.status >= 500 or answer.status in _NOT_KEPT:
            await store.release(name)
            return
        answer.body = b"".join(parts)
        await store.keep(name, answer, settings.idempotency_ttl_seconds)


async def _owner(scope: Scope) -> str | None:
    """Who the key belongs to: `<workspace>:<actor>`, `anonymous` without a token, None
    for a token that does not verify."""
    request = Request(scope)
    if bearer(request) is None:
        return "anonymous"
    try:
        principal = await current_principal(request)
    except SkyclustError:
        return None
    return f"{principal.workspace_id}:{principal.actor_id}"


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a `receive` that hands it to the route again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _replay(kept: Kept, send: Send) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in kept.headers]
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": kept.status, "headers": headers})
    await send({"type": "http.response.body", "body": kept.body})


async def _answer(error: SkyclustError, scope: Scope, receive: Receive, send: Send) -> None:
    await failure(error.status, error.code, error.message, error.details)(scope, receive, send)
