"""Forecasting daily cost: the next `horizon_days` with 80% and 95% intervals.

Cloud cost is a run-rate: it moves in steps when clusters are created, scaled or
deleted, and it has a weekly shape (dev clusters scaled down at weekends, batch jobs on
weekdays). `forecast` fits one least-squares model with a level, a trend, a dummy per
weekday and a level shift at each run-rate step the caller knows of. A step with a
week or more of history after it has its size measured from the data; a younger one
(or one still to come) is taken at the size the caller gives, since a few days cannot
tell a step from noise. The intervals are the model's prediction intervals, so they
widen with the residual noise and with the distance from the data.

`linear_forecast` is the seed's straight line through the whole series, kept to
compare against (bench/cost_forecast.py backtests both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from .errors import InsufficientCostHistory

Z_LEVELS = (0.80, 0.95)
MEASURED_STEP_DAYS = 7  # history after a step needed to measure its size from the data
SEASONAL_MIN_DAYS = 14  # two of each weekday before the weekly shape is fitted


@dataclass(frozen=True)
class RunRateStep:
    """From `day` on, the daily cost changes by `delta_per_day` (a cluster created,
    scaled or deleted: its monthly estimate / 30.4, signed)."""

    day: date
    delta_per_day: float


@dataclass(frozen=True)
class ForecastPoint:
    day: date
    mean: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float


@dataclass(frozen=True)
class Forecast:
    method: str
    points: tuple[ForecastPoint, ...]
    total: float
    total_lower_80: float
    total_upper_80: float
    total_lower_95: float
    total_upper_95: float

    def as_dict(self) -> dict[str, Any]:
        def money(x: float) -> str:
            return str(Decimal(repr(round(x, 2))).quantize(Decimal("0.01")))

        return {
            "method": self.method,
            "total": money(self.total),
            "intervals": {
                "80": [money(self.total_lower_80), money(self.total_upper_80)],
                "95": [money(self.total_lower_95), money(self.total_upper_95)],
            },
            "daily": [
                {
                    "date": p.day.isoformat(),
                    "mean": money(p.mean),
                    "lower_80": money(p.lower_80),
                    "upper_80": money(p.upper_80),
                    "lower_95": money(p.lower_95),
                    "upper_95": money(p.upper_95),
                }
                for p in self.points
            ],
        }


def _check(series: Sequence[tuple[date, float]], horizon_days: int) -> None:
    if not series:
        raise InsufficientCostHistory("no cost history to forecast from")
    if horizon_days <= 0:
        raise InsufficientCostHistory("horizon_days must be positive")


def _fit_and_predict(
    X: np.ndarray, y: np.ndarray, Xf: np.ndarray, offset: np.ndarray, method: str, days: list[date]
) -> Forecast:
    n, k = X.shape
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    dof = max(n - k, 1)
    sigma2 = float(resid @ resid) / dof
    xtx_inv = np.linalg.pinv(X.T @ X)
    mean = Xf @ beta + offset
    # Per-day variance of a new observation: the noise plus the uncertainty of the fit.
    var_day = sigma2 * (1.0 + np.einsum("ij,jk,ik->i", Xf, xtx_inv, Xf))
    # The total's variance: independent noise per day plus the fit's, which is shared.
    s = Xf.sum(axis=0)
    var_total = sigma2 * (len(days) + float(s @ xtx_inv @ s))
    # Imported here: scipy.stats takes seconds to import, which the service's start-up
    # (and its readiness on a loaded machine) should not wait for.
    import scipy.stats as stats

    quantiles = {level: float(stats.t.ppf(0.5 + level / 2, dof)) for level in Z_LEVELS}
    sd = np.sqrt(var_day)
    q80, q95 = quantiles[0.80], quantiles[0.95]
    clip = np.maximum
    points = tuple(
        ForecastPoint(
            day,
            max(float(mean[i]), 0.0),
            max(float(mean[i] - q80 * sd[i]), 0.0),
            max(float(mean[i] + q80 * sd[i]), 0.0),
            max(float(mean[i] - q95 * sd[i]), 0.0),
            max(float(mean[i] + q95 * sd[i]), 0.0),
        )
        for i, day in enumerate(days)
    )
    total = float(clip(mean, 0.0).sum())
    sd_total = float(np.sqrt(var_total))
    return Forecast(
        method,
        points,
        total,
        max(total - q80 * sd_total, 0.0),
        total + q80 * sd_total,
        max(total - q95 * sd_total, 0.0),
        total + q95 * sd_total,
    )


def _future_days(last: date, horizon_days: int) -> list[date]:
    return [last + timedelta(days=i) for i in range(1, horizon_days + 1)]


def linear_forecast(series: Sequence[tuple[date, float]], horizon_days: int) -> Forecast:
    """The seed's model: ordinary least squares of cost on the day number."""
    _check(series, horizon_days)
    y = np.array([float(v) for _, v in series])
    n = len(y)
    t = np.arange(n, dtype=float)
    X = np.column_stack([np.ones(n), t]) if n > 2 else np.ones((n, 1))
    tf = np.arange(n, n + horizon_days, dtype=float)
    Xf = np.column_stack([np.ones(horizon_days), tf]) if n > 2 else np.ones((horizon_days, 1))
    days = _future_days(series[-1][0], horizon_days)
    return _fit_and_predict(X, y, Xf, np.zeros(horizon_days), "linear", days)


def forecast(
    series: Sequence[tuple[date, float]],
    horizon_days: int,
    steps: Sequence[RunRateStep] = (),
) -> Forecast:
    """Weekly seasonality, a trend and the caller's run-rate steps (see the module)."""
    _check(series, horizon_days)
    days_hist = [d for d, _ in series]
    y = np.array([float(v) for _, v in series])
    n = len(y)
    first, last = days_hist[0], days_hist[-1]
    days_f = _future_days(last, horizon_days)
    t = np.array([(d - first).days for d in days_hist], dtype=float)
    tf = np.array([(d - first).days for d in days_f], dtype=float)

    cols, cols_f = [np.ones(n)], [np.ones(horizon_days)]
    if n >= SEASONAL_MIN_DAYS:
        wd = np.array([d.weekday() for d in days_hist])
        wdf = np.array([d.weekday() for d in days_f])
        for k in range(1, 7):
            cols.append((wd == k).astype(float))
            cols_f.append((wdf == k).astype(float))
    # Known steps: measured ones become regressors, young ones are subtracted as given.
    known = np.zeros(n)
    known_f = np.zeros(horizon_days)
    for step in sorted(steps, key=lambda s: s.day):
        after = np.array([d >= step.day for d in days_hist], dtype=float)
        after_f = np.array([d >= step.day for d in days_f], dtype=float)
        before_days = n - int(after.sum())
        if after.sum() >= MEASURED_STEP_DAYS and before_days >= MEASURED_STEP_DAYS:
            cols.append(after)
            cols_f.append(after_f)
        else:
            known += step.delta_per_day * after
            known_f += step.delta_per_day * after_f
    # A trend only where there is enough history to tell it from the steps and the week.
    if n >= 2 * SEASONAL_MIN_DAYS:
        scale = max(float(t[-1]), 1.0)
        cols.append(t / scale)
        cols_f.append(tf / scale)
    X = np.column_stack(cols)
    Xf = np.column_stack(cols_f)
    return _fit_and_predict(X, y - known, Xf, known_f, "seasonal_steps", days_f)


def mape(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """Mean absolute percentage error over the days with non-zero actual cost."""
    pairs = [(a, p) for a, p in zip(actual, predicted, strict=True) if a != 0]
    if not pairs:
        return 0.0
    return 100.0 * sum(abs(a - p) / abs(a) for a, p in pairs) / len(pairs)
