"""A budget's standing: actual spend of this period only, a forecast for the whole
period that starts from the actual, and the thresholds those cross."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from skyclust_cost.domain.budget_status import budget_status
from skyclust_cost.domain.budgets import Budget, Scope
from skyclust_cost.domain.forecast import RunRateStep


def monthly(amount: str) -> Budget:
    return Budget("b1", "w1", "team", Decimal(amount), "USD", "monthly", Scope("workspace"))


def flat(days: int, per_day: str, end: date) -> list[tuple[date, Decimal]]:
    return [(end - timedelta(days=i), Decimal(per_day)) for i in range(days)]


def test_actual_counts_this_period_only_and_the_forecast_adds_the_days_left():
    today = date(2026, 11, 10)
    status = budget_status(monthly("1000"), flat(90, "10", today), today)
    assert status.period_key == "2026-11"
    assert status.actual == Decimal("100.00")  # Nov 1..10
    assert abs(status.forecast - Decimal("300.00")) < Decimal("1")  # 20 more days at ~10
    assert status.forecast_lower_95 <= status.forecast <= status.forecast_upper_95
    assert status.crossed == ()


def test_a_forecast_past_a_threshold_is_crossed_before_the_actual_is():
    today = date(2026, 11, 10)
    status = budget_status(monthly("360"), flat(90, "10", today), today)
    assert {(c.kind, str(c.threshold)) for c in status.crossed} == {("forecast", "80")}
    # A cluster created yesterday at 20 a day more: the forecast passes 100% too.
    step = budget_status(
        monthly("360"), flat(90, "10", today), today, [RunRateStep(date(2026, 11, 9), 20.0)]
    )
    assert {(c.kind, str(c.threshold)) for c in step.crossed} == {
        ("forecast", "80"),
        ("forecast", "100"),
    }


def test_the_last_day_of_the_period_forecasts_nothing_more():
    today = date(2026, 11, 30)
    status = budget_status(monthly("250"), flat(40, "10", today), today)
    assert status.actual == status.forecast == Decimal("300.00")
    kinds = {(c.kind, str(c.threshold)) for c in status.crossed}
    assert kinds == {("actual", "80"), ("actual", "100"), ("forecast", "80"), ("forecast", "100")}


def test_no_cost_yet_is_nothing_spent_and_nothing_forecast():
    status = budget_status(monthly("100"), [], date(2026, 11, 3))
    assert status.actual == status.forecast == Decimal("0.00")
    assert status.as_dict()["crossed"] == []
