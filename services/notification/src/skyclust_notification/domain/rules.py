"""A workspace's notification rules: which events (name patterns such as `Cluster*`, a
minimum severity, optionally only some resources or only resources with some tags) go
to which channels, and in-app to which roles or members. No I/O."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from skyclust_common.errors import ValidationFailed

from .model import Member, Severity
from .tags import Tags, holds

RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
ROLES = ("admin", "user", "viewer")
# Letters, digits and `*` only: `[` or `?` would make a pattern mean more than it says.
_PATTERN = re.compile(r"^[A-Za-z0-9*]{1,64}$")


def check_patterns(patterns: Sequence[str], known: Iterable[str]) -> tuple[str, ...]:
    """The patterns, each matching at least one event SkyClust sends; else 422."""
    names = sorted(known)
    bad = [p for p in patterns if not _PATTERN.match(p)]
    unmatched = [p for p in patterns if p not in bad and not any(fnmatchcase(n, p) for n in names)]
    if bad or unmatched or not patterns:
        raise ValidationFailed(
            "event_types must be event names or patterns with * that match events SkyClust sends",
            details={"invalid": bad, "unmatched": unmatched, "known": names},
        )
    return tuple(dict.fromkeys(patterns))


@dataclass(frozen=True)
class Rule:
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    event_types: tuple[str, ...]
    created_at: datetime
    min_severity: Severity = Severity.INFO
    # Empty: every resource.
    resource_ids: tuple[str, ...] = ()
    channel_ids: tuple[uuid.UUID, ...] = ()
    # In-app: members with these roles, and these members.
    in_app_roles: tuple[str, ...] = ()
    in_app_user_ids: tuple[uuid.UUID, ...] = ()
    enabled: bool = True
    created_by: uuid.UUID | None = None
    # Empty: any tags. Else the event's resource must carry each key with its value.
    tags: Tags = ()

    def matches(
        self,
        event_type: str,
        severity: Severity,
        resource_id: str | None,
        tags: Mapping[str, str] | None = None,
    ) -> bool:
        if not self.enabled or RANK[severity] < RANK[self.min_severity]:
            return False
        if self.resource_ids and resource_id not in self.resource_ids:
            return False
        if not holds(self.tags, tags or {}):
            return False
        return any(fnmatchcase(event_type, pattern) for pattern in self.event_types)

    def in_app(self, members: Iterable[Member]) -> list[Member]:
        return [
            m for m in members if m.role in self.in_app_roles or m.user_id in self.in_app_user_ids
        ]

    def view(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "workspace_id": str(self.workspace_id),
            "name": self.name,
            "event_types": list(self.event_types),
            "min_severity": self.min_severity.value,
            "resource_ids": list(self.resource_ids),
            "tags": dict(self.tags),
            "channel_ids": [str(c) for c in self.channel_ids],
            "in_app_roles": list(self.in_app_roles),
            "in_app_user_ids": [str(u) for u in self.in_app_user_ids],
            "enabled": self.enabled,
            "created_at": self.created_at.isoformat(),
        }


def by_tags(rules: Iterable[Rule]) -> bool:
    """Whether any rule filters by tags (else the tags need not be looked up)."""
    return any(rule.tags for rule in rules)


def routed_channels(
    rules: Iterable[Rule],
    event_type: str,
    severity: Severity,
    resource_id: str | None,
    tags: Mapping[str, str] | None = None,
) -> set[uuid.UUID]:
    """The channels the matching rules send this event to."""
    return {
        channel_id
        for rule in rules
        if rule.matches(event_type, severity, resource_id, tags)
        for channel_id in rule.channel_ids
    }


def in_app_members(
    rules: Iterable[Rule],
    members: Sequence[Member],
    event_type: str,
    severity: Severity,
    resource_id: str | None,
    tags: Mapping[str, str] | None = None,
) -> list[Member]:
    chosen: dict[uuid.UUID, Member] = {}
    for rule in rules:
        if rule.matches(event_type, severity, resource_id, tags):
            for member in rule.in_app(members):
                chosen[member.user_id] = member
    return list(chosen.values())


def muted(event_type: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(event_type, pattern) for pattern in patterns)
