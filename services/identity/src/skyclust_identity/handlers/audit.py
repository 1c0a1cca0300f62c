"""The audit trail: written from AuditRecorded events and RecordAudit requests, read by
admins; nothing changes or deletes a record (the table refuses it, too)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import Delivery, RpcContext

from ..adapters.db import AuditLog
from .auth import IdentityDeps

CONSUMER = "identity-audit"


def _record(data: dict[str, Any], record_id: uuid.UUID) -> AuditLog:
    return AuditLog(
        id=record_id,
        occurred_at=datetime.fromisoformat(data["occurred_at"]),
        workspace_id=uuid.UUID(data["workspace_id"]) if data.get("workspace_id") else None,
        actor_type=data["actor_type"],
        actor_id=data.get("actor_id"),
        action=data["action"],
        resource_type=data["resource_type"],
        resource_id=data.get("resource_id"),
        outcome=data["outcome"],
        status_code=data.get("status_code"),
        client_address=data.get("client_address"),
        user_agent=data.get("user_agent"),
        request_id=data.get("request_id"),
        correlation_id=data.get("correlation_id"),
        details=data.get("details") or {},
    )


async def record_audit(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    record_id = uuid.uuid4()
    async with deps.uow() as uow:
        uow.session.add(_record(data, record_id))
        await uow.commit()
    return {"id": str(record_id)}


async def on_audit_recorded(deps: IdentityDeps, event: CloudEvent, delivery: Delivery) -> None:
    async with deps.uow() as uow:
        if await uow.seen(delivery.consumer, event.id):
            return
        uow.session.add(_record(event.data, uuid.UUID(event.id)))
        await uow.commit()


def _view(record: AuditLog) -> dict[str, Any]:
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


async def list_audit_logs(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    """Newest first; `cursor` is the `next_cursor` of the previous page."""
    query = select(AuditLog).where(AuditLog.workspace_id == uuid.UUID(data["workspace_id"]))
    if data.get("since"):
        query = query.where(AuditLog.occurred_at >= datetime.fromisoformat(data["since"]))
    if data.get("until"):
        query = query.where(AuditLog.occurred_at < datetime.fromisoformat(data["until"]))
    for field in ("actor_id", "action", "resource_type", "resource_id", "outcome"):
        if data.get(field):
            query = query.where(getattr(AuditLog, field) == data[field])
    if data.get("cursor"):
        query = query.where(AuditLog.seq < int(data["cursor"]))
    limit = int(data.get("limit", 50))
    async with deps.uow() as uow:
        rows = list(
            (
                await uow.session.execute(query.order_by(AuditLog.seq.desc()).limit(limit + 1))
            ).scalars()
        )
        page = rows[:limit]
        more = len(rows) > limit
        return {
            "items": [_view(r) for r in page],
            "next_cursor": str(page[-1].seq) if more and page else None,
        }
