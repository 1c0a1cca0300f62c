"""Cost forecast backtest: the seasonal run-rate model against the seed's linear regression.

Synthetic daily cost per seed: a slowly growing base, weekends at 65% of weekdays,
Gaussian noise, and one run-rate step (a cluster created or deleted: +-15..40% of the base) at
a random day of the last 60 days of history. Each series is cut at several origins; at
each one both models fit the history before it and forecast the next
COST_FORECAST_HORIZON days, which are scored by MAPE. The step is given to the seasonal
model as the caller (the cost service) knows it: its day and its estimated size, with
the size off by up to 25%, as an estimate from list prices is.

Reported: each model's mean and worst MAPE over all cuts, their ratio (target < 1),
the 95% interval's coverage of the actual days, and the seasonal model's fit time.
COST_FORECAST_SEEDS (10), COST_FORECAST_HORIZON (30) and COST_FORECAST_HISTORY (365)
change the run. Results go to bench/results/cost_forecast.json. It starts no platform:
`python -m bench.cost_forecast`."""

from __future__ import annotations

import json
import os
import platform as host
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from skyclust_cost.domain.forecast import RunRateStep, forecast, linear_forecast, mape

SEEDS = int(os.environ.get("COST_FORECAST_SEEDS", "10"))
HORIZON = int(os.environ.get("COST_FORECAST_HORIZON", "30"))
HISTORY = int(os.environ.get("COST_FORECAST_HISTORY", "365"))
ORIGINS = (0, 7, 14)  # extra days of history before each cut, so every weekday starts one
START = date(2025, 1, 1)


def series(seed: int) -> tuple[list[tuple[date, float]], RunRateStep]:
    rnd = random.Random(seed)
    days = HISTORY + max(ORIGINS) + HORIZON
    base, growth = rnd.uniform(50, 400), rnd.uniform(-0.02, 0.08)
    weekend = rnd.uniform(0.5, 0.8)
    noise = base * rnd.uniform(0.01, 0.05)
    step_at = HISTORY - rnd.randint(3, 60)
    delta = rnd.choice((-1, 1)) * rnd.uniform(15, 40) * base / 100
    out = []
    for i in range(days):
        d = START + timedelta(days=i)
        value = (base + growth * i) * (weekend if d.weekday() >= 5 else 1.0)
        value += delta if i >= step_at else 0.0
        out.append((d, max(value + rnd.gauss(0, noise), 0.0)))
    told = delta * rnd.uniform(0.75, 1.25)
    return out, RunRateStep(START + timedelta(days=step_at), told)


def main() -> dict[str, Any]:
    ours, seeds_, coverage, fit_ms = [], [], [], []
    for seed in range(SEEDS):
        data, step = series(seed)
        for extra in ORIGINS:
            cut = HISTORY + extra
            past, future = data[:cut], [v for _, v in data[cut : cut + HORIZON]]
            began = time.perf_counter()
            result = forecast(past, HORIZON, [step])
            fit_ms.append((time.perf_counter() - began) * 1000)
            ours.append(mape(future, [p.mean for p in result.points]))
            seeds_.append(mape(future, [p.mean for p in linear_forecast(past, HORIZON).points]))
            pairs = zip(result.points, future, strict=True)
            inside = sum(p.lower_95 <= a <= p.upper_95 for p, a in pairs)
            coverage.append(inside / HORIZON)
    mean_ours, mean_seed = statistics.fmean(ours), statistics.fmean(seeds_)
    result_: dict[str, Any] = {
        "machine": f"{host.machine()}, {os.cpu_count()} cores, Python {host.python_version()}",
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "seeds": SEEDS,
        "cuts": len(ours),
        "history_days": HISTORY,
        "horizon_days": HORIZON,
        "seasonal_steps_mape_mean": round(mean_ours, 2),
        "seasonal_steps_mape_max": round(max(ours), 2),
        "linear_mape_mean": round(mean_seed, 2),
        "linear_mape_max": round(max(seeds_), 2),
        "ratio_seasonal_to_linear": round(mean_ours / mean_seed, 3),
        "seasonal_better_on_every_cut": all(a < b for a, b in zip(ours, seeds_, strict=True)),
        "interval_95_coverage": round(statistics.fmean(coverage), 3),
        "fit_ms_median": round(statistics.median(fit_ms), 2),
        "fit_ms_max": round(max(fit_ms), 2),
        "target_met": mean_ours < mean_seed,
    }
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "cost_forecast.json").write_text(json.dumps(result_, indent=2) + "\n")
    print(json.dumps(result_, indent=2))
    return result_


if __name__ == "__main__":
    main()
