"""Budgets: thin routes to the cost service, which checks every field (a bad amount,
period, scope or threshold is its INVALID_BUDGET, naming the fields) and answers a
budget's spend, forecast and crossed thresholds. Viewers read; changing a budget needs
budgets:manage."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import Field

from ..auth import Principal
from ..envelope import ok
from ..permissions import Permission
from .deps import Reader, Svc, caller
from .models import Strict

router = APIRouter(prefix="/api/v1/budgets", tags=["budgets"])
COST = "cost"
BudgetManager = Annotated[Principal, Depends(caller(Permission.BUDGETS_MANAGE))]


class BudgetScope(Strict):
    kind: str = Field(min_length=1, max_length=16, description="workspace, provider, cluster, tag")
    value: str | None = Field(
        default=None, max_length=400, description="provider, cluster id, or key=value"
    )


class BudgetBody(Strict):
    name: str = Field(min_length=1, max_length=100)
    amount: Decimal
    currency: str | None = Field(default=None, min_length=1, max_length=8)
    period: str = Field(min_length=1, max_length=16, description="monthly, quarterly, yearly")
    scope: BudgetScope | None = None
    thresholds: list[Decimal] | None = Field(default=None, max_length=10)
    mode: str | None = Field(default=None, min_length=1, max_length=16)
    fail_closed: bool | None = None


def _fields(principal: Principal, body: BudgetBody) -> dict[str, Any]:
    out = body.model_dump(exclude_none=True)
    out["amount"] = format(body.amount, "f")
    if body.thresholds is not None:
        out["thresholds"] = [format(t, "f") for t in body.thresholds]
    return {"workspace_id": principal.workspace_id, "actor_id": principal.user_id, **out}


@router.post("", status_code=201)
async def create_budget(body: BudgetBody, principal: BudgetManager, svc: Svc) -> JSONResponse:
    """Create a budget: an amount per period over a scope (workspace, provider, cluster or
    tag), thresholds on actual and forecast spend, and a mode: `warn`, or `enforce` (the
    guardrail refuses what would push it past 100%)."""
    return ok(await svc.call(COST, "CreateBudget", _fields(principal, body)), 201)


@router.get("")
async def list_budgets(principal: Reader, svc: Svc) -> JSONResponse:
    """The workspace's budgets, each with its spend, forecast and the thresholds crossed
    this period."""
    return ok(await svc.call(COST, "ListBudgets", {"workspace_id": principal.workspace_id}))


@router.get("/{budget_id}")
async def get_budget(budget_id: uuid.UUID, principal: Reader, svc: Svc) -> JSONResponse:
    """One budget with its spend, forecast and which thresholds are crossed this period."""
    key = {"workspace_id": principal.workspace_id, "budget_id": str(budget_id)}
    return ok(await svc.call(COST, "GetBudget", key))


@router.put("/{budget_id}")
async def update_budget(
    budget_id: uuid.UUID, body: BudgetBody, principal: BudgetManager, svc: Svc
) -> JSONResponse:
    """Replace a budget's settings (amount, period, scope, thresholds, mode)."""
    change = {**_fields(principal, body), "budget_id": str(budget_id)}
    return ok(await svc.call(COST, "UpdateBudget", change))


@router.delete("/{budget_id}")
async def delete_budget(budget_id: uuid.UUID, principal: BudgetManager, svc: Svc) -> JSONResponse:
    """Delete a budget; the guardrail stops checking it at once."""
    key = {
        "workspace_id": principal.workspace_id,
        "actor_id": principal.user_id,
        "budget_id": str(budget_id),
    }
    return ok(await svc.call(COST, "DeleteBudget", key))
