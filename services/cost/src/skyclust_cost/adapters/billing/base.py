"""One small interface per cloud's billing API: read the daily cost of a period as
normalised rows. Vendor errors are translated here, at the adapter boundary, into
BillingUnavailable carrying the seed's warning code, so the handler never sees an SDK."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Protocol, TypeVar

from skyclust_common.cloud import blocking

from ...domain.records import CloudForecast, CostRow, CostWarning

T = TypeVar("T")


class BillingUnavailable(Exception):
    """The billing API could not be read for this credential; the answer falls back to
    estimates and carries `warning`."""

    def __init__(self, warning: CostWarning) -> None:
        super().__init__(warning.message)
        self.warning = warning


class BillingCollector(Protocol):
    provider: str

    async def collect(self, secret: dict[str, Any], start: date, end: date) -> list[CostRow]:
        """Daily rows from `start` to `end`, both included."""
        ...


class ForecastReader(Protocol):
    """A cloud's own cost forecast, where the cloud has one (GCP has none)."""

    provider: str

    async def forecast(self, secret: dict[str, Any], start: date, end: date) -> CloudForecast:
        """What the credential's account should cost from `start` to `end`, both included;
        BillingUnavailable with the warning when the API refuses."""
        ...


async def in_thread(
    fn: Callable[[], T],
    *,
    provider: str,
    operation: str,
    throttled: Callable[[Exception], bool] | None = None,
) -> T:
    """The SDKs block: each call runs on a worker thread, so the loop keeps answering;
    it is counted with every other cloud API call (skyclust_cloud_api_calls_total),
    a throttle as one when `throttled` says the vendor's error is."""
    return await blocking.in_thread(fn, provider=provider, operation=operation, throttled=throttled)
