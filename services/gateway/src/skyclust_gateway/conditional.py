"""HTTP semantics on top of the routes, without touching them: `ETag` on a resource,
`If-Match` on its updates (`412 PRECONDITION_FAILED` on a lost update), `If-None-Match`
on its reads (`304`), and `Location` and `Retry-After` on every `202`.

- A resource is what a route whose path ends with an id answers (a cluster, a node
  group, a network, a credential, ...). Its ETag is computed from the `id` and
  `updated_at` the owning service reports, or, for a resource without `updated_at`, from
  the whole of what it reports.
- `If-Match` on PATCH, PUT or DELETE: the gateway reads the resource (through its own
  GET route, from the owning service, not from the read cache) and sends the change only
  if its ETag is one of those given (`*`: any). The read and the change are two calls:
  a change made between them, milliseconds apart, is not caught.
- `Location` of a 202 is the resource to poll: the path itself for a change or a
  delete, `<collection>/<id>` for a create, and the resource an action is on
  (`.../clusters/{id}/reconcile` -> `.../clusters/{id}`). `Retry-After` is
  `SKYCLUST_ACCEPTED_RETRY_AFTER_SECONDS`; the event stream tells sooner.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skyclust_common.errors import BadRequest

from .envelope import failure
from .errors import PreconditionFailed

_UPDATES = {"PATCH", "PUT", "DELETE"}
_RESOURCE_METHODS = {"GET", "PATCH", "PUT"}


def etag_of(data: Any) -> str | None:
    """The strong ETag of a resource's representation, or None for what is no single
    resource."""
    if not isinstance(data, dict):
        return None
    if "id" in data and data.get("updated_at"):
        basis = f"{data['id']}@{data['updated_at']}".encode()
    else:
        basis = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    return '"' + hashlib.sha256(basis).hexdigest()[:32] + '"'


def matches(header: str, etag: str) -> bool:
    """Whether an If-Match / If-None-Match list names `etag` (weak ETags compared by
    their value)."""
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == etag:
            return True
    return False


def _template(scope: Scope) -> str:
    return str(getattr(scope.get("route"), "path", ""))


def _on_resource(template: str) -> bool:
    return template.endswith("}")


def location(scope: Scope, data: Any) -> str | None:
    """The resource a 202 is about (see the module's docstring)."""
    path: str = scope.get("root_path", "") + scope["path"]
    template = _template(scope)
    if not template.startswith("/api/"):
        return None
    if _on_resource(template):
        return path
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        return f"{path.rstrip('/')}/{data['id']}"
    parts = template.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2].startswith("{"):
        return path.rstrip("/").rsplit("/", 1)[0]
    return None


class ResourceHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if_match = if_none_match = None
        for name, value in scope["headers"]:
            if name == b"if-match":
                if_match = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
        if if_match is not None and method in _UPDATES:
            status, current = await self._current(scope)
            if status == 405:
                refused = BadRequest(
                    "If-Match is not supported here: this resource cannot be read on its own"
                )
                await failure(refused.status, refused.code, refused.message)(scope, receive, send)
                return
            if current is not None and not matches(if_match, current):
                error = PreconditionFailed(details={"etag": current})
                response = failure(error.status, error.code, error.message, error.details)
                response.headers["ETag"] = current
                await response(scope, receive, send)
                return
        retry_after = str(scope["app"].state.settings.accepted_retry_after_seconds).encode()
        held: list[Message] = []
        holding = False

        async def with_headers(message: Message) -> None:
            nonlocal holding
            if message["type"] == "http.response.start":
                status = int(message["status"])
                holding = status == 202 or (
                    200 <= status < 300
                    and method in _RESOURCE_METHODS
                    and _on_resource(_template(scope))
                    and _is_json(message)
                )
                if holding:
                    held.append(message)
                    return
            elif holding and message["type"] == "http.response.body":
                held.append(message)
                if message.get("more_body", False):
                    return
                start, *bodies = held
                body = b"".join(m.get("body", b"") for m in bodies)
                headers = list(start.get("headers", ()))
                data = _data(body)
                if start["status"] == 202:
                    where = location(scope, data)
                    if where is not None and not _has(headers, b"location"):
                        headers.append((b"location", where.encode()))
                    if not _has(headers, b"retry-after"):
                        headers.append((b"retry-after", retry_after))
                if method in _RESOURCE_METHODS and _on_resource(_template(scope)):
                    etag = etag_of(data)
                    if etag is not None:
                        headers.append((b"etag", etag.encode()))
                        if (
                            method == "GET"
                            and if_none_match is not None
                            and matches(if_none_match, etag)
                        ):
                            await send({**start, "status": 304, "headers": _bodiless(headers)})
                            await send({"type": "http.response.body", "body": b""})
                            return
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _current(self, scope: Scope) -> tuple[int, str | None]:
        """The status of reading the resource through its GET route and its ETag now;
        None when there is none to compare (not found: the change itself answers)."""
        headers = [
            (k, v)
            for k, v in scope["headers"]
            if k not in (b"content-length", b"content-type", b"if-match", b"cache-control")
        ]
        headers.append((b"cache-control", b"no-cache"))
        read = {
            **scope,
            "method": "GET",
            "query_string": b"",
            "headers": headers,
            "state": dict(scope.get("state") or {}),
        }
        status = 0
        parts: list[bytes] = []

        async def nothing() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        await self.app(read, nothing, capture)
        if status != 200:
            return status, None
        return status, etag_of(_data(b"".join(parts)))


def _is_json(start: Message) -> bool:
    for name, value in start.get("headers", ()):
        if name.lower() == b"content-type":
            return bool(value.startswith(b"application/json"))
    return False


def _has(headers: list[tuple[bytes, bytes]], name: bytes) -> bool:
    return any(k.lower() == name for k, _ in headers)


def _bodiless(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"content-type")]


def _data(body: bytes) -> Any:
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return envelope.get("data") if isinstance(envelope, dict) else None
