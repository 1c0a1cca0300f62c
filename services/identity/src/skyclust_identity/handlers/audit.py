"""The audit trail: written from AuditRecorded events and RecordAudit requests, read by
admins; nothing changes or deletes a record (the table refuses it, too).

An AuditRecorded is taken only from a service that may audit what it says, each its own
actions (`AUDITORS`): the gateway every change made through its API (a user's, an API
key's, an anonymous caller's, never a service's), on the subject only its NATS user may
publish on (`AUDIT_SUBJECT`); provisioning the kubeconfigs and cluster tokens it issues
and the budget overrides it lets through; cost its budgets' changes.
The delivery rules have already refused any source the contract does not list; one that
is listed but audits something not its own is dead-lettered (`UNTRUSTED_SOURCE`)."""

from __future__ import annotations

import uuid
from typing import Any

from skyclust_common.delivery import SOURCE_PREFIX
from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import UntrustedSource
from skyclust_common.messages.events import AuditRecorded
from skyclust_common.messages.rpc import ListAuditLogs, RecordAudit
from skyclust_common.messaging import Delivery, RpcContext
from skyclust_common.nats_permissions import AUDIT_SUBJECT

from ..domain.errors import AuditNotAllowed
from ..domain.ports import AuditQuery, AuditRecord
from .base import IdentityDeps

CONSUMER = "identity-audit"
GATEWAY = "gateway"
# The services other than the gateway that audit their own actions: for each, the
# resource types and the actions on each it may record.
AUDITORS: dict[str, dict[str, frozenset[str]]] = {
    "provisioning": {
        "cluster": frozenset({"issue_kubeconfig", "issue_cluster_token", "override_budget"}),
        "node_group": frozenset({"override_budget"}),
    },
    "cost": {"budget": frozenset({"budget_created", "budget_updated", "budget_deleted"})},
}


def audit_refusal(event: CloudEvent, record: AuditRecorded, subject: str) -> str | None:
    """Why `event` (whose data is `record`) is not a record its source may make, or None
    when it is."""
    source = event.source.removeprefix(SOURCE_PREFIX)
    action, resource = record.action, record.resource_type
    if source == GATEWAY:
        if subject != AUDIT_SUBJECT:
            return f"the gateway's audit records come on {AUDIT_SUBJECT}, not on {subject}"
        if record.actor_type == "service":
            return "the gateway audits changes made through its API, not a service's"
        return None
    if subject == AUDIT_SUBJECT:
        return f"only the gateway publishes on {AUDIT_SUBJECT}, not {event.source!r}"
    allowed = AUDITORS.get(source)
    if allowed is None:
        return f"{event.source!r} may not write to the audit trail"
    if action not in allowed.get(resource, frozenset()):
        return f"{event.source!r} audits only its own actions, not {action!r} on {resource!r}"
    return None


# What each service may record over RecordAudit, whose subject names the caller
# (`skyclust.rpc.identity.<caller>.RecordAudit`, only the vault's user may publish one).
RECORDERS: dict[str, tuple[str, frozenset[str]]] = {
    "credential-vault": ("credential", frozenset({"credential.decrypt"})),
}


async def record_audit(
    deps: IdentityDeps, req: RecordAudit.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    """Store a record a service makes of its own action (the vault's decryptions)."""
    caller = ctx.caller if ctx is not None else None
    allowed = RECORDERS.get(caller or "")
    if allowed is None:
        raise AuditNotAllowed(f"{caller or 'an unnamed caller'} may not write to the audit trail")
    # The actor is the service it acted for (the decrypting one), never a user.
    resource, action = req.resource_type, req.action
    if req.actor_type != "service" or resource != allowed[0] or action not in allowed[1]:
        raise AuditNotAllowed(f"{caller} records only its own actions, not {action!r}")
    record_id = uuid.uuid4()
    async with deps.uow() as uow:
        await uow.audit_logs.add(record_id, req.to_data())
        await uow.commit()
    return {"id": str(record_id)}


async def on_audit_recorded(deps: IdentityDeps, event: CloudEvent, delivery: Delivery) -> None:
    record = AuditRecorded.from_event(event)
    refusal = audit_refusal(event, record, delivery.subject)
    if refusal is not None:
        raise UntrustedSource(refusal)
    async with deps.uow() as uow:
        if await uow.seen(delivery.consumer, event.id):
            return
        await uow.audit_logs.add(uuid.UUID(event.id), record.to_data())
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


async def list_audit_logs(
    deps: IdentityDeps, req: ListAuditLogs.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    """Newest first; `cursor` is the `next_cursor` of the previous page."""
    limit = 50 if req.limit is None else req.limit
    filters = {
        "actor_id": req.actor_id,
        "action": req.action,
        "resource_type": req.resource_type,
        "resource_id": req.resource_id,
        "outcome": req.outcome,
    }
    query = AuditQuery(
        workspace_id=req.workspace_id,
        since=req.since,
        until=req.until,
        equal={name: value for name, value in filters.items() if value is not None},
        before_seq=int(req.cursor) if req.cursor else None,
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
