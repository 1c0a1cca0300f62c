"""Periods and what is derived from a daily series: the window a period covers, the
previous window of the same length, the seed's trend (second half against first half)
and the comparison of two totals. No I/O: the store sums, this reads the sums."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .errors import InvalidBreakdown, InvalidPeriod, InvalidProvider, InvalidResourceTypes

PERIOD_DAYS = {"7d": 7, "1m": 30, "3m": 90, "6m": 180, "1y": 365}
DIMENSIONS = ("service", "provider", "region", "cluster", "node_group")
RESOURCE_TYPES = ("vm", "cluster")
# A change under this share of the first half is noise, not a trend (the seed's 5%).
STABLE_PERCENT = Decimal(5)


@dataclass(frozen=True)
class Window:
    """Days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Window:
        return Window(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


@dataclass(frozen=True)
class Scope:
    """What a read covers: one workspace's days, resource types and maybe one cloud."""

    workspace_id: uuid.UUID
    start: date
    end: date
    resource_types: frozenset[str]
    provider: str | None
    period: str = "1m"


def window(period: str, today: date) -> Window:
    """The period's days up to and including today (today's cost so far counts)."""
    days = PERIOD_DAYS.get(period)
    if days is None:
        raise InvalidPeriod(f"period must be one of {', '.join(PERIOD_DAYS)}, not {period!r}")
    return Window(today - timedelta(days=days - 1), today)


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first days of the first and last calendar month wholly inside start..end."""
    first = start if start.day == 1 else next_month(start)
    after = next_month(end) if next_month(end) - timedelta(days=1) == end else month_of(end)
    if first >= after:
        return None
    return first, month_of(after - timedelta(days=1))


def resource_types(value: str) -> frozenset[str]:
    if value == "all":
        return frozenset(RESOURCE_TYPES)
    parts = frozenset(p.strip() for p in value.split(","))
    if not parts or not parts <= set(RESOURCE_TYPES):
        raise InvalidResourceTypes(
            f"resource_types must be all, vm, cluster or vm,cluster, not {value!r}"
        )
    return parts


def dimension(by: str) -> tuple[str, str | None]:
    """(dimension, tag key): `tag:team` is ("tag", "team")."""
    if by in DIMENSIONS:
        return by, None
    if by.startswith("tag:") and 0 < len(by) - 4 <= 128:
        return "tag", by[4:]
    raise InvalidBreakdown(f"by must be one of {', '.join(DIMENSIONS)} or tag:<key>, not {by!r}")


def dense(days: Window, amounts: dict[date, Decimal]) -> list[tuple[date, Decimal]]:
    """Every day of the window, a day with no cost as zero, so halves count days."""
    return [(d, amounts.get(d, Decimal(0))) for d in days.dates()]


def percent(change: Decimal, base: Decimal) -> Decimal | None:
    if base == 0:
        return None
    return change * 100 / base


@dataclass(frozen=True)
class Trend:
    first_half: Decimal
    second_half: Decimal
    change: Decimal
    change_percent: Decimal | None
    direction: str


def trend(series: Sequence[tuple[date, Decimal]]) -> Trend:
    """The seed's trend: the later half of the days against the earlier half; with an
    odd number of days the middle day belongs to the later half."""
    middle = len(series) // 2
    first = sum((a for _, a in series[:middle]), Decimal(0))
    second = sum((a for _, a in series[middle:]), Decimal(0))
    change = second - first
    share = percent(change, first)
    if share is None:
        direction = "increasing" if change > 0 else "stable"
    elif share > STABLE_PERCENT:
        direction = "increasing"
    elif share < -STABLE_PERCENT:
        direction = "decreasing"
    else:
        direction = "stable"
    return Trend(first, second, change, share, direction)


PROVIDERS = ("aws", "gcp", "azure")


def provider(value: str | None) -> str | None:
    if value is None or value in PROVIDERS:
        return value
    raise InvalidProvider(f"provider must be one of {', '.join(PROVIDERS)}, not {value!r}")
