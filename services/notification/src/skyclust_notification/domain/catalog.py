"""Which platform events become notifications, what they say, and who gets them by
default: a table, so adding an event is one entry and the rules stay testable as data.

Each event is accepted only from the service that owns it (`owner`, the same as its
contract's `x-skyclust-owner`). nats-server lets each service publish only its own
events and the delivery rules dead-letter one from another source; this check stays as
the catalog's own, so a table entry cannot be reached by a made-up ClusterFailed."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .model import Member, Severity


class Audience(enum.StrEnum):
    # The workspace's admins: failures, drift, invalid credentials and budget alerts.
    ADMINS = "admins"
    # The admins and whoever asked for the change (the event's actor), if a member.
    ADMINS_AND_ACTOR = "admins_and_actor"
    # The admins and the member the event is about (data.user_id).
    ADMINS_AND_SUBJECT = "admins_and_subject"


@dataclass(frozen=True)
class Message:
    severity: Severity
    title: str
    body: str
    resource_type: str | None
    resource_id: str | None
    # The resource's path under the public URL.
    path: str


@dataclass(frozen=True)
class Kind:
    owner: str
    audience: Audience
    describe: Callable[[Mapping[str, Any]], Message]


def _text(value: Any, limit: int) -> str:
    text = str(value) if value is not None else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cluster(data: Mapping[str, Any], severity: Severity, title: str, body: str) -> Message:
    provider = str(data.get("provider", "aws"))
    cluster_id = str(data["cluster_id"])
    return Message(
        severity,
        _text(title, 200),
        _text(body, 2000),
        "cluster",
        cluster_id,
        f"/api/v1/{provider}/kubernetes/clusters/{cluster_id}",
    )


def _cluster_failed(data: Mapping[str, Any]) -> Message:
    verb = "deleted" if data.get("operation") == "delete" else "created"
    return _cluster(
        data,
        Severity.CRITICAL,
        f"Cluster {data['name']} could not be {verb}",
        f"{data['code']}: {data['message']}",
    )


def _cluster_ready(data: Mapping[str, Any]) -> Message:
    return _cluster(
        data,
        Severity.INFO,
        f"Cluster {data['name']} is ready",
        f"Kubernetes {data.get('version', '')} in {data.get('region', '')}"
        f" on {str(data.get('provider', '')).upper()}.",
    )


def _cluster_drift(data: Mapping[str, Any]) -> Message:
    drift = data.get("drift") or []
    fields = ", ".join(
        str(item.get("field", "?")) if isinstance(item, Mapping) else str(item) for item in drift
    )
    return _cluster(
        data,
        Severity.WARNING,
        f"Cluster {data['name']} drifted from its desired state",
        f"The cloud differs in: {fields or 'managed fields'}. Nothing was changed.",
    )


def _credential_invalid(data: Mapping[str, Any]) -> Message:
    credential_id = str(data["credential_id"])
    detail = data.get("message") or data["reason"]
    return Message(
        Severity.CRITICAL,
        _text(f"Credential {data['name']} was refused by {str(data['provider']).upper()}", 200),
        _text(f"{data['reason']}: {detail}", 2000),
        "credential",
        credential_id,
        f"/api/v1/credentials/{credential_id}",
    )


def _member_added(data: Mapping[str, Any]) -> Message:
    return Message(
        Severity.INFO,
        "A member joined the workspace",
        f"A user joined as {data['role']}.",
        "member",
        str(data["user_id"]),
        "/api/v1/workspaces/current/members",
    )


def _budget_crossed(data: Mapping[str, Any]) -> Message:
    budget_id = str(data.get("budget_id", ""))
    name = data.get("name") or data.get("budget_name") or "A budget"
    threshold = data.get("threshold_percent", data.get("threshold"))
    spent = data.get("percent", data.get("actual_percent"))
    body = f"Spending reached {spent}% of the budget" if spent is not None else "Spending rose"
    body += f" (threshold {threshold}%)." if threshold is not None else "."
    return Message(
        Severity.WARNING,
        _text(f"{name} crossed a threshold", 200),
        _text(body, 2000),
        "budget" if budget_id else None,
        budget_id or None,
        f"/api/v1/budgets/{budget_id}" if budget_id else "/api/v1/budgets",
    )


CATALOG: dict[str, Kind] = {
    "ClusterFailed": Kind("provisioning", Audience.ADMINS_AND_ACTOR, _cluster_failed),
    "ClusterReady": Kind("provisioning", Audience.ADMINS_AND_ACTOR, _cluster_ready),
    "ClusterDriftDetected": Kind("provisioning", Audience.ADMINS, _cluster_drift),
    "CredentialInvalid": Kind("credential-vault", Audience.ADMINS, _credential_invalid),
    "MemberAdded": Kind("identity", Audience.ADMINS_AND_SUBJECT, _member_added),
    "BudgetThresholdCrossed": Kind("cost", Audience.ADMINS, _budget_crossed),
}


def from_owner(kind: Kind, source: str) -> bool:
    return source == f"skyclust/{kind.owner}"


def recipients(
    kind: Kind,
    members: Iterable[Member],
    *,
    actor_id: str | None,
    data: Mapping[str, Any],
) -> list[Member]:
    """The members who get this event in-app, in a stable order (by user id) so a retry
    writes the same rows."""
    chosen: dict[str, Member] = {}
    extra: str | None = None
    if kind.audience is Audience.ADMINS_AND_ACTOR:
        extra = actor_id
    elif kind.audience is Audience.ADMINS_AND_SUBJECT:
        extra = str(data.get("user_id")) if data.get("user_id") else None
    for member in members:
        if member.role == "admin" or str(member.user_id) == extra:
            chosen[str(member.user_id)] = member
    return [chosen[key] for key in sorted(chosen)]
