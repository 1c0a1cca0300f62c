"""The budget guardrail before a cluster, a node group or a scale-up is accepted.

Cost decides (its `CheckBudgetGuardrail` query): allow, warn, or an admin's override
go ahead, and a refusal (`BUDGET_EXCEEDED`, `BUDGET_OVERRIDE_FORBIDDEN`) comes back as
the error cost raised, which the request raises on to the gateway. When cost cannot be
asked (no responders, no answer in time), `domain.budgets.unchecked` decides on the
workspace's fail-closed budgets that cover the request, as provisioning keeps them from
cost's BudgetChanged events (`on_budget_changed`, in its own table, so every replica
and a restarted one know them). An override that went ahead is audited in the
transaction that accepts the request."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import SkyclustError
from skyclust_common.messages.events import BudgetChanged
from skyclust_common.messaging import Delivery

from ..domain.budgets import KnownBudgetState, covering, unchecked
from .shared import SOURCE, ProvisioningDeps

log = logging.getLogger(__name__)

# CheckBudgetGuardrail takes a major.minor version; a longer one is cut to that, and
# anything else is left out (the estimate does not depend on it).
_VERSION = re.compile(r"^([0-9]+\.[0-9]+)")


@dataclass(frozen=True)
class BudgetRequest:
    """What a create or scale-up would add, as cost's guardrail prices it."""

    workspace_id: str
    actor_id: str
    is_admin: bool
    override: bool
    provider: str
    region: str
    node_groups: Sequence[Mapping[str, Any]]
    version: str | None = None
    cluster_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    include_control_plane: bool = True

    def as_query(self) -> dict[str, Any]:
        query: dict[str, Any] = {
            "workspace_id": self.workspace_id,
            "actor_id": self.actor_id,
            "actor_is_admin": self.is_admin,
            "override": self.override,
            "provider": self.provider,
            "region": self.region,
            "tags": dict(self.tags),
            "node_groups": [
                {k: v for k, v in g.items() if v is not None} for g in self.node_groups
            ],
            "include_control_plane": self.include_control_plane,
        }
        version = _VERSION.match(self.version or "")
        if version:
            query["version"] = version.group(1)
        if self.cluster_id is not None:
            query["cluster_id"] = self.cluster_id
        return query


@dataclass(frozen=True)
class BudgetOutcome:
    # allow | warn | override (cost's), unchecked (cost did not answer), not_asked
    action: str
    warnings: tuple[dict[str, Any], ...] = ()
    estimate: Mapping[str, Any] | None = None
    findings: tuple[dict[str, Any], ...] = ()


NOT_ASKED = BudgetOutcome("not_asked")


def node_group(
    name: str,
    instance_type: str | None,
    desired_size: int,
    min_size: int | None = None,
    max_size: int | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "instance_type": instance_type,
        "desired_size": desired_size,
        "min_size": min_size,
        "max_size": max_size,
    }


async def check(deps: ProvisioningDeps, request: BudgetRequest) -> BudgetOutcome:
    """Cost's decision on `request`; raises its refusal. Nothing is asked when no cost
    service is wired (deps.check_budget is None) or the request adds nothing."""
    if deps.check_budget is None:
        return NOT_ASKED
    if not request.include_control_plane and not any(
        g["desired_size"] > 0 for g in request.node_groups
    ):
        return NOT_ASKED
    try:
        reply = await deps.check_budget(request.as_query())
    except SkyclustError as exc:
        if exc.status < 500:
            raise
        log.warning(
            "provisioning: the budget check could not be made",
            extra={"workspace_id": request.workspace_id, "error": exc.code},
        )
        async with deps.uow().read_only() as uow:
            known = await uow.budgets.fail_closed(uuid.UUID(request.workspace_id))
        covered = covering(known, request.provider, request.cluster_id, request.tags)
        action, warning = unchecked(covered, override=request.override, is_admin=request.is_admin)
        findings = tuple({"budget_id": b.budget_id, "name": b.name} for b in covered)
        return BudgetOutcome(action, (warning,), None, findings)
    return BudgetOutcome(
        reply["action"],
        tuple(reply.get("warnings") or ()),
        reply.get("estimate"),
        tuple(reply.get("findings") or ()),
    )


CONSUMER = "provisioning-budgets"


async def on_budget_changed(deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery) -> None:
    """Keep the budget as the event describes it, once per event; a change older than the
    one kept is ignored, so redelivered or reordered events leave the latest."""
    data = BudgetChanged.parse(event.data)
    async with deps.uow() as uow:
        if await uow.seen(delivery.consumer, event.id):
            return
        await uow.budgets.record(
            KnownBudgetState(
                budget_id=data.budget_id,
                workspace_id=uuid.UUID(str(event.workspaceid)),
                name=data.name,
                scope=data.scope,
                scope_value=data.scope_value,
                fail_closed=data.fail_closed,
                deleted=data.change == "deleted",
                changed_at=data.changed_at,
            )
        )
        await uow.commit()


def override_audit(
    outcome: BudgetOutcome,
    request: BudgetRequest,
    *,
    resource_type: str,
    resource_id: str,
    request_id: str | None,
) -> CloudEvent | None:
    """The AuditRecorded of an admin's override, or None when nothing was overridden."""
    if outcome.action != "override":
        return None
    actor_type = "api_key" if request.actor_id.startswith("apikey:") else "user"
    estimate = outcome.estimate or {}
    return new_event(
        "AuditRecorded",
        {
            "workspace_id": request.workspace_id,
            "actor_type": actor_type,
            "actor_id": request.actor_id,
            "action": "override_budget",
            "resource_type": resource_type,
            "resource_id": resource_id,
            "outcome": "success",
            "request_id": request_id,
            "correlation_id": resource_id,
            "details": {
                "provider": request.provider,
                "region": request.region,
                "monthly_estimate": estimate.get("monthly"),
                "currency": estimate.get("currency"),
                # Cost's findings (budget, amount, forecast, projected, percent), or the
                # fail-closed budgets passed while cost could not be asked.
                "budgets": list(outcome.findings),
                "budget_checked": outcome.estimate is not None,
            },
            "occurred_at": datetime.now(UTC).isoformat(),
        },
        source=SOURCE,
        subject=resource_id,
        workspace_id=request.workspace_id,
        correlation_id=resource_id,
        actor_id=request.actor_id,
    )
