"""Budgets: validation, periods, which thresholds are crossed, once-per-period news and
recovery, and the guardrail's allow / warn / refuse / override."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from skyclust_cost.domain.budgets import (
    Budget,
    CoveringBudget,
    Scope,
    crossed,
    guardrail,
    period_impact,
    period_key,
    period_window,
    transitions,
)
from skyclust_cost.domain.errors import (
    BudgetExceeded,
    BudgetOverrideForbidden,
    InvalidBudget,
)

TODAY = date(2026, 11, 20)


def budget(**kw) -> Budget:
    args: dict[str, Any] = {
        "budget_id": "b1",
        "workspace_id": "w1",
        "name": "platform",
        "amount": Decimal("1000"),
        "currency": "USD",
        "period": "monthly",
        "scope": Scope("workspace"),
    }
    args.update(kw)
    return Budget(**args)


def test_defaults_are_the_seeds_80_and_100_percent_in_warn_mode_failing_open():
    b = budget()
    assert b.thresholds == (Decimal("80"), Decimal("100"))
    assert b.mode == "warn" and b.fail_closed is False


@pytest.mark.parametrize(
    "change,field",
    [
        ({"amount": Decimal("0")}, "amount"),
        ({"period": "weekly"}, "period"),
        ({"mode": "block"}, "mode"),
        ({"scope": Scope("cluster")}, "scope"),
        ({"scope": Scope("tag", "team")}, "scope"),
        ({"scope": Scope("region", "x")}, "scope"),
        ({"thresholds": ()}, "thresholds"),
        ({"thresholds": (Decimal("80"), Decimal("80"))}, "thresholds"),
        ({"thresholds": (Decimal("-5"),)}, "thresholds"),
        ({"currency": "dollars"}, "currency"),
    ],
)
def test_a_budget_that_cannot_be_used_is_refused_naming_the_field(change, field):
    with pytest.raises(InvalidBudget) as info:
        budget(**change)
    assert field in info.value.details


@pytest.mark.parametrize(
    "period,today,window,key",
    [
        ("monthly", date(2026, 12, 31), (date(2026, 12, 1), date(2027, 1, 1)), "2026-12"),
        ("monthly", date(2026, 2, 1), (date(2026, 2, 1), date(2026, 3, 1)), "2026-02"),
        ("quarterly", date(2026, 11, 20), (date(2026, 10, 1), date(2027, 1, 1)), "2026-Q4"),
        ("quarterly", date(2026, 3, 31), (date(2026, 1, 1), date(2026, 4, 1)), "2026-Q1"),
        ("yearly", date(2026, 6, 1), (date(2026, 1, 1), date(2027, 1, 1)), "2026"),
    ],
)
def test_periods_and_their_keys(period, today, window, key):
    assert period_window(period, today) == window
    assert period_key(period, today) == key


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
       st.sampled_from(["monthly", "quarterly", "yearly"]))  # fmt: skip
def test_every_day_lies_in_its_period_and_shares_its_key_with_the_periods_start(day, period):
    start, end = period_window(period, day)
    assert start <= day < end
    assert period_key(period, start) == period_key(period, day)
    assert period_key(period, end) != period_key(period, day)


def test_thresholds_crossed_on_actual_and_forecast_separately():
    found = crossed(budget(), TODAY, actual=Decimal("850"), forecast=Decimal("1210"))
    assert sorted((c.kind, str(c.threshold)) for c in found) == [
        ("actual", "80"), ("forecast", "100"), ("forecast", "80"),
    ]  # fmt: skip
    actual80 = next(c for c in found if c.kind == "actual")
    assert actual80.percent == Decimal("85.00") and actual80.spend == Decimal("850")
    assert actual80.key == ("b1", "80", "actual", "2026-11")


def test_a_crossing_is_news_once_and_its_recovery_once():
    b = budget()
    first = crossed(b, TODAY, Decimal("820"), Decimal("900"))
    step1 = transitions(first, open_keys=[])
    assert {c.key for c in step1.crossed} == {
        ("b1", "80", "actual", "2026-11"), ("b1", "80", "forecast", "2026-11"),
    }  # fmt: skip
    opened = [c.key for c in step1.crossed]
    again = transitions(crossed(b, TODAY, Decimal("830"), Decimal("905")), opened)
    assert again.crossed == () and again.recovered == ()
    # The forecast falls back (a cluster deleted): only that one recovers.
    fell = transitions(crossed(b, TODAY, Decimal("830"), Decimal("790")), opened)
    assert fell.crossed == ()
    assert fell.recovered == (("b1", "80", "forecast", "2026-11"),)


def test_a_new_period_closes_the_last_ones_crossings_and_may_cross_afresh():
    b = budget()
    november = [c.key for c in crossed(b, TODAY, Decimal("990"), Decimal("990"))]
    december = crossed(b, date(2026, 12, 2), Decimal("50"), Decimal("850"))
    step = transitions(december, november)
    assert {c.key for c in step.crossed} == {("b1", "80", "forecast", "2026-12")}
    assert set(step.recovered) == set(november)


def test_scopes_cover_what_they_name():
    tags = {"team": "data", "env": "prod"}
    assert Scope("workspace").covers("aws", None, {})
    assert Scope("provider", "gcp").covers("gcp", "c1", {})
    assert not Scope("provider", "gcp").covers("aws", "c1", {})
    assert Scope("cluster", "c1").covers("aws", "c1", {})
    assert not Scope("cluster", "c1").covers("aws", None, {})
    assert Scope("tag", "team=data").covers("azure", None, tags)
    assert not Scope("tag", "team=web").covers("azure", None, tags)


def test_a_monthly_budget_takes_a_full_month_of_the_request_and_longer_ones_the_rest():
    assert period_impact(Decimal("300"), "monthly", date(2026, 11, 29)) == Decimal("300.00")
    # 42 days left of Q4 from Nov 20: 42 / 30.4375 months.
    assert period_impact(Decimal("300"), "quarterly", TODAY) == Decimal("413.96")


def test_under_every_budget_the_request_is_allowed():
    decision = guardrail([CoveringBudget(budget(mode="enforce"), Decimal("500"))],
                         Decimal("400"), TODAY)  # fmt: skip
    assert decision.action == "allow" and decision.warnings == ()


def test_a_warn_budget_lets_the_request_through_with_the_numbers():
    decision = guardrail([CoveringBudget(budget(), Decimal("700"))], Decimal("400"), TODAY)
    assert decision.action == "warn"
    (warning,) = decision.warnings
    assert warning["code"] == "BUDGET_WOULD_BE_EXCEEDED"
    assert (warning["forecast"], warning["estimate"], warning["projected"]) == (
        "700", "400.00", "1100.00",
    )  # fmt: skip


def test_an_enforce_budget_refuses_with_budget_estimate_and_forecast():
    covering = [
        CoveringBudget(budget(), Decimal("100")),
        CoveringBudget(budget(budget_id="b2", name="hard", mode="enforce"), Decimal("900")),
    ]
    with pytest.raises(BudgetExceeded) as info:
        guardrail(covering, Decimal("150"), TODAY)
    err = info.value
    assert err.status == 409 and err.code == "BUDGET_EXCEEDED"
    (only,) = err.details["budgets"]
    assert only["budget_id"] == "b2" and only["forecast"] == "900"
    assert only["estimate"] == "150.00" and only["percent"] == "105.00"
    assert err.details["estimate"] == "150"


def test_an_admin_may_override_and_nobody_else():
    covering = [CoveringBudget(budget(mode="enforce"), Decimal("990"))]
    decision = guardrail(covering, Decimal("50"), TODAY, override=True, is_admin=True)
    assert decision.action == "override" and decision.findings[0].budget_id == "b1"
    with pytest.raises(BudgetOverrideForbidden):
        guardrail(covering, Decimal("50"), TODAY, override=True, is_admin=False)


@given(
    st.decimals(min_value=1, max_value=10_000, places=2),
    st.decimals(min_value=0, max_value=20_000, places=2),
    st.decimals(min_value=0, max_value=20_000, places=2),
)
def test_the_crossed_thresholds_are_exactly_those_at_or_below_the_percentage(amount, a, f):
    b = budget(amount=amount, thresholds=(Decimal("50"), Decimal("80"), Decimal("100")))
    found = crossed(b, TODAY, a, f)
    for kind, spend in (("actual", a), ("forecast", f)):
        pct = (spend * 100 / amount).quantize(Decimal("0.01"))
        got = {c.threshold for c in found if c.kind == kind}
        assert got == {t for t in b.thresholds if pct >= t}
