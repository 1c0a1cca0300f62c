"""The clouds' own forecasts next to SkyClust's: AWS Cost Explorer's GetCostForecast and
Azure Cost Management's Forecast, one per credential of the workspace (GCP has no
forecast API). They are read while the forecast is answered, concurrently and within a
time limit, and a cloud's answer is kept for the prices' TTL: Cost Explorer charges for
each call and revises its forecast daily, and the window moves with the day, so a new
day asks again. A refusal is a warning and the cloud is left out; it is not kept, so a
permission put right shows on the next read."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

from skyclust_common.errors import SkyclustError

from ..adapters.billing.base import BillingUnavailable
from ..domain.records import (
    CREDENTIAL_ERROR,
    KUBERNETES_COST_CALCULATION_FAILED,
    CloudForecast,
    CostWarning,
)
from .common import CostDeps


def view(credential_id: uuid.UUID, found: CloudForecast) -> dict[str, Any]:
    def m(x: Any) -> float | None:
        return None if x is None else round(float(x), 2)

    return {
        "provider": found.provider,
        "credential_id": str(credential_id),
        "total": m(found.total),
        "lower_80": m(found.lower_80),
        "upper_80": m(found.upper_80),
        "currency": found.currency,
        "source": found.source,
    }


async def _one(
    deps: CostDeps,
    workspace_id: uuid.UUID,
    credential_id: uuid.UUID,
    provider: str,
    start: date,
    end: date,
) -> CloudForecast | CostWarning:
    key = (credential_id, start, end)
    cached = deps.forecast_cache.get(key, deps.price_ttl_seconds)
    if cached is not None:
        return cached
    reader = deps.forecasters[provider]
    try:
        decrypted = await deps.decrypt_credential(
            str(workspace_id), str(credential_id), "cost forecast", str(uuid.uuid4())
        )
        found = await asyncio.wait_for(
            reader.forecast(dict(decrypted["data"]), start, end), deps.cloud_forecast_timeout
        )
    except BillingUnavailable as exc:
        return exc.warning
    except SkyclustError as exc:
        return CostWarning(CREDENTIAL_ERROR, exc.message, provider, "all")
    except TimeoutError:
        return CostWarning(
            KUBERNETES_COST_CALCULATION_FAILED,
            f"the {provider} forecast did not answer within {deps.cloud_forecast_timeout:g} s; "
            "left out",
            provider,
        )
    deps.forecast_cache.put(key, found, deps.price_ttl_seconds)
    return found


async def cloud_forecasts(
    deps: CostDeps, workspace_id: uuid.UUID, provider: str | None, start: date, end: date
) -> tuple[list[dict[str, Any]], list[CostWarning]]:
    """Each of the workspace's credentials whose cloud forecasts, for `start` to `end`
    (both included); the warnings of those that could not be read."""
    async with deps.uow() as uow:
        credentials = await uow.credentials.of_workspace(workspace_id)
    wanted = [
        (c, p)
        for c, p in credentials
        if p in deps.forecasters and (provider is None or p == provider)
    ]
    answers = await asyncio.gather(*(_one(deps, workspace_id, c, p, start, end) for c, p in wanted))
    found = [
        view(c, a)
        for (c, _), a in zip(wanted, answers, strict=True)
        if not isinstance(a, CostWarning)
    ]
    warnings = [a for a in answers if isinstance(a, CostWarning)]
    return found, warnings
