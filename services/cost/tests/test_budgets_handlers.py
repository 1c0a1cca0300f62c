"""Budgets on the fake store: CRUD, bad fields named, a budget's standing, and the check
announcing each crossing once however often it runs."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from skyclust_cost.domain.errors import BudgetNotFound, InvalidBudget
from skyclust_cost.domain.records import CostRow
from skyclust_cost.handlers import budgets
from skyclust_cost.handlers.budget_check import check_everything, check_workspace

from skyclust_common.contracts import load_registry
from skyclust_common.fake_uow import FakeDatabase

from .cost_harness import TODAY, call, make_deps

pytestmark = pytest.mark.unit


def row(day: date, amount: str, provider: str = "aws") -> CostRow:
    return CostRow(day, provider, "123", "EC2", "us-east-1", Decimal(amount))


async def seed(deps: Any, workspace: uuid.UUID, rows: list[CostRow]) -> None:
    async with deps.uow() as uow:
        await uow.records.upsert(workspace, rows)
        await uow.commit()


def body(workspace: uuid.UUID, **kw: Any) -> dict[str, Any]:
    out = {
        "workspace_id": str(workspace),
        "actor_id": "u1",
        "name": "platform",
        "amount": "1000",
        "period": "monthly",
    }
    out.update(kw)
    return out


async def test_a_budget_is_created_with_the_seed_defaults(workspace: uuid.UUID) -> None:
    deps = make_deps()
    made = await call(budgets.create_budget, deps, body(workspace))
    assert made["thresholds"] == ["80", "100"]
    assert made["mode"] == "warn"
    assert made["currency"] == "USD"
    assert made["amount"] == "1000.00"
    assert made["scope"] == {"kind": "workspace", "value": None}
    listed = await call(budgets.list_budgets, deps, {"workspace_id": str(workspace)})
    assert [b["budget_id"] for b in listed["items"]] == [made["budget_id"]]


async def test_bad_fields_are_named_together(workspace: uuid.UUID) -> None:
    deps = make_deps()
    bad = body(workspace, amount="-5", period="weekly", scope={"kind": "tag", "value": "team"})
    with pytest.raises(InvalidBudget) as raised:
        await call(budgets.create_budget, deps, bad)
    assert set(raised.value.details) == {"amount", "period", "scope"}
    with pytest.raises(InvalidBudget) as raised:
        await call(budgets.create_budget, deps, body(workspace, amount="ten"))
    assert "amount" in raised.value.details
    with pytest.raises(InvalidBudget) as raised:
        await call(budgets.create_budget, deps, body(workspace, thresholds=["80", "x", "80"]))
    assert "thresholds" in raised.value.details
    with pytest.raises(InvalidBudget) as raised:
        await call(budgets.create_budget, deps, body(workspace, amount="1.001"))
    assert set(raised.value.details) == {"amount"}
    for amount in ("1e17", "NaN", "Infinity"):
        with pytest.raises(InvalidBudget) as raised:
            await call(budgets.create_budget, deps, body(workspace, amount=amount))
        assert set(raised.value.details) == {"amount"}
    with pytest.raises(InvalidBudget) as raised:
        await call(budgets.create_budget, deps, body(workspace, thresholds=["80.125"]))
    assert set(raised.value.details) == {"thresholds"}


async def test_another_workspace_cannot_see_change_or_delete_a_budget(
    workspace: uuid.UUID,
) -> None:
    deps = make_deps()
    made = await call(budgets.create_budget, deps, body(workspace))
    other = uuid.uuid4()
    key = {"workspace_id": str(other), "budget_id": made["budget_id"]}
    with pytest.raises(BudgetNotFound):
        await call(budgets.get_budget, deps, key)
    with pytest.raises(BudgetNotFound):
        await call(budgets.update_budget, deps, {**body(other), "budget_id": made["budget_id"]})
    with pytest.raises(BudgetNotFound):
        await call(budgets.delete_budget, deps, {**key, "actor_id": "u2"})
    assert (await call(budgets.list_budgets, deps, {"workspace_id": str(other)}))["items"] == []


async def test_update_replaces_and_delete_removes(workspace: uuid.UUID) -> None:
    deps = make_deps()
    made = await call(budgets.create_budget, deps, body(workspace))
    changed = await call(
        budgets.update_budget,
        deps,
        {**body(workspace, amount="250.50", mode="enforce"), "budget_id": made["budget_id"]},
    )
    assert (changed["amount"], changed["mode"]) == ("250.50", "enforce")
    key = {"workspace_id": str(workspace), "budget_id": made["budget_id"]}
    assert (await call(budgets.get_budget, deps, key))["amount"] == "250.50"
    assert (await call(budgets.delete_budget, deps, {**key, "actor_id": "u1"}))["deleted"]
    with pytest.raises(BudgetNotFound):
        await call(budgets.get_budget, deps, key)


async def test_get_shows_spend_forecast_and_crossings_of_its_scope_only(
    workspace: uuid.UUID,
) -> None:
    deps = make_deps()
    first = TODAY.replace(day=1)
    await seed(
        deps,
        workspace,
        [row(first + timedelta(days=i), "300") for i in range(3)]
        + [row(first, "5000", provider="gcp")]
        + [row(first - timedelta(days=1), "700")],  # last month: not this period's spend
    )
    made = await call(
        budgets.create_budget, deps, body(workspace, scope={"kind": "provider", "value": "aws"})
    )
    got = await call(
        budgets.get_budget, deps, {"workspace_id": str(workspace), "budget_id": made["budget_id"]}
    )
    status = got["status"]
    assert status["period_key"] == "2026-12"
    assert (status["period_start"], status["period_end"]) == ("2026-12-01", "2027-01-01")
    assert Decimal(status["actual"]) == Decimal("900")
    assert Decimal(status["forecast"]) > Decimal("900")
    actual = {c["threshold"] for c in status["crossed"] if c["kind"] == "actual"}
    assert actual == {"80"}


async def test_the_check_announces_each_crossing_once_then_its_recovery(
    workspace: uuid.UUID,
) -> None:
    db = FakeDatabase()
    deps = make_deps(db=db)
    first = TODAY.replace(day=1)
    await seed(deps, workspace, [row(first + timedelta(days=i), "300") for i in range(3)])
    made = await call(budgets.create_budget, deps, body(workspace))
    for _ in range(3):
        await check_workspace(deps, workspace)
    await check_everything(deps)
    crossed = db.events("BudgetThresholdCrossed")
    keys = sorted((e.data["kind"], e.data["threshold"]) for e in crossed)
    assert ("actual", "80") in keys and ("actual", "100") not in keys
    assert len(keys) == len(set(keys))
    actual_80 = next(e for e in crossed if e.data["kind"] == "actual")
    assert actual_80.workspaceid == str(workspace)
    assert actual_80.data["spend"] == "900.00"
    assert actual_80.data["percent"] == "90.00"
    assert actual_80.data["budget_id"] == made["budget_id"]
    assert db.events("BudgetRecovered") == []

    # The clouds revise the days down: spend is below 80% again.
    await seed(deps, workspace, [row(first + timedelta(days=i), "10") for i in range(3)])
    await check_workspace(deps, workspace)
    await check_workspace(deps, workspace)
    recovered = db.events("BudgetRecovered")
    assert ("actual", "80") in {(e.data["kind"], e.data["threshold"]) for e in recovered}
    assert len(recovered) == len(crossed)
    assert len(db.events("BudgetThresholdCrossed")) == len(crossed)


async def test_a_new_period_recovers_the_last_ones_crossings(workspace: uuid.UUID) -> None:
    db = FakeDatabase()
    today = [TODAY]
    deps = make_deps(db=db)
    deps.today = lambda: today[0]
    first = TODAY.replace(day=1)
    await seed(deps, workspace, [row(first + timedelta(days=i), "400") for i in range(3)])
    await call(budgets.create_budget, deps, body(workspace, thresholds=["100"]))
    await check_workspace(deps, workspace)
    assert [e.data["period_key"] for e in db.events("BudgetThresholdCrossed")][:1] == ["2026-12"]
    today[0] = date(2027, 1, 2)
    await check_workspace(deps, workspace)
    recovered = db.events("BudgetRecovered")
    assert recovered and {e.data["period_key"] for e in recovered} == {"2026-12"}


async def test_a_collection_checks_the_workspace_budgets(workspace: uuid.UUID) -> None:
    from skyclust_cost.handlers import collect

    db = FakeDatabase()
    deps = make_deps(db=db)
    first = TODAY.replace(day=1)
    await seed(deps, workspace, [row(first + timedelta(days=i), "500") for i in range(3)])
    await call(budgets.create_budget, deps, body(workspace, thresholds=["100"]))
    await collect.collect_workspace(deps, workspace, None, 7)
    assert ("actual", "100") in {
        (e.data["kind"], e.data["threshold"]) for e in db.events("BudgetThresholdCrossed")
    }


async def test_a_day_without_cost_rows_counts_as_zero_in_the_forecast(
    workspace: uuid.UUID,
) -> None:
    deps = make_deps()
    # One day of spend five weeks ago and nothing since: no rate to carry forward.
    await seed(deps, workspace, [row(TODAY - timedelta(days=35), "100")])
    made = await call(budgets.create_budget, deps, body(workspace))
    got = await call(
        budgets.get_budget, deps, {"workspace_id": str(workspace), "budget_id": made["budget_id"]}
    )
    assert Decimal(got["status"]["actual"]) == 0
    assert Decimal(got["status"]["forecast"]) < Decimal("100")


async def test_each_change_is_audited_with_what_the_budget_said(workspace: uuid.UUID) -> None:
    registry = load_registry()
    db = FakeDatabase()
    deps = make_deps(db=db)
    made = await call(budgets.create_budget, deps, body(workspace, mode="enforce"))
    key = {"workspace_id": str(workspace), "budget_id": made["budget_id"]}
    await call(
        budgets.update_budget,
        deps,
        {**body(workspace, amount="250.50", mode="warn"), "budget_id": made["budget_id"]},
    )
    await call(budgets.delete_budget, deps, {**key, "actor_id": "apikey:k1"})
    with pytest.raises(BudgetNotFound):  # nothing to delete: nothing audited
        await call(budgets.delete_budget, deps, {**key, "actor_id": "u1"})

    records = [e.data for e in db.events("AuditRecorded")]
    for record in records:
        registry.validate("AuditRecorded", record)
    assert [r["action"] for r in records] == ["budget_created", "budget_updated", "budget_deleted"]
    assert {(r["resource_type"], r["resource_id"]) for r in records} == {
        ("budget", made["budget_id"])
    }
    created, updated, deleted = records
    assert (created["actor_id"], created["actor_type"]) == ("u1", "user")
    assert created["details"]["budget"]["mode"] == "enforce"
    assert updated["details"]["before"]["amount"] == "1000.00"
    assert updated["details"]["budget"]["amount"] == "250.50"
    assert updated["details"]["changed"] == ["amount", "mode"]
    assert (deleted["actor_id"], deleted["actor_type"]) == ("apikey:k1", "api_key")
    assert deleted["details"]["budget"]["amount"] == "250.50"

    # And BudgetChanged for provisioning's guardrail, with each change's scope and mode.
    changes = db.events("BudgetChanged")
    for event in changes:
        registry.validate("BudgetChanged", event.data)
        assert (event.subject, event.workspaceid) == (made["budget_id"], str(workspace))
    assert [(e.data["change"], e.data["mode"]) for e in changes] == [
        ("created", "enforce"),
        ("updated", "warn"),
        ("deleted", "warn"),
    ]
    stamps = [e.data["changed_at"] for e in changes]
    assert stamps == sorted(stamps)
