"""The price cache on the fake store: a refresh stores what a pricing API answers and
estimates use it; past the TTL, or before any refresh, the shipped table is used with a
DEFAULT_PRICES warning; a failing API keeps what was cached; a cloud with no credential
to read its price list with says so."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from skyclust_cost.adapters.billing.base import BillingUnavailable
from skyclust_cost.domain.estimate import ClusterRequest, NodeGroupRequest, estimate
from skyclust_cost.domain.prices import LivePrice
from skyclust_cost.domain.records import CostWarning
from skyclust_cost.handlers import collect
from skyclust_cost.handlers.prices import load_prices, refresh_prices

from .cost_harness import make_deps

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


class Answering:
    provider = "aws"
    needs_credential = True

    def __init__(self, hourly: str = "0.05") -> None:
        self.hourly = Decimal(hourly)
        self.secrets: list[Any] = []
        self.fail: CostWarning | None = None

    async def fetch(self, secret: dict[str, Any] | None) -> list[LivePrice]:
        self.secrets.append(secret)
        if self.fail:
            raise BillingUnavailable(self.fail)
        return [
            LivePrice("aws", "instance", "t3.medium", "us-east-1", self.hourly),
            LivePrice("aws", "control_plane", "standard", "us-east-1", Decimal("0.1")),
        ]


class Public:
    provider = "azure"
    needs_credential = False

    async def fetch(self, secret: dict[str, Any] | None) -> list[LivePrice]:
        assert secret is None
        return [LivePrice("azure", "instance", "Standard_D2s_v5", "eastus", Decimal("0.09"))]


REQUEST = ClusterRequest("aws", "us-east-1", node_groups=(NodeGroupRequest("w", "t3.medium", 2),))


async def _with_credential(deps: Any) -> None:
    async with deps.uow() as uow:
        await uow.credentials.remember(uuid.uuid4(), uuid.uuid4(), "aws")
        await uow.commit()


async def test_a_refresh_is_cached_and_estimates_use_it_until_the_ttl() -> None:
    aws = Answering()
    deps = make_deps(price_lists={"aws": aws, "azure": Public()}, price_ttl_seconds=3600)
    await _with_credential(deps)

    outcome = await refresh_prices(deps, now=NOW)

    assert outcome == {"aws": 2, "azure": 1}
    assert aws.secrets == [{"secret": "x"}]  # a known credential, decrypted
    found = estimate(REQUEST, deps.prices.book)
    assert found.price_source == "pricing_api"
    assert [i.hourly_unit for i in found.line_items if i.kind == "nodes"] == [Decimal("0.05")]
    assert deps.prices.warnings == []
    assert deps.prices.hourly("aws", "t3.medium", "us-east-1") == Decimal("0.05")

    # Within the TTL nothing is read again; a fresh service loads the cache.
    assert await refresh_prices(deps, now=NOW + timedelta(minutes=30)) == {}
    fresh = make_deps(db=None, price_lists={"aws": aws, "azure": Public()}, price_ttl_seconds=3600)
    fresh.uow = deps.uow
    book = await load_prices(fresh, NOW + timedelta(minutes=59))
    assert book.instance("aws", "us-east-1", "t3.medium").source == "pricing_api"  # type: ignore[union-attr]

    # Past it, the cache is not used: the default table, and a warning per cloud.
    stale = await load_prices(fresh, NOW + timedelta(hours=2))
    price = stale.instance("aws", "us-east-1", "t3.medium")
    assert price is not None and (price.source, price.hourly) == (
        "default_table",
        Decimal("0.0416"),
    )
    assert {(w.code, w.provider) for w in fresh.prices.warnings} == {
        ("DEFAULT_PRICES", "aws"),
        ("DEFAULT_PRICES", "azure"),
    }
    assert [w["code"] for w in estimate(REQUEST, stale).warnings] == ["DEFAULT_PRICES"]


async def test_a_failing_refresh_keeps_the_cache_and_is_retried() -> None:
    aws = Answering()
    deps = make_deps(price_lists={"aws": aws}, price_ttl_seconds=3600)
    await _with_credential(deps)
    await refresh_prices(deps, now=NOW)
    aws.fail = CostWarning("API_THROTTLED", "slow down", "aws", "pricing")

    outcome = await refresh_prices(deps, force=True, now=NOW + timedelta(minutes=10))

    assert isinstance(outcome["aws"], CostWarning) and outcome["aws"].code == "API_THROTTLED"
    assert deps.prices.book.instance("aws", "us-east-1", "t3.medium").hourly == Decimal("0.05")  # type: ignore[union-attr]
    # Past the TTL with the API still failing: defaults, and the warning says why.
    await refresh_prices(deps, now=NOW + timedelta(hours=2))
    assert [w.code for w in deps.prices.warnings] == ["DEFAULT_PRICES"]
    assert "slow down" in deps.prices.warnings[0].message
    aws.fail = None
    assert await refresh_prices(deps, now=NOW + timedelta(hours=3)) == {"aws": 2}
    assert deps.prices.warnings == []


async def test_no_credential_to_read_a_price_list_with_is_a_credential_error() -> None:
    aws = Answering()
    deps = make_deps(price_lists={"aws": aws})

    outcome = await refresh_prices(deps, now=NOW)

    warning = outcome["aws"]
    assert isinstance(warning, CostWarning) and warning.code == "CREDENTIAL_ERROR"
    assert aws.secrets == []
    assert [w.code for w in deps.prices.warnings] == ["DEFAULT_PRICES"]
    assert estimate(REQUEST, deps.prices.book).price_source == "default_table"


async def test_an_estimated_collection_says_its_prices_are_the_defaults() -> None:
    class Refusing:
        provider = "aws"

        async def collect(self, secret: dict[str, Any], start: Any, end: Any) -> list[Any]:
            raise BillingUnavailable(CostWarning("API_NOT_ENABLED", "off", "aws"))

    aws = Answering()
    deps = make_deps({"aws": Refusing()}, price_lists={"aws": aws})
    deps.price = deps.prices.hourly
    workspace = uuid.uuid4()
    async with deps.uow() as uow:
        await uow.credentials.remember(workspace, uuid.uuid4(), "aws")
        await uow.inventory.open(
            workspace,
            uuid.uuid4(),
            "ng",
            "ng",
            "aws",
            "us-east-1",
            "t3.medium",
            2,
            datetime.now(UTC) - timedelta(hours=3),
        )
        await uow.commit()
    deps.today = lambda: datetime.now(UTC).date()
    aws.fail = CostWarning("API_PERMISSION_DENIED", "no pricing:GetProducts", "aws", "pricing")
    await refresh_prices(deps)

    stored, warnings = await collect.collect_provider(deps, workspace, uuid.uuid4(), "aws", 1)

    assert stored > 0
    assert [w.code for w in warnings] == ["API_NOT_ENABLED", "DEFAULT_PRICES"]
    assert "no pricing:GetProducts" in warnings[1].message
