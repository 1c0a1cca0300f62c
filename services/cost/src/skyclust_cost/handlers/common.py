"""What every cost use case shares: its dependencies and the credentials it reads with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ..adapters.billing.base import BillingCollector
from ..adapters.repositories import CostUnitOfWork
from ..domain.run_rate import PriceLookup

SOURCE = "cost"
CredentialDecrypt = Callable[[str, str, str, str], Awaitable[dict[str, Any]]]


def utc_today() -> date:
    return datetime.now(UTC).date()


@dataclass
class CostDeps:
    uow: Callable[[], CostUnitOfWork]
    collectors: Mapping[str, BillingCollector]
    decrypt_credential: CredentialDecrypt
    # The hourly price of an instance type, for estimates.
    price: PriceLookup = lambda provider, kind: None
    today: Callable[[], date] = utc_today
    # Days read back on each scheduled collection: the clouds revise recent days.
    collect_days: int = 7
