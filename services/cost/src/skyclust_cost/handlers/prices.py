"""The price cache: each cloud's pricing API read when its cached prices are older than
the TTL (or on demand), stored in the cost schema, and loaded as the price book estimates
use. A pricing API that cannot be read keeps what was cached; once the cache is past its
TTL, or was never filled, that cloud's estimates use the shipped table and say so."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from skyclust_common.errors import SkyclustError

from ..adapters.billing.base import BillingUnavailable
from ..domain.prices import PriceBook
from ..domain.records import CREDENTIAL_ERROR, DEFAULT_PRICES, CostWarning
from .common import CostDeps

log = logging.getLogger(__name__)


async def load_prices(deps: CostDeps, now: datetime | None = None) -> PriceBook:
    """The cached prices within the TTL over the default table, kept in `deps.prices`."""
    now = now or datetime.now(UTC)
    oldest = now - timedelta(seconds=deps.price_ttl_seconds)
    async with deps.uow() as uow:
        cached = await uow.prices.prices()
        statuses = await uow.prices.statuses()
    live = [price for price, fetched_at in cached if fetched_at >= oldest]
    fresh = {p.provider for p in live}
    warnings = []
    for provider in sorted(set(deps.price_lists) - fresh):
        status = statuses.get(provider)
        why = status.warning.message if status and status.warning else "no prices cached yet"
        warnings.append(
            CostWarning(
                DEFAULT_PRICES,
                f"{provider} prices are the shipped table ({why})",
                provider,
                "pricing",
            )
        )
    book = PriceBook.from_live(live)
    deps.prices.book, deps.prices.warnings = book, warnings
    return book


async def _secret(deps: CostDeps, provider: str) -> dict[str, object] | None:
    async with deps.uow() as uow:
        found = await uow.prices.a_credential(provider)
    if found is None:
        raise BillingUnavailable(
            CostWarning(
                CREDENTIAL_ERROR,
                f"no {provider} credential is known to read its price list with",
                provider,
                "pricing",
            )
        )
    workspace_id, credential_id = found
    try:
        decrypted = await deps.decrypt_credential(
            str(workspace_id), str(credential_id), "price list refresh", str(uuid.uuid4())
        )
    except SkyclustError as exc:
        raise BillingUnavailable(
            CostWarning(CREDENTIAL_ERROR, exc.message, provider, "pricing")
        ) from exc
    return dict(decrypted["data"])


async def refresh_prices(
    deps: CostDeps, *, force: bool = False, now: datetime | None = None
) -> dict[str, int | CostWarning]:
    """Read each pricing API whose prices are past the TTL (every one with `force`):
    the count stored per provider, or the warning of one that could not be read."""
    now = now or datetime.now(UTC)
    async with deps.uow() as uow:
        statuses = await uow.prices.statuses()
    outcome: dict[str, int | CostWarning] = {}
    for provider, source in sorted(deps.price_lists.items()):
        status = statuses.get(provider)
        fresh = status is not None and status.refreshed_at is not None
        if fresh and status is not None and status.refreshed_at is not None:
            fresh = now - status.refreshed_at < timedelta(seconds=deps.price_ttl_seconds)
        if fresh and not force:
            continue
        try:
            secret = await _secret(deps, provider) if source.needs_credential else None
            prices = await source.fetch(secret)
        except BillingUnavailable as exc:
            log.info("cost: %s prices not refreshed (%s)", provider, exc.warning.code)
            async with deps.uow() as uow:
                await uow.prices.failed(provider, exc.warning, now)
                await uow.commit()
            outcome[provider] = exc.warning
            continue
        async with deps.uow() as uow:
            await uow.prices.replace(provider, prices, now)
            await uow.commit()
        outcome[provider] = len(prices)
    await load_prices(deps, now)
    return outcome
