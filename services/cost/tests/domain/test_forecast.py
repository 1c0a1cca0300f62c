"""The forecast beats the seed's straight line on history with a weekly shape and a
run-rate step, its intervals are ordered and hold the actual days, and it is fast."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta

import pytest
from skyclust_cost.domain.errors import InsufficientCostHistory
from skyclust_cost.domain.forecast import (
    RunRateStep,
    forecast,
    linear_forecast,
    mape,
)

START = date(2026, 1, 1)


def history(days: int, *, step_day: int, delta: float, seed: int = 7) -> list[tuple[date, float]]:
    """Weekdays at ~100 a day, weekends at 65%, noise of 3, and +delta from step_day."""
    rnd = random.Random(seed)
    out = []
    for i in range(days):
        d = START + timedelta(days=i)
        value = (100 + 0.02 * i) * (0.65 if d.weekday() >= 5 else 1.0)
        value += delta if i >= step_day else 0.0
        out.append((d, max(value + rnd.gauss(0, 3), 0.0)))
    return out


def test_weekly_shape_and_step_beat_the_linear_regression_on_a_fixed_series():
    series = history(395, step_day=355, delta=40.0)
    past, future = series[:365], [v for _, v in series[365:]]
    step = RunRateStep(START + timedelta(days=355), 40.0)
    ours = mape(future, [p.mean for p in forecast(past, 30, [step]).points])
    seed = mape(future, [p.mean for p in linear_forecast(past, 30).points])
    assert ours < 4.0
    assert seed > 15.0
    assert ours < seed / 4


def test_a_step_too_young_to_measure_is_taken_at_the_callers_size():
    # A cluster created two days before the end: two days cannot say how big it is.
    series = history(120, step_day=118, delta=50.0)
    with_step = forecast(series, 14, [RunRateStep(START + timedelta(days=118), 50.0)])
    without = forecast(series, 14)
    gap = sum(a.mean - b.mean for a, b in zip(with_step.points, without.points, strict=True)) / 14
    assert 40 < gap < 60


def test_a_step_still_to_come_moves_only_the_days_from_it_on():
    series = history(90, step_day=10_000, delta=0.0)
    step_day = series[-1][0] + timedelta(days=8)
    shifted = forecast(series, 14, [RunRateStep(step_day, -30.0)])
    plain = forecast(series, 14)
    for a, b in zip(shifted.points, plain.points, strict=True):
        expected = -30.0 if a.day >= step_day else 0.0
        assert a.mean - b.mean == pytest.approx(expected, abs=1e-6)


def test_intervals_are_nested_and_hold_most_actual_days():
    series = history(395, step_day=200, delta=25.0, seed=3)
    past, future = series[:365], series[365:]
    result = forecast(past, 30, [RunRateStep(START + timedelta(days=200), 25.0)])
    inside_95 = 0
    for p, (_, actual) in zip(result.points, future, strict=True):
        assert p.lower_95 <= p.lower_80 <= p.mean <= p.upper_80 <= p.upper_95
        inside_95 += p.lower_95 <= actual <= p.upper_95
    assert inside_95 >= 27  # 95% of 30, less a little for one sample
    assert result.total_lower_95 <= result.total_lower_80 <= result.total
    assert result.total <= result.total_upper_80 <= result.total_upper_95
    assert result.total_lower_95 <= sum(v for _, v in future) <= result.total_upper_95


def test_a_year_is_forecast_in_milliseconds():
    series = history(365, step_day=300, delta=10.0)
    steps = [RunRateStep(START + timedelta(days=d), 5.0) for d in range(30, 360, 30)]
    began = time.perf_counter()
    forecast(series, 90, steps)
    assert time.perf_counter() - began < 0.1


def test_short_series_still_forecast_and_never_below_zero():
    for n in (1, 2, 5, 13):
        result = forecast([(START + timedelta(days=i), float(i % 2)) for i in range(n)], 7)
        assert len(result.points) == 7
        assert all(p.lower_95 >= 0 and p.mean >= 0 for p in result.points)
        assert result.points[0].day == START + timedelta(days=n)


@pytest.mark.parametrize("series,horizon", [([], 7), ([(START, 1.0)], 0)])
def test_no_history_or_no_horizon_is_a_named_error(series, horizon):
    with pytest.raises(InsufficientCostHistory):
        forecast(series, horizon)
    with pytest.raises(InsufficientCostHistory):
        linear_forecast(series, horizon)


def test_the_json_shape_carries_money_as_strings_with_both_intervals():
    out = forecast(history(60, step_day=999, delta=0.0), 3).as_dict()
    assert out["method"] == "seasonal_steps"
    assert set(out["intervals"]) == {"80", "95"}
    assert len(out["daily"]) == 3 and out["daily"][0]["mean"].count(".") == 1
