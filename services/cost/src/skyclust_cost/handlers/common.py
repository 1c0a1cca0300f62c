"""What every cost use case shares: its dependencies and the credentials it reads with."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ..adapters.billing.base import BillingCollector, ForecastReader
from ..adapters.pricing import PriceList
from ..adapters.repositories import CostUnitOfWork
from ..domain.prices import PriceBook
from ..domain.records import CloudForecast, CostWarning
from ..domain.run_rate import PriceLookup

SOURCE = "cost"
CredentialDecrypt = Callable[[str, str, str, str], Awaitable[dict[str, Any]]]


def utc_today() -> date:
    return datetime.now(UTC).date()


@dataclass
class Prices:
    """The prices estimates use: the cached pricing-API prices still within their TTL
    over the shipped table, reloaded after each refresh; `warnings` says which clouds'
    prices are the defaults, and why."""

    book: PriceBook = field(default_factory=PriceBook)
    warnings: list[CostWarning] = field(default_factory=list)

    def hourly(self, provider: str, name: str, region: str = "*") -> Decimal | None:
        return self.book.hourly(provider, name, region)


Key = tuple[uuid.UUID, date, date]


@dataclass
class ForecastCache:
    """Each credential's last answer for a window, until `ttl_seconds` after it came."""

    clock: Callable[[], float] = time.monotonic
    entries: dict[Key, tuple[float, CloudForecast]] = field(default_factory=dict)

    def get(self, key: Key, ttl_seconds: float) -> CloudForecast | None:
        found = self.entries.get(key)
        if found is None or self.clock() - found[0] >= ttl_seconds:
            self.entries.pop(key, None)
            return None
        return found[1]

    def put(self, key: Key, value: CloudForecast, ttl_seconds: float) -> None:
        now = self.clock()
        # Yesterday's windows are never asked again: dropped as they expire.
        for old in [k for k, (at, _) in self.entries.items() if now - at >= ttl_seconds]:
            del self.entries[old]
        self.entries[key] = (now, value)


@dataclass
class CostDeps:
    uow: Callable[[], CostUnitOfWork]
    collectors: Mapping[str, BillingCollector]
    decrypt_credential: CredentialDecrypt
    # The hourly price of an instance type, for estimates.
    price: PriceLookup = lambda provider, kind, region: None
    today: Callable[[], date] = utc_today
    # Days read back on each scheduled collection: the clouds revise recent days.
    collect_days: int = 7
    # Each cloud's pricing API, and how long what it answered is used for.
    price_lists: Mapping[str, PriceList] = field(default_factory=dict)
    price_ttl_seconds: float = 86400.0
    prices: Prices = field(default_factory=Prices)
    # The clouds' own forecasts (handlers/cloud_forecasts.py), kept for price_ttl_seconds.
    forecasters: Mapping[str, ForecastReader] = field(default_factory=dict)
    cloud_forecast_timeout: float = 10.0
    forecast_cache: ForecastCache = field(default_factory=ForecastCache)
