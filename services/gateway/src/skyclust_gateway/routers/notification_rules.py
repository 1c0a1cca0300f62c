"""The workspace's notification rules: which events go to which channels and, in-app, to
which members. Admins change them; anyone who can read the workspace sees them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..envelope import ok
from .deps import NotificationManager, Reader, Svc
from .models import NotificationRuleBody, NotificationRulePatch

router = APIRouter(prefix="/api/v1/notifications/rules", tags=["notifications"])
SERVICE = "notification"


def _actor(user_id: str) -> dict[str, str]:
    # An API key's "user" is apikey:<id>: no user created the rule then.
    try:
        return {"actor_id": str(uuid.UUID(user_id))}
    except ValueError:
        return {}


@router.post("", status_code=201)
async def create_rule(
    body: NotificationRuleBody, principal: NotificationManager, svc: Svc
) -> JSONResponse:
    """Create a notification rule: event type patterns (like `Cluster*`), resources or tags,
    a minimum severity, the channels, and the roles or members told in-app."""
    request = {
        "workspace_id": principal.workspace_id,
        **_actor(principal.user_id),
        **body.model_dump(mode="json"),
    }
    return ok(await svc.call(SERVICE, "CreateNotificationRule", request), status=201)


@router.get("")
async def list_rules(principal: Reader, svc: Svc) -> JSONResponse:
    """The workspace's notification rules: which events (type patterns, resources, tags,
    minimum severity) go to which channels and, in-app, to which roles or members."""
    query = {"workspace_id": principal.workspace_id}
    return ok(await svc.call(SERVICE, "ListNotificationRules", query))


@router.get("/{rule_id}")
async def get_rule(rule_id: uuid.UUID, principal: Reader, svc: Svc) -> JSONResponse:
    """One notification rule: its event patterns, filters, severity, channels and who is
    told in-app."""
    query = {"workspace_id": principal.workspace_id, "rule_id": str(rule_id)}
    return ok(await svc.call(SERVICE, "GetNotificationRule", query))


@router.patch("/{rule_id}")
async def update_rule(
    rule_id: uuid.UUID, body: NotificationRulePatch, principal: NotificationManager, svc: Svc
) -> JSONResponse:
    """Change a notification rule; events from then on follow the new version."""
    request = {
        "workspace_id": principal.workspace_id,
        "rule_id": str(rule_id),
        **body.model_dump(mode="json", exclude_none=True),
    }
    return ok(await svc.call(SERVICE, "UpdateNotificationRule", request))


@router.delete("/{rule_id}")
async def delete_rule(rule_id: uuid.UUID, principal: NotificationManager, svc: Svc) -> JSONResponse:
    """Delete a notification rule; events from then on no longer follow it."""
    request = {"workspace_id": principal.workspace_id, "rule_id": str(rule_id)}
    return ok(await svc.call(SERVICE, "DeleteNotificationRule", request))
