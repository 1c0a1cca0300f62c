"""Budgets: create, replace, read, list and delete, and a budget's standing in its
current period (`budget_status` over the scope's daily cost rows). A bad field is
INVALID_BUDGET naming every field at fault, never a contract error from deep inside.

Each change is audited in its own transaction: an AuditRecorded with the budget as it
was stored (and as it was, for a replace or a delete), so /audit-logs shows what a
budget said when, e.g. who turned an enforce budget into a warning. The gateway's own
record of the request says who asked and from where."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.messages.rpc import (
    CreateBudget,
    DeleteBudget,
    GetBudget,
    ListBudgets,
    UpdateBudget,
)
from skyclust_common.messaging import RpcContext

from ..adapters.budget_store import StoredBudget
from ..adapters.repositories import CostUnitOfWork
from ..domain.budget_status import BudgetStatus, budget_status
from ..domain.budgets import DEFAULT_THRESHOLDS, Budget, Scope, period_window
from ..domain.errors import BudgetNotFound, InvalidBudget
from .common import SOURCE, CostDeps
from .run_rates import steps_for

# How far back before its period a budget's forecast learns from: a quarter of history
# is enough to see a weekly rhythm and a trend without last year's shape.
HISTORY_DAYS = 120

BudgetFields = CreateBudget.Request | UpdateBudget.Request
# The store keeps amounts as numeric(18, 2); the domain bounds thresholds to 1000%.
MAX_AMOUNT = Decimal("1e16")
MAX_THRESHOLD = Decimal("1e4")
CENT = Decimal("0.01")


def _fits(value: Decimal, limit: Decimal) -> bool:
    exponent = value.as_tuple().exponent
    return abs(value) < limit and isinstance(exponent, int) and exponent >= -2


def _decimal(field: str, value: str, problems: dict[str, str]) -> Decimal:
    try:
        parsed = Decimal(value.strip())
    except InvalidOperation:
        problems[field] = f"not a decimal number: {value!r}"
        return Decimal(0)
    if not parsed.is_finite():
        problems[field] = f"not a finite number: {value!r}"
        return Decimal(0)
    return parsed


def budget_from(req: BudgetFields, budget_id: str) -> Budget:
    problems: dict[str, str] = {}
    amount = _decimal("amount", req.amount, problems)
    if "amount" not in problems and not _fits(amount, MAX_AMOUNT):
        problems["amount"] = f"below {MAX_AMOUNT}, with at most two decimal places"
    thresholds: tuple[Decimal, ...] = DEFAULT_THRESHOLDS
    if req.thresholds is not None:
        thresholds = tuple(_decimal("thresholds", t, problems) for t in req.thresholds)
        if "thresholds" not in problems and not all(_fits(t, MAX_THRESHOLD) for t in thresholds):
            problems["thresholds"] = "percentages with at most two decimal places"
    if not req.name.strip():
        problems["name"] = "must not be blank"
    if problems:
        raise InvalidBudget("the budget is not valid", details=problems)
    scope = Scope("workspace")
    # A workspace scope has no value; one sent along is dropped rather than stored.
    if req.scope is not None and req.scope.kind != "workspace":
        scope = Scope(req.scope.kind, req.scope.value)
    # The domain checks every rule and names each field at fault at once.
    return Budget(
        budget_id=budget_id,
        workspace_id=str(req.workspace_id),
        name=req.name.strip(),
        amount=amount,
        currency=req.currency or "USD",
        period=req.period,
        scope=scope,
        thresholds=thresholds,
        mode=req.mode or "warn",
        fail_closed=bool(req.fail_closed),
    )


def view(stored: StoredBudget, status: BudgetStatus | None = None) -> dict[str, Any]:
    b = stored.budget
    out: dict[str, Any] = {
        "budget_id": b.budget_id,
        "workspace_id": b.workspace_id,
        "name": b.name,
        # Two places always, as the store keeps it, whatever was sent.
        "amount": format(b.amount.quantize(CENT), "f"),
        "currency": b.currency,
        "period": b.period,
        "scope": {"kind": b.scope.kind, "value": b.scope.value},
        "thresholds": [format(t.normalize(), "f") for t in b.thresholds],
        "mode": b.mode,
        "fail_closed": b.fail_closed,
        "created_at": stored.created_at.isoformat(),
        "updated_at": stored.updated_at.isoformat(),
    }
    if status is not None:
        out["status"] = status.as_dict()
    return out


async def standing(uow: CostUnitOfWork, budget: Budget, today: date) -> BudgetStatus:
    """The budget's daily history, and the run-rate steps of the clusters and node groups
    in its scope that began or ended since that history's first day. A tag scope gets no
    steps: the runs do not carry their cluster's tags."""
    start, _ = period_window(budget.period, today)
    since = start - timedelta(days=HISTORY_DAYS)
    workspace_id = uuid.UUID(budget.workspace_id)
    daily = dense_from_first(
        await uow.budgets.daily_spend(workspace_id, budget.scope, since, today), today
    )
    scope = budget.scope
    provider = scope.value if scope.kind == "provider" else None
    steps, _ = await steps_for(
        uow,
        workspace_id,
        provider,
        lambda p, cluster: scope.covers(p, cluster, {}),
        daily[0][0] if daily else since,
        today,
    )
    return budget_status(budget, daily, today, steps)


def dense_from_first(daily: list[tuple[date, Decimal]], today: date) -> list[tuple[date, Decimal]]:
    """A day without a cost row cost nothing: the forecast must see it as a zero, not as
    a gap, or one old day of spend reads as a daily rate. Before the first row the scope
    had no history, so nothing is invented there."""
    if not daily:
        return []
    amounts = dict(daily)
    first = min(amounts)
    days = (first + timedelta(days=i) for i in range((today - first).days + 1))
    return [(day, amounts.get(day, Decimal(0))) for day in days]


def _terms(budget: Budget) -> dict[str, Any]:
    """What a budget says, for its audit record."""
    return {
        "name": budget.name,
        "amount": format(budget.amount.quantize(CENT), "f"),
        "currency": budget.currency,
        "period": budget.period,
        "scope": {"kind": budget.scope.kind, "value": budget.scope.value},
        "thresholds": [format(t.normalize(), "f") for t in budget.thresholds],
        "mode": budget.mode,
        "fail_closed": budget.fail_closed,
    }


def audit(
    action: str,
    workspace_id: str,
    budget_id: str,
    actor_id: str,
    ctx: RpcContext,
    details: dict[str, Any],
) -> CloudEvent:
    return new_event(
        "AuditRecorded",
        {
            "workspace_id": workspace_id,
            "actor_type": "api_key" if actor_id.startswith("apikey:") else "user",
            "actor_id": actor_id,
            "action": action,
            "resource_type": "budget",
            "resource_id": budget_id,
            "outcome": "success",
            "request_id": ctx.request_id,
            "correlation_id": budget_id,
            "details": details,
            "occurred_at": datetime.now(UTC).isoformat(),
        },
        source=SOURCE,
        subject=budget_id,
        workspace_id=workspace_id,
        actor_id=actor_id,
    )


def changed(budget: Budget, change: str, at: datetime) -> CloudEvent:
    """BudgetChanged: what provisioning keeps to decide with while cost cannot be asked."""
    return new_event(
        "BudgetChanged",
        {
            "budget_id": budget.budget_id,
            "name": budget.name,
            "change": change,
            "scope": budget.scope.kind,
            "scope_value": budget.scope.value,
            "mode": budget.mode,
            "fail_closed": budget.fail_closed,
            "changed_at": at.isoformat(),
        },
        source=SOURCE,
        subject=budget.budget_id,
        workspace_id=budget.workspace_id,
    )


async def create_budget(
    deps: CostDeps, req: CreateBudget.Request, ctx: RpcContext
) -> dict[str, Any]:
    budget = budget_from(req, str(uuid.uuid4()))
    async with deps.uow() as uow:
        stored = await uow.budgets.add(budget)
        uow.emit(
            audit(
                "budget_created",
                budget.workspace_id,
                budget.budget_id,
                req.actor_id,
                ctx,
                {"budget": _terms(budget)},
            )
        )
        uow.emit(changed(budget, "created", stored.updated_at))
        await uow.commit()
    return view(stored)


async def update_budget(
    deps: CostDeps, req: UpdateBudget.Request, ctx: RpcContext
) -> dict[str, Any]:
    budget = budget_from(req, str(req.budget_id))
    async with deps.uow() as uow:
        before = await uow.budgets.get(req.workspace_id, req.budget_id)
        stored = await uow.budgets.replace(budget)
        if before is None or stored is None:
            raise BudgetNotFound("no such budget in this workspace")
        was, now = _terms(before.budget), _terms(budget)
        uow.emit(
            audit(
                "budget_updated",
                budget.workspace_id,
                budget.budget_id,
                req.actor_id,
                ctx,
                {
                    "budget": now,
                    "before": was,
                    "changed": sorted(k for k in now if now[k] != was[k]),
                },
            )
        )
        uow.emit(changed(budget, "updated", stored.updated_at))
        await uow.commit()
    return view(stored)


async def get_budget(deps: CostDeps, req: GetBudget.Request, ctx: RpcContext) -> dict[str, Any]:
    async with deps.uow() as uow:
        stored = await uow.budgets.get(req.workspace_id, req.budget_id)
        if stored is None:
            raise BudgetNotFound("no such budget in this workspace")
        status = await standing(uow, stored.budget, deps.today())
    return view(stored, status)


async def list_budgets(deps: CostDeps, req: ListBudgets.Request, ctx: RpcContext) -> dict[str, Any]:
    async with deps.uow() as uow:
        found = await uow.budgets.of_workspace(req.workspace_id)
    return {"items": [view(s) for s in found]}


async def delete_budget(
    deps: CostDeps, req: DeleteBudget.Request, ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        before = await uow.budgets.get(req.workspace_id, req.budget_id)
        if before is None or not await uow.budgets.delete(req.workspace_id, req.budget_id):
            raise BudgetNotFound("no such budget in this workspace")
        uow.emit(
            audit(
                "budget_deleted",
                str(req.workspace_id),
                str(req.budget_id),
                req.actor_id,
                ctx,
                {"budget": _terms(before.budget)},
            )
        )
        uow.emit(changed(before.budget, "deleted", datetime.now(UTC)))
        await uow.commit()
    return {"budget_id": str(req.budget_id), "deleted": True}
