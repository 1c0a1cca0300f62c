"""One command or read of the public NATS API, from its subject and body to the owning
service's answer: the workspace and the actor come from the subject (nats-server lets a
key's connection use only its own), the key's role is checked again here (a key revoked
since it connected is refused), and every command is audited, whatever its outcome."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from skyclust_common import public_api
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import (
    BadRequest,
    Forbidden,
    SkyclustError,
    Unauthorized,
    ValidationFailed,
)

from ..routers.deps import Services

Ask = Callable[[str, str, dict[str, Any]], Awaitable[dict[str, Any]]]
# Failures worth carrying a command again later: the owning service is down or busy.
RETRY_STATUSES = frozenset({429, 503, 504})
_VERB = re.compile(r"^(Create|Update|Upgrade|Delete)")
# The resource a command is about, most specific first (as the REST path's last id).
_RESOURCE_IDS = (
    "node_group_id",
    "subnet_id",
    "security_group_id",
    "cluster_id",
    "vpc_id",
    "budget_id",
)
# Commands whose parent's id is a body field in REST, not a path id (POST
# /{provider}/network/subnets): their audit record names the new resource, as REST's.
_PARENT_IN_BODY = frozenset({"CreateSubnet", "CreateSecurityGroup"})


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def resource_type(operation: public_api.Operation) -> str:
    return snake(_VERB.sub("", operation.name))


class KeyDirectory:
    """An API key's current role (None once it is revoked, expired or unknown), asked
    of identity and remembered for `ttl` seconds."""

    def __init__(self, ask: Ask, ttl: float = 2.0) -> None:
        self._ask = ask
        self.ttl = ttl
        self._known: dict[tuple[str, str], tuple[float, str | None]] = {}

    async def role(self, workspace_id: str, key_id: str) -> str | None:
        cached = self._known.get((workspace_id, key_id))
        if cached is not None and time.monotonic() < cached[0]:
            return cached[1]
        listed = await self._ask("identity", "ListApiKeys", {"workspace_id": workspace_id})
        now = datetime.now(UTC)
        role: str | None = None
        for key in listed.get("items", []):
            if key.get("id") != key_id or key.get("revoked_at"):
                continue
            expires = key.get("expires_at")
            if expires and datetime.fromisoformat(expires) <= now:
                continue
            role = str(key["role"])
        if len(self._known) > 10000:
            self._known.clear()
        self._known[(workspace_id, key_id)] = (time.monotonic() + self.ttl, role)
        return role


@dataclass(frozen=True)
class Outcome:
    """What became of one command: the answer the client gets on its `res` subject,
    or, for `retry`, nothing yet (the command is carried again later)."""

    body: dict[str, Any]
    retry: bool = False


class PublicApi:
    def __init__(
        self,
        services: Services,
        keys: KeyDirectory,
        audit: Callable[[CloudEvent], Awaitable[None]],
    ) -> None:
        self.services = services
        self.keys = keys
        self.audit = audit

    async def _authorize(
        self, address: public_api.Addressed, kind: str, body: bytes
    ) -> tuple[public_api.Operation, dict[str, Any], str]:
        operation = public_api.OPERATIONS.get(address.name)
        if operation is None or operation.kind != kind:
            raise BadRequest(f"no public {kind} named {address.name}")
        try:
            data = orjson.loads(body) if body.strip() else {}
        except orjson.JSONDecodeError:
            raise ValidationFailed("the message is not JSON") from None
        if not isinstance(data, dict):
            raise ValidationFailed("the message must be a JSON object")
        given = sorted(set(data) & {*public_api.FROM_SUBJECT, *public_api.FROM_ROLE})
        if given:
            raise ValidationFailed(
                f"{', '.join(given)} come from the subject and the key, not the message",
                details={"errors": [{"field": f, "problem": "not_allowed"} for f in given]},
            )
        role = await self.keys.role(address.workspace_id, address.key_id)
        if role is None:
            raise Unauthorized("the API key is revoked, expired or unknown")
        if not public_api.allowed(role, operation):
            raise Forbidden(
                f"your role ({role}) may not do this ({operation.permission})",
                details={"required": operation.permission},
            )
        return operation, data, role

    async def read(self, subject: str, body: bytes) -> dict[str, Any]:
        """The reply to one read: `{ok: true, data}` or `{ok: false, error}`, as the
        services' own request/reply answers."""
        address = public_api.parse(subject)
        try:
            if address is None or address.kind != "rpc":
                raise BadRequest("not a public read subject")
            operation, data, _ = await self._authorize(address, "read", body)
            request = {**data, "workspace_id": address.workspace_id}
            result = await self.services.call(operation.service, operation.name, request)
        except SkyclustError as exc:
            return {"ok": False, "error": exc.to_dict()}
        return {"ok": True, "data": result}

    async def command(
        self, subject: str, body: bytes, message_id: str | None, *, final: bool
    ) -> Outcome:
        """Carry one command out. `final`: its last chance (a retryable failure is then
        its outcome rather than a retry)."""
        address = public_api.parse(subject)
        if address is None or address.kind != "cmd":
            error = BadRequest("not a public command subject")
            return Outcome({"ok": False, "message_id": message_id, "error": error.to_dict()})
        actor = f"apikey:{address.key_id}"
        operation = public_api.OPERATIONS.get(address.name)
        try:
            operation, data, role = await self._authorize(address, "command", body)
            request = {**data, "workspace_id": address.workspace_id, "actor_id": actor}
            if operation.name in public_api.ROLE_AWARE:
                request["actor_is_admin"] = role == "admin"
            result = await self.services.call(operation.service, operation.name, request)
        except SkyclustError as exc:
            if exc.retryable and exc.status in RETRY_STATUSES and not final:
                return Outcome({}, retry=True)
            await self._record(address, operation, message_id, exc.status, None, subject)
            return Outcome(
                {
                    "ok": False,
                    "command": address.name,
                    "message_id": message_id,
                    "error": exc.to_dict(),
                }
            )
        ids = () if operation.name in _PARENT_IN_BODY else _RESOURCE_IDS
        resource = next((data[k] for k in ids if isinstance(data.get(k), str)), None)
        if resource is None and isinstance(result, dict):
            resource = result.get("id") or result.get("budget_id")
        await self._record(address, operation, message_id, 200, resource, subject)
        return Outcome(
            {"ok": True, "command": address.name, "message_id": message_id, "data": result}
        )

    async def _record(
        self,
        address: public_api.Addressed,
        operation: public_api.Operation | None,
        message_id: str | None,
        status: int,
        resource_id: object,
        subject: str,
    ) -> None:
        """The command's audit record, as the REST routes' (AuditMiddleware) are."""
        actor = f"apikey:{address.key_id}"
        resource = str(resource_id)[:128] if resource_id else None
        action = snake(address.name)
        record: dict[str, Any] = {
            "workspace_id": address.workspace_id,
            "actor_type": "api_key",
            "actor_id": actor,
            "action": action,
            "resource_type": resource_type(operation) if operation else "command",
            "resource_id": resource,
            "outcome": "denied"
            if status in (401, 403)
            else "success"
            if status < 400
            else "failure",
            "status_code": status,
            "client_address": None,
            "user_agent": None,
            "request_id": message_id[:128] if message_id else None,
            "correlation_id": None,
            "details": {"transport": "nats", "subject": subject},
            "occurred_at": datetime.now(UTC).isoformat(),
        }
        event = new_event(
            "AuditRecorded",
            record,
            source="gateway",
            subject=resource or action,
            workspace_id=address.workspace_id,
            actor_id=actor,
        )
        await self.audit(event)
