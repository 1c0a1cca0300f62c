"""The budget check: each budget's standing against the crossings recorded for it,
announcing what is new (BudgetThresholdCrossed) and what has recovered (BudgetRecovered).
The crossing rows and the events are written in one unit of work, and a key is announced
only by the check that opened its row, so repeated or concurrent checks and redelivered
messages announce each crossing once. It runs on a schedule and after each collection."""

from __future__ import annotations

import logging
import uuid
from datetime import date

from skyclust_common.envelope import new_event
from skyclust_common.messages.events import BudgetRecovered, BudgetThresholdCrossed

from ..adapters.budget_store import CrossingKey, StoredBudget
from ..domain.budget_status import BudgetStatus
from ..domain.budgets import Budget, percent_of, transitions
from .budgets import standing
from .common import SOURCE, CostDeps

log = logging.getLogger(__name__)


def _event_data(budget: Budget, key: CrossingKey, status: BudgetStatus) -> dict[str, str]:
    _, threshold, kind, period = key
    spend = status.actual if kind == "actual" else status.forecast
    return {
        "budget_id": budget.budget_id,
        "name": budget.name,
        "kind": kind,
        "threshold": threshold,
        "period_key": period,
        "spend": format(spend, "f"),
        "amount": format(budget.amount, "f"),
        "percent": format(percent_of(spend, budget.amount), "f"),
        "currency": budget.currency,
        "mode": budget.mode,
    }


async def check_one(deps: CostDeps, stored: StoredBudget, today: date) -> tuple[int, int]:
    """(crossed, recovered) announced for one budget."""
    budget = stored.budget
    async with deps.uow() as uow:
        status = await standing(uow, budget, today)
        found = transitions(status.crossed, await uow.crossings.open_keys(budget.budget_id))
        opened = await uow.crossings.open([c.key for c in found.crossed])
        closed = await uow.crossings.close(list(found.recovered))
        for contract, keys in ((BudgetThresholdCrossed, opened), (BudgetRecovered, closed)):
            for key in keys:
                data = contract.parse(_event_data(budget, key, status)).to_data()
                uow.emit(
                    new_event(
                        contract.CONTRACT,
                        data,
                        source=SOURCE,
                        subject=budget.budget_id,
                        workspace_id=budget.workspace_id,
                    )
                )
        await uow.commit()
    return len(opened), len(closed)


async def _check(deps: CostDeps, budgets: list[StoredBudget]) -> tuple[int, int]:
    today = deps.today()
    crossed = recovered = 0
    for stored in budgets:
        try:
            c, r = await check_one(deps, stored, today)
        except Exception:
            # One budget's failure is logged; the others are still checked, and the next
            # pass tries this one again.
            log.exception("cost: checking budget %s failed", stored.budget.budget_id)
            continue
        crossed += c
        recovered += r
    return crossed, recovered


async def check_workspace(deps: CostDeps, workspace_id: uuid.UUID) -> tuple[int, int]:
    async with deps.uow() as uow:
        budgets = await uow.budgets.of_workspace(workspace_id)
    return await _check(deps, budgets)


async def check_everything(deps: CostDeps) -> None:
    async with deps.uow() as uow:
        budgets = await uow.budgets.all()
    await _check(deps, budgets)


async def check_after_collection(deps: CostDeps, workspace_id: uuid.UUID) -> None:
    """New cost rows may have crossed a threshold; a failed check must not fail the
    collection that stored them (the scheduled check tries again)."""
    try:
        await check_workspace(deps, workspace_id)
    except Exception:
        log.exception("cost: budget check after collecting workspace %s failed", workspace_id)
