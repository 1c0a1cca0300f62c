"""The audit trail: written from AuditRecorded events and RecordAudit requests, read by
admins; nothing changes or deletes a record (the table refuses it, too)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import Delivery, RpcContext

from ..domain.ports import AuditQuery, AuditRecord
from .base import IdentityDeps

CONSUMER = "identity-audit"
FILTERS = ("actor_id", "action", "resource_type", "resource_id", "outcome")


async def record_audit(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    record_id = uuid.uuid4()
    async with deps.uow() as uow:
        await uow.audit_logs.add(record_id, data)
        await uow.commit()
    return {"id": str(record_id)}


async def on_audit_recorded(deps: IdentityDeps, event: CloudEvent, delivery: Delivery) -> None:
    async with deps.uow() as uow:
        if await uow.seen(delivery.consumer, event.id):
            return
        await uow.audit_logs.add(uuid.UUID(event.id), event.data)
        await uow.commit()


def _view(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": str(record.id),
        "occurred_at": record.occurred_at.isoformat(),
        "workspace_id": str(record.workspace_id) if record.workspace_id else None,
        "actor_type": record.actor_type,
        "actor_id": record.actor_id,
        "action": record.action,
        "resource_type": record.resource_type,
        "resource_id": record.resource_id,
        "outcome": record.outcome,
        "status_code": record.status_code,
        "client_address": record.client_address,
        "user_agent": record.user_agent,
        "request_id": record.request_id,
        "correlation_id": record.correlation_id,
        "details": record.details or {},
    }


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def list_audit_logs(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    """Newest first; `cursor` is the `next_cursor` of the previous page."""
    limit = int(data.get("limit", 50))
    query = AuditQuery(
        workspace_id=uuid.UUID(data["workspace_id"]),
        since=_time(data.get("since")),
        until=_time(data.get("until")),
        equal={name: data[name] for name in FILTERS if data.get(name)},
        before_seq=int(data["cursor"]) if data.get("cursor") else None,
        # One more than a page: whether it comes tells if there is a next page.
        limit=limit + 1,
    )
    async with deps.uow() as uow:
        rows = list(await uow.audit_logs.newest(query))
        page = rows[:limit]
        more = len(rows) > limit
        return {
            "items": [_view(r) for r in page],
            "next_cursor": str(page[-1].seq) if more and page else None,
        }
