"""The audit trail, for admins. There is no route that changes or deletes a record."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ..envelope import ok
from .deps import AuditReader, Svc

router = APIRouter(prefix="/api/v1/audit-logs", tags=["audit"])


@router.get("")
async def list_audit_logs(
    principal: AuditReader,
    svc: Svc,
    since: datetime | None = Query(None, description="from this time (inclusive)"),
    until: datetime | None = Query(None, description="up to this time (exclusive)"),
    actor_id: str | None = Query(None, max_length=128),
    action: str | None = Query(None, max_length=128),
    resource_type: str | None = Query(None, max_length=64),
    resource_id: str | None = Query(None, max_length=128),
    outcome: Literal["success", "failure", "denied"] | None = None,
    limit: int = Query(50, ge=1, le=100),
    cursor: str | None = Query(None, pattern=r"^[0-9]+$", description="next_cursor of a page"),
) -> JSONResponse:
    """The workspace's audit trail, newest first: who did what to which resource, with the
    outcome. Filter by time, actor, action, resource and outcome; page with `cursor` (the
    `next_cursor` of the previous page)."""
    query = {
        "workspace_id": principal.workspace_id,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "actor_id": actor_id,
        "action": action,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "outcome": outcome,
        "limit": limit,
        "cursor": cursor,
    }
    result = await svc.call(
        "identity", "ListAuditLogs", {k: v for k, v in query.items() if v is not None}
    )
    return ok({"items": result["items"], "next_cursor": result["next_cursor"]})
