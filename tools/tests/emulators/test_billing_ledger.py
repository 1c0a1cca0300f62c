"""The accrual every local cloud bills by: segments opened and closed as meters change,
cut into daily line items in billing time, at any speed, with seeded history."""

from __future__ import annotations

import datetime as dt

import pytest

from skyclust_tools.emulators._billing import BillingClock, Ledger, Meter
from skyclust_tools.emulators._core import Clock

pytestmark = pytest.mark.unit

HOUR = 3600.0
START = dt.datetime(2026, 12, 2, 20, 0, tzinfo=dt.UTC).timestamp()  # a Wednesday, 20:00


class FrozenClock(Clock):
    def now(self) -> float:
        return START + self.offset


def _meter(quantity: float = 2, price: float = 0.5) -> Meter:
    return Meter("ng#nodes", "acct", "Compute", "r1", "t", "t", price, quantity)


def _ledger(speed: float = 1.0) -> tuple[Clock, Ledger]:
    clock = FrozenClock()
    return clock, Ledger(BillingClock(clock, speed))


def _by_day(ledger: Ledger) -> dict[dt.date, float]:
    out: dict[dt.date, float] = {}
    for item in ledger.items(START - 30 * 86400, START + 30 * 86400):
        out[item.day] = out.get(item.day, 0.0) + item.cost
    return out


def test_a_meter_accrues_quantity_times_price_per_hour_cut_at_midnight() -> None:
    clock, ledger = _ledger()
    ledger.observe([_meter()])
    clock.advance(6 * HOUR)

    assert _by_day(ledger) == {
        dt.date(2026, 12, 2): pytest.approx(4 * 2 * 0.5),
        dt.date(2026, 12, 3): pytest.approx(2 * 2 * 0.5),
    }


def test_a_change_closes_the_segment_and_a_vanished_meter_stops_accruing() -> None:
    clock, ledger = _ledger()
    ledger.observe([_meter(quantity=4)])
    clock.advance(HOUR)
    ledger.observe([_meter(quantity=1)])
    clock.advance(HOUR)
    ledger.observe([])
    clock.advance(10 * HOUR)

    assert sum(_by_day(ledger).values()) == pytest.approx((4 + 1) * 0.5)
    assert ledger.running() == []


def test_speed_bills_that_many_seconds_per_clock_second_and_keeps_what_was_billed() -> None:
    clock, ledger = _ledger()
    ledger.observe([_meter(quantity=1, price=1.0)])
    clock.advance(HOUR)
    ledger.clock.set_speed(1440)
    clock.advance(60)  # a billed day

    assert sum(_by_day(ledger).values()) == pytest.approx(1 + 24)
    # billing time ends now, so the day of accrual lies in the past
    latest = max(i.end for i in ledger.items(0, START * 2))
    assert latest == pytest.approx(clock.now())


def test_advancing_billing_alone_moves_history_into_the_past() -> None:
    clock, ledger = _ledger()
    ledger.observe([_meter(quantity=1, price=1.0)])
    ledger.clock.advance(30 * HOUR)

    items = ledger.items(0, START * 2)
    assert sum(i.cost for i in items) == pytest.approx(30)
    assert min(i.start for i in items) == pytest.approx(START - 30 * HOUR)
    assert max(i.end for i in items) == pytest.approx(clock.now())


def test_seeded_history_follows_the_weekly_pattern_and_the_step() -> None:
    _, ledger = _ledger()
    added = ledger.seed(
        {
            "account": "acct",
            "days": 14,
            "daily_cost": 10,
            "service": "s",
            "region": "r",
            "weekly_pattern": [1, 1, 1, 1, 1, 0.5, 0.5],
            "step_days_ago": 7,
            "step_factor": 2,
        }
    )

    days = _by_day(ledger)
    assert added == 14 == len(days)
    assert max(days) == dt.date(2026, 12, 1)  # ends yesterday
    assert days[dt.date(2026, 11, 23)] == pytest.approx(10)  # a Monday, before the step
    assert days[dt.date(2026, 11, 30)] == pytest.approx(20)  # a Monday, after it
    assert days[dt.date(2026, 11, 22)] == pytest.approx(5)  # a Sunday, before it
    assert days[dt.date(2026, 11, 29)] == pytest.approx(10)  # a Sunday, after it


def test_the_forecast_is_the_run_rate_plus_the_weekday_mean() -> None:
    _, ledger = _ledger()
    ledger.seed(
        {
            "account": "acct",
            "days": 28,
            "daily_cost": 10,
            "service": "s",
            "region": "r",
            "weekly_pattern": [1, 1, 1, 1, 1, 0, 0],
        }
    )
    ledger.observe([_meter(quantity=1, price=1.0)])

    assert ledger.forecast_day(dt.date(2026, 12, 7)) == pytest.approx(24 + 10)  # a Monday
    assert ledger.forecast_day(dt.date(2026, 12, 6)) == pytest.approx(24)  # a Sunday


@pytest.mark.parametrize("speed", [0, -1, 2_000_000])
def test_a_speed_out_of_range_is_refused(speed: float) -> None:
    _, ledger = _ledger()
    with pytest.raises(ValueError, match="speed"):
        ledger.clock.set_speed(speed)
