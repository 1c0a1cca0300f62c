"""A budget's standing in its current period: actual spend so far, the forecast for the
whole period (actual so far plus the forecast of the days left), and the thresholds
crossed. The periodic check, the on-new-cost check and `GET /budgets/{id}` all read it,
so they never disagree about a budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from .budgets import Budget, Crossing, crossed, period_key, period_window
from .estimate import cents
from .forecast import RunRateStep, forecast


@dataclass(frozen=True)
class BudgetStatus:
    budget: Budget
    period_key: str
    period_start: date
    period_end: date
    actual: Decimal
    forecast: Decimal
    forecast_lower_95: Decimal
    forecast_upper_95: Decimal
    crossed: tuple[Crossing, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "period_key": self.period_key,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "actual": str(self.actual),
            "forecast": str(self.forecast),
            "forecast_interval_95": [str(self.forecast_lower_95), str(self.forecast_upper_95)],
            "crossed": [c.as_dict() for c in self.crossed],
        }


def budget_status(
    budget: Budget,
    daily: Sequence[tuple[date, Decimal]],
    today: date,
    steps: Sequence[RunRateStep] = (),
) -> BudgetStatus:
    """`daily` is the budget scope's cost per day up to and including `today`, as far
    back as the forecast should learn from (a few months, not only this period)."""
    start, end = period_window(budget.period, today)
    history = sorted((d, v) for d, v in daily if d <= today)
    actual = cents(sum((v for d, v in history if d >= start), Decimal("0")))
    days_left = (end - today).days - 1
    if days_left > 0 and (history or steps):
        # No cost yet but clusters running: the forecast is their run-rate from a zero.
        learnt = history or [(today, Decimal("0"))]
        ahead = forecast([(d, float(v)) for d, v in learnt], days_left, steps)
        rest = Decimal(repr(ahead.total))
        low, high = Decimal(repr(ahead.total_lower_95)), Decimal(repr(ahead.total_upper_95))
    else:
        rest = low = high = Decimal("0")
    projected = cents(actual + rest)
    return BudgetStatus(
        budget=budget,
        period_key=period_key(budget.period, today),
        period_start=start,
        period_end=end,
        actual=actual,
        forecast=projected,
        forecast_lower_95=cents(actual + low),
        forecast_upper_95=cents(actual + high),
        crossed=tuple(crossed(budget, today, actual, projected)),
    )
