"""The clouds' own forecasts in the forecast answer, on fakes: one per credential of a
cloud that forecasts, a refusing cloud left out with its warning, kept for the TTL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from skyclust_cost.adapters.billing.base import BillingUnavailable
from skyclust_cost.domain.records import (
    AWS_COST_EXPLORER,
    AZURE_COST_MANAGEMENT,
    CloudForecast,
    CostWarning,
)
from skyclust_cost.handlers import queries
from skyclust_cost.handlers.common import ForecastCache

from skyclust_common.messages.rpc import GetCostForecast

from .cost_harness import TODAY, call, make_deps

pytestmark = pytest.mark.unit


class Forecasting:
    def __init__(self, provider: str, total: str, *, interval: bool = True) -> None:
        self.provider = provider
        self.total = Decimal(total)
        self.interval = interval
        self.asked: list[tuple[date, date]] = []

    async def forecast(self, secret: dict[str, Any], start: date, end: date) -> CloudForecast:
        self.asked.append((start, end))
        low, high = (self.total * Decimal("0.9"), self.total * Decimal("1.1"))
        return CloudForecast(
            self.provider,
            self.total,
            "USD",
            AWS_COST_EXPLORER if self.provider == "aws" else AZURE_COST_MANAGEMENT,
            low if self.interval else None,
            high if self.interval else None,
        )


class Refusing:
    provider = "aws"

    async def forecast(self, secret: dict[str, Any], start: date, end: date) -> CloudForecast:
        raise BillingUnavailable(
            CostWarning("API_PERMISSION_DENIED", "ce:GetCostForecast needed", "aws")
        )


class Hanging:
    provider = "azure"

    async def forecast(self, secret: dict[str, Any], start: date, end: date) -> CloudForecast:
        await asyncio.sleep(5)
        raise AssertionError("not reached")


async def remember(deps: Any, workspace: uuid.UUID, *providers: str) -> list[uuid.UUID]:
    ids = []
    async with deps.uow() as uow:
        for provider in providers:
            ids.append(uuid.uuid4())
            await uow.credentials.remember(workspace, ids[-1], provider)
        await uow.commit()
    return ids


async def test_each_forecasting_credential_answers_next_to_skyclusts_own(
    workspace: uuid.UUID,
) -> None:
    aws, azure = Forecasting("aws", "70"), Forecasting("azure", "35", interval=False)
    deps = make_deps(forecasters={"aws": aws, "azure": azure})
    aws_id, _, azure_id = await remember(deps, workspace, "aws", "gcp", "azure")

    reply = await call(
        queries.get_cost_forecast, deps, {"workspace_id": str(workspace), "horizon": "7d"}
    )

    GetCostForecast.Reply.model_validate(reply)
    assert sorted(reply["cloud_forecasts"], key=lambda f: f["provider"]) == [
        {
            "provider": "aws",
            "credential_id": str(aws_id),
            "total": 70.0,
            "lower_80": 63.0,
            "upper_80": 77.0,
            "currency": "USD",
            "source": "aws_cost_explorer",
        },
        {
            "provider": "azure",
            "credential_id": str(azure_id),
            "total": 35.0,
            "lower_80": None,
            "upper_80": None,
            "currency": "USD",
            "source": "azure_cost_management",
        },
    ]
    # The same days as SkyClust's forecast: tomorrow to the horizon's last day.
    assert aws.asked == [(TODAY + timedelta(days=1), TODAY + timedelta(days=7))]
    assert reply["warnings"] == []


async def test_a_refusing_cloud_is_left_out_with_its_warning_not_an_error(
    workspace: uuid.UUID,
) -> None:
    azure = Forecasting("azure", "35")
    deps = make_deps(forecasters={"aws": Refusing(), "azure": azure})
    await remember(deps, workspace, "aws", "azure")

    reply = await call(queries.get_cost_forecast, deps, {"workspace_id": str(workspace)})

    assert [f["provider"] for f in reply["cloud_forecasts"]] == ["azure"]
    assert [(w["code"], w["provider"]) for w in reply["warnings"]] == [
        ("API_PERMISSION_DENIED", "aws")
    ]
    assert reply["total"] == 0.0


async def test_a_cloud_that_does_not_answer_in_time_is_left_out_with_a_warning(
    workspace: uuid.UUID,
) -> None:
    deps = make_deps(forecasters={"azure": Hanging()}, cloud_forecast_timeout=0.05)
    await remember(deps, workspace, "azure")

    reply = await call(queries.get_cost_forecast, deps, {"workspace_id": str(workspace)})

    assert reply["cloud_forecasts"] == []
    assert [w["code"] for w in reply["warnings"]] == ["KUBERNETES_COST_CALCULATION_FAILED"]


async def test_an_answer_is_kept_for_the_ttl_and_asked_again_after(
    workspace: uuid.UUID,
) -> None:
    now = [1000.0]
    aws = Forecasting("aws", "70")
    deps = make_deps(
        forecasters={"aws": aws},
        price_ttl_seconds=60.0,
        forecast_cache=ForecastCache(clock=lambda: now[0]),
    )
    await remember(deps, workspace, "aws")
    body = {"workspace_id": str(workspace), "horizon": "7d"}

    await call(queries.get_cost_forecast, deps, body)
    now[0] += 59
    again = await call(queries.get_cost_forecast, deps, body)
    assert len(aws.asked) == 1 and again["cloud_forecasts"][0]["total"] == 70.0
    now[0] += 2
    await call(queries.get_cost_forecast, deps, body)
    assert len(aws.asked) == 2
    # Another window is its own entry; the expired ones go as new ones come.
    await call(queries.get_cost_forecast, deps, {**body, "horizon": "1m"})
    assert len(aws.asked) == 3 and len(deps.forecast_cache.entries) == 2
    now[0] += 61
    await call(queries.get_cost_forecast, deps, body)
    assert len(deps.forecast_cache.entries) == 1


async def test_only_the_asked_provider_and_only_for_every_resource_type(
    workspace: uuid.UUID,
) -> None:
    aws, azure = Forecasting("aws", "70"), Forecasting("azure", "35")
    deps = make_deps(forecasters={"aws": aws, "azure": azure})
    await remember(deps, workspace, "aws", "azure")
    ws = str(workspace)

    one = await call(queries.get_cost_forecast, deps, {"workspace_id": ws, "provider": "azure"})
    clusters = await call(
        queries.get_cost_forecast, deps, {"workspace_id": ws, "resource_types": "cluster"}
    )

    assert [f["provider"] for f in one["cloud_forecasts"]] == ["azure"] and aws.asked == []
    # A cloud's forecast is its whole account's: no match for the clusters alone.
    assert clusters["cloud_forecasts"] == [] and len(azure.asked) == 1
