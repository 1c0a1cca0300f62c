"""A workspace's notification rules: admins add, change and remove them (viewers read);
the inbox and the channels consult them for every event."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from skyclust_common.errors import ValidationFailed

from ..domain.catalog import CATALOG
from ..domain.errors import RuleNotFound
from ..domain.model import Severity
from ..domain.rules import ROLES, Rule, check_patterns
from ..domain.tags import check_tags
from .common import NotificationDeps


def _severity(value: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise ValidationFailed(
            "min_severity must be info, warning or critical", details={"min_severity": value}
        ) from None


def _roles(values: list[str]) -> tuple[str, ...]:
    bad = [r for r in values if r not in ROLES]
    if bad:
        raise ValidationFailed(
            "in_app_roles must be admin, user or viewer", details={"invalid": bad}
        )
    return tuple(dict.fromkeys(values))


async def _check_channels(uow: Any, workspace_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
    """Every channel named is one of this workspace's (another's is unknown, not
    forbidden)."""
    mine = {c.id for c in await uow.channels.in_workspace(workspace_id)}
    unknown = [str(c) for c in ids if c not in mine]
    if unknown:
        raise ValidationFailed(
            "channel_ids must name channels of this workspace", details={"unknown": unknown}
        )


def _targets(rule: Rule) -> None:
    if not (rule.channel_ids or rule.in_app_roles or rule.in_app_user_ids):
        raise ValidationFailed(
            "a rule needs channel_ids, in_app_roles or in_app_user_ids to send to"
        )


async def create_rule(
    deps: NotificationDeps,
    workspace_id: uuid.UUID,
    *,
    name: str,
    event_types: list[str],
    min_severity: str = "info",
    resource_ids: list[str] | None = None,
    channel_ids: list[uuid.UUID] | None = None,
    in_app_roles: list[str] | None = None,
    in_app_user_ids: list[uuid.UUID] | None = None,
    enabled: bool = True,
    tags: dict[str, str] | None = None,
    actor_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    rule = Rule(
        id=uuid.uuid4(),
        workspace_id=workspace_id,
        name=name,
        event_types=check_patterns(event_types, CATALOG),
        created_at=deps.clock(),
        min_severity=_severity(min_severity),
        resource_ids=tuple(dict.fromkeys(resource_ids or [])),
        channel_ids=tuple(dict.fromkeys(channel_ids or [])),
        in_app_roles=_roles(in_app_roles or []),
        in_app_user_ids=tuple(dict.fromkeys(in_app_user_ids or [])),
        enabled=enabled,
        created_by=actor_id,
        tags=check_tags(tags or {}),
    )
    _targets(rule)
    async with deps.uow() as uow:
        await _check_channels(uow, workspace_id, list(rule.channel_ids))
        await uow.rules.add(rule)
        await uow.commit()
    return {"rule": rule.view()}


async def list_rules(deps: NotificationDeps, workspace_id: uuid.UUID) -> dict[str, Any]:
    async with deps.uow().read_only() as uow:
        rules = await uow.rules.in_workspace(workspace_id)
    return {"items": [r.view() for r in rules]}


async def _find(uow: Any, workspace_id: uuid.UUID, rule_id: uuid.UUID) -> Rule:
    rule: Rule | None = await uow.rules.get(workspace_id, rule_id)
    if rule is None:
        raise RuleNotFound(details={"rule_id": str(rule_id)})
    return rule


async def get_rule(
    deps: NotificationDeps, workspace_id: uuid.UUID, rule_id: uuid.UUID
) -> dict[str, Any]:
    async with deps.uow().read_only() as uow:
        return {"rule": (await _find(uow, workspace_id, rule_id)).view()}


async def update_rule(
    deps: NotificationDeps,
    workspace_id: uuid.UUID,
    rule_id: uuid.UUID,
    *,
    name: str | None = None,
    event_types: list[str] | None = None,
    min_severity: str | None = None,
    resource_ids: list[str] | None = None,
    channel_ids: list[uuid.UUID] | None = None,
    in_app_roles: list[str] | None = None,
    in_app_user_ids: list[uuid.UUID] | None = None,
    enabled: bool | None = None,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    async with deps.uow() as uow:
        rule = await _find(uow, workspace_id, rule_id)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if event_types is not None:
            changes["event_types"] = check_patterns(event_types, CATALOG)
        if min_severity is not None:
            changes["min_severity"] = _severity(min_severity)
        if resource_ids is not None:
            changes["resource_ids"] = tuple(dict.fromkeys(resource_ids))
        if channel_ids is not None:
            await _check_channels(uow, workspace_id, channel_ids)
            changes["channel_ids"] = tuple(dict.fromkeys(channel_ids))
        if in_app_roles is not None:
            changes["in_app_roles"] = _roles(in_app_roles)
        if in_app_user_ids is not None:
            changes["in_app_user_ids"] = tuple(dict.fromkeys(in_app_user_ids))
        if enabled is not None:
            changes["enabled"] = enabled
        if tags is not None:
            changes["tags"] = check_tags(tags)
        rule = replace(rule, **changes)
        _targets(rule)
        await uow.rules.save(rule)
        await uow.commit()
    return {"rule": rule.view()}


async def delete_rule(
    deps: NotificationDeps, workspace_id: uuid.UUID, rule_id: uuid.UUID
) -> dict[str, Any]:
    async with deps.uow() as uow:
        if not await uow.rules.remove(workspace_id, rule_id):
            raise RuleNotFound(details={"rule_id": str(rule_id)})
        await uow.commit()
    return {"deleted": True}
