"""Accrual shared by the three local clouds: what runs costs by the hour of the emulator clock.

Each cloud lists its *meters* (one per billable thing: a cluster's control plane, a node
group's instances...) from its live state after every request; the ledger opens a segment
when a meter appears or changes (node count, tags) and closes it when it changes again or
disappears, so scaling and deletion count from the moment they happen. The billing APIs
read daily line items cut from those segments, plus seeded synthetic history.

Billing runs at ``speed`` times the emulator clock, anchored at now: at speed 1440 a cluster
made a real minute ago has run for a day, dated yesterday, so a consumer asking for "the
last 7 days" by its own wall clock sees it.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ._core import JSON, Clock

_log = logging.getLogger(__name__)
DAY = 86400.0
DEFAULT_WEEKLY = (1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.5)  # Monday first


@dataclass(frozen=True)
class Meter:
    """Something billed per hour: ``quantity`` units at ``unit_price`` each."""

    key: str
    account: str  # AWS account, GCP project, Azure subscription
    service: str
    region: str
    sku: str  # instance type or the cloud's SKU description
    sku_id: str
    unit_price: float
    quantity: float = 1.0
    unit: str = "Hrs"
    resource_id: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    extra: tuple[tuple[str, str], ...] = ()  # cloud-specific columns (resource group...)

    @property
    def tag_map(self) -> dict[str, str]:
        return dict(self.tags)

    @property
    def extra_map(self) -> dict[str, str]:
        return dict(self.extra)


def pairs(mapping: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in (mapping or {}).items()))


@dataclass(frozen=True)
class LineItem:
    day: dt.date
    meter: Meter
    usage: float  # quantity x hours
    cost: float
    start: float  # billing time, seconds since the epoch
    end: float


@dataclass
class _Segment:
    meter: Meter
    start: float  # emulator-clock time
    end: float | None = None


class BillingClock:
    """Billing time: ``speed`` x the ledger's clock, equal to the emulator clock at present.

    The ledger's clock is the emulator clock plus what ``advance`` added: moving billing on
    without moving the emulator clock (whose tokens would then look expired to the SDKs)
    shifts what was billed into the past instead.
    """

    def __init__(self, clock: Clock, speed: float = 1.0) -> None:
        self._clock = clock
        self._initial = self._check(speed)
        self._changes: list[tuple[float, float]] = [(-math.inf, self._initial)]
        self._extra = 0.0

    @staticmethod
    def _check(speed: float) -> float:
        speed = float(speed)
        if not 0 < speed <= 1_000_000:
            raise ValueError("billing speed must be > 0 and <= 1000000")
        return speed

    @property
    def speed(self) -> float:
        return self._changes[-1][1]

    def set_speed(self, speed: float) -> None:
        self._changes.append((self._clock.now(), self._check(speed)))

    def reset(self) -> None:
        self._changes = [(-math.inf, self._initial)]
        self._extra = 0.0

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("billing time only moves forward")
        self._extra += seconds

    def now(self) -> float:
        """The ledger's clock, which segments are recorded in."""
        return self._clock.now() + self._extra

    def present(self) -> float:
        """The emulator clock: what "now" and "today" mean to the billing APIs."""
        return self._clock.now()

    def billing_time(self, t: float) -> float:
        now, present = self.now(), self._clock.now()
        if t >= now:
            return present + (t - now)
        total, upper = 0.0, now
        for start, speed in reversed(self._changes):
            lower = max(start, t)
            if upper > lower:
                total += (upper - lower) * speed
            upper = start
            if start <= t:
                break
        return present - total


def day_of(ts: float) -> dt.date:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).date()


def midnight(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()


@dataclass
class Ledger:
    clock: BillingClock
    _open: dict[str, _Segment] = field(default_factory=dict)
    _closed: list[_Segment] = field(default_factory=list)
    _seeded: list[LineItem] = field(default_factory=list)

    def observe(self, meters: Iterable[Meter]) -> None:
        """Bring the open segments in line with what runs now."""
        now = self.clock.now()
        current = {m.key: m for m in meters if m.quantity > 0}
        for key, segment in list(self._open.items()):
            if current.get(key) != segment.meter:
                segment.end = now
                self._closed.append(self._open.pop(key))
        for key, meter in current.items():
            if key not in self._open:
                self._open[key] = _Segment(meter, now)

    def observe_safely(self, meters: Callable[[], Iterable[Meter]]) -> None:
        """`observe`, for the request path: a billing bug must not fail the cloud's own API."""
        try:
            self.observe(meters())
        except Exception:
            _log.exception("billing: could not observe what runs")

    def reset(self) -> None:
        self._open.clear()
        self._closed.clear()
        self._seeded.clear()
        self.clock.reset()

    def running(self, keep: Callable[[Meter], bool] | None = None) -> list[Meter]:
        return [s.meter for s in self._open.values() if keep is None or keep(s.meter)]

    def items(self, start: float, end: float, account: str | None = None) -> list[LineItem]:
        """Daily line items overlapping [start, end) in billing time, oldest first."""
        out: list[LineItem] = []
        now = self.clock.now()
        for segment in [*self._closed, *self._open.values()]:
            meter = segment.meter
            if account is not None and meter.account != account:
                continue
            lo = max(self.clock.billing_time(segment.start), start)
            hi = min(self.clock.billing_time(segment.end if segment.end is not None else now), end)
            while lo < hi:
                day = day_of(lo)
                cut = min(hi, midnight(day) + DAY)
                hours = (cut - lo) / 3600
                usage = hours * meter.quantity
                out.append(LineItem(day, meter, usage, usage * meter.unit_price, lo, cut))
                lo = cut
        for item in self._seeded:
            if (account is None or item.meter.account == account) and (
                item.start < end and item.end > start
            ):
                out.append(item)
        out.sort(key=lambda i: (i.start, i.meter.key))
        return out

    def seed(self, spec: Mapping[str, Any]) -> int:
        """Synthetic daily history ending yesterday (billing time); returns the items added."""
        known = {
            "account",
            "days",
            "daily_cost",
            "weekly_pattern",
            "service",
            "region",
            "sku",
            "tags",
            "step_days_ago",
            "step_factor",
            "noise",
            "seed",
        }
        unknown = set(spec) - known
        if unknown:
            raise ValueError(f"unknown history fields: {sorted(unknown)}")
        days = int(spec["days"])
        daily = float(spec["daily_cost"])
        weekly: Sequence[float] = spec.get("weekly_pattern") or DEFAULT_WEEKLY
        if not 1 <= days <= 3660 or daily < 0 or len(weekly) != 7:
            raise ValueError("days must be 1-3660, daily_cost >= 0, weekly_pattern 7 factors")
        step_days_ago = spec.get("step_days_ago")
        step_factor = float(spec.get("step_factor", 1.0))
        noise = float(spec.get("noise", 0.0))
        rng = random.Random(spec.get("seed", 0))
        template = Meter(
            key="",
            account=str(spec["account"]),
            service=str(spec["service"]),
            region=str(spec["region"]),
            sku=str(spec.get("sku") or "synthetic"),
            sku_id="synthetic",
            unit_price=0.0,
            tags=pairs(spec.get("tags")),
        )
        today = day_of(self.clock.present())
        series = len(self._seeded)
        added = 0
        for back in range(days, 0, -1):
            day = today - dt.timedelta(days=back)
            cost = daily * float(weekly[day.weekday()])
            if step_days_ago is not None and back <= int(step_days_ago):
                cost *= step_factor
            if noise:
                cost *= max(0.0, 1 + rng.gauss(0, noise))
            key = f"seed:{template.account}:{series}:{day}"
            meter = replace(template, key=key, unit_price=cost / 24)
            begin = midnight(day)
            self._seeded.append(LineItem(day, meter, 24.0, cost, begin, begin + DAY))
            added += 1
        return added

    def forecast_day(self, day: dt.date, keep: Callable[[Meter], bool] | None = None) -> float:
        """What a future day should cost: what runs now (a day of it), plus the seeded
        history's mean for that weekday over the last four weeks."""
        today = day_of(self.clock.present())
        weekday = [
            i.cost
            for i in self._seeded
            if (keep is None or keep(i.meter))
            and i.day.weekday() == day.weekday()
            and (today - i.day).days <= 28
        ]
        history = sum(weekday) / len(weekday) if weekday else 0.0
        running = sum(m.quantity * m.unit_price * 24 for m in self.running(keep))
        return running + history


def admin_billing(ledger: Ledger, method: str, path: str, body: JSON) -> tuple[int, Any]:
    """``/_emulator/billing[/history|/items]``, shared by the three emulators."""
    if path == "billing":
        if method == "PUT" and "speed" in body:
            ledger.clock.set_speed(float(body["speed"]))
        elif method == "POST":
            ledger.clock.advance(float(body.get("advance_seconds", 0)))
        elif method != "GET":
            return 405, {"error": f"{method} is not allowed here"}
        return 200, {"speed": ledger.clock.speed, "now": ledger.clock.present()}
    if path == "billing/history" and method == "POST":
        return 201, {"items": ledger.seed(body)}
    if path == "billing/items" and method == "POST":
        today = day_of(ledger.clock.present())
        start = _instant(body.get("start"), today - dt.timedelta(days=31))
        end = _instant(body.get("end"), today + dt.timedelta(days=1))
        account = body.get("account")
        return 200, [render_item(i) for i in ledger.items(start, end, account)]
    return 404, {"error": "no such admin endpoint"}


def _instant(value: Any, default: dt.date) -> float:
    if value is None:
        return midnight(default)
    text = str(value)
    if len(text) == 10:
        return midnight(dt.date.fromisoformat(text))
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def render_item(item: LineItem) -> JSON:
    m = item.meter
    return {
        "date": item.day.isoformat(),
        "account": m.account,
        "service": m.service,
        "region": m.region,
        "sku": m.sku,
        "resource_id": m.resource_id,
        "tags": m.tag_map,
        "usage": round(item.usage, 6),
        "unit": m.unit,
        "cost": round(item.cost, 6),
    }
