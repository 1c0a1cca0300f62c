"""What provisioning knows of budgets: each budget's scope and whether it fails closed,
from cost's BudgetChanged events, to decide with while cost cannot be asked. Every other
budget rule is the cost service's (its CheckBudgetGuardrail answer); this is only the
fallback when there is no answer."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import BudgetCheckUnavailable, BudgetOverrideForbidden

CHECK_SKIPPED = "BUDGET_CHECK_SKIPPED"


@dataclass(frozen=True)
class FailClosedBudget:
    budget_id: str
    name: str
    scope: str  # workspace | provider | cluster | tag
    scope_value: str | None

    def covers(self, provider: str, cluster_id: str | None, tags: Mapping[str, str]) -> bool:
        """As cost's budget scopes cover a request (a workspace, a provider, a cluster,
        a tag key=value)."""
        if self.scope == "workspace":
            return True
        if self.scope == "provider":
            return provider == self.scope_value
        if self.scope == "cluster":
            return cluster_id is not None and cluster_id == self.scope_value
        if self.scope == "tag":
            key, _, value = (self.scope_value or "").partition("=")
            return key in tags and tags[key] == value
        # A scope this version does not know: taken as covering, since it fails closed.
        return True


def unchecked(
    covering: Sequence[FailClosedBudget], *, override: bool, is_admin: bool
) -> tuple[str, dict[str, str]]:
    """(action, warning) when cost did not answer: go ahead with a warning (a cost outage
    must not block infrastructure), unless a covering budget fails closed; then only an
    admin's explicit override goes ahead."""
    if covering:
        if not override:
            raise BudgetCheckUnavailable(
                "the budget check could not be made and a budget covering this request "
                "fails closed; try again when the cost service answers",
                details={"budgets": [{"budget_id": b.budget_id, "name": b.name} for b in covering]},
            )
        if not is_admin:
            raise BudgetOverrideForbidden("only a workspace admin may override a budget")
        action = "override"
    else:
        action = "unchecked"
    warning = {
        "code": CHECK_SKIPPED,
        "message": "the cost service did not answer; no budget was checked",
    }
    return action, warning


@dataclass(frozen=True)
class KnownBudgetState:
    """A budget as its last BudgetChanged described it."""

    budget_id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    scope: str
    scope_value: str | None
    fail_closed: bool
    deleted: bool
    changed_at: datetime

    def as_row(self) -> dict[str, Any]:
        return {
            "budget_id": self.budget_id,
            "workspace_id": self.workspace_id,
            "name": self.name,
            "scope": self.scope,
            "scope_value": self.scope_value,
            "fail_closed": self.fail_closed,
            "deleted": self.deleted,
            "changed_at": self.changed_at,
        }


def covering(
    known: Sequence[FailClosedBudget],
    provider: str,
    cluster_id: str | None,
    tags: Mapping[str, str],
) -> list[FailClosedBudget]:
    return [b for b in known if b.covers(provider, cluster_id, tags)]
