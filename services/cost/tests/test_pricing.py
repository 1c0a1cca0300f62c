"""The pricing adapters against the local clouds, through the official clients: AWS Price
List GetProducts, the GCP Cloud Billing Catalog, the Azure Retail Prices API; each
answers the prices the local clouds bill by, and each fault is its warning code."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from skyclust_cost.adapters.billing.base import BillingUnavailable
from skyclust_cost.adapters.pricing import AwsPriceList, AzureRetailPrices, GcpCatalog
from skyclust_cost.domain.prices import LivePrice, PriceBook, default_instance_prices

from skyclust_tools.embedded import MotoServer, free_port
from skyclust_tools.emulators import AwsAdmin
from skyclust_tools.emulators import azure as azure_emulator
from skyclust_tools.emulators import gcp as gcp_emulator

pytestmark = pytest.mark.integration

AWS_SECRET = {"access_key_id": "AKIAEXAMPLEEXAMPLE12", "secret_access_key": "s" * 40}
DEFAULTS = default_instance_prices()


def _index(prices: list[LivePrice]) -> dict[tuple[str, str, str], Decimal]:
    return {(p.kind, p.name, p.region): p.hourly for p in prices}


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[str, AwsAdmin]]:
    server = MotoServer(port=free_port()).start()
    admin = AwsAdmin(server.url)
    yield server.url, admin
    admin.close()
    server.stop()


@pytest.fixture(scope="module")
def gcp() -> Iterator[Any]:
    with gcp_emulator.run_in_thread(durations={"default": 0}) as running:
        yield running


@pytest.fixture(scope="module")
def azure() -> Iterator[Any]:
    with azure_emulator.run_in_thread(durations={"default": 0}) as running:
        yield running


async def test_aws_price_list_has_every_offered_type_in_every_region(
    aws: tuple[str, AwsAdmin],
) -> None:
    url, admin = aws
    admin.clear_faults()
    prices = await AwsPriceList(url).fetch(AWS_SECRET)

    found = _index(prices)
    for name, hourly in DEFAULTS["aws"].items():
        assert found[("instance", name, "us-east-1")] == hourly
        assert found[("instance", name, "eu-west-1")] == hourly
    assert found[("control_plane", "standard", "us-east-1")] == Decimal("0.1")
    assert {p.currency for p in prices} == {"USD"}
    # Paged: more products than a page of 100.
    assert len([p for p in prices if p.kind == "instance"]) > 100


@pytest.mark.parametrize(
    ("kind", "code"),
    [("permission_denied", "API_PERMISSION_DENIED"), ("throttled", "API_THROTTLED")],
)
async def test_aws_price_list_faults(aws: tuple[str, AwsAdmin], kind: str, code: str) -> None:
    url, admin = aws
    admin.clear_faults()
    admin.inject_billing_fault("pricing", kind, times=None)
    try:
        with pytest.raises(BillingUnavailable) as caught:
            await AwsPriceList(url, max_attempts=1).fetch(AWS_SECRET)
    finally:
        admin.clear_faults()
    assert caught.value.warning.code == code
    assert caught.value.warning.resource_type == "pricing"


async def test_gcp_catalog_composes_machine_types_from_core_and_ram(gcp: Any) -> None:
    gcp.admin.reset()
    key = gcp.admin.create_service_account_key("pricing-test")

    prices = await GcpCatalog(gcp.url).fetch({"service_account_json": key})

    found = _index(prices)
    for name, hourly in DEFAULTS["gcp"].items():
        assert found[("instance", name, "us-central1")] == pytest.approx(
            hourly, abs=Decimal("1e-7")
        ), name
        assert ("instance", name, "europe-west1") in found
    assert found[("control_plane", "standard", "*")] == Decimal("0.1")


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("permission_denied", "API_PERMISSION_DENIED"),
        ("not_enabled", "API_NOT_ENABLED"),
        ("throttled", "API_THROTTLED"),
    ],
)
async def test_gcp_catalog_faults(gcp: Any, kind: str, code: str) -> None:
    gcp.admin.reset()
    key = gcp.admin.create_service_account_key("pricing-test")
    gcp.admin.inject_billing_fault("catalog", kind, times=None)

    with pytest.raises(BillingUnavailable) as caught:
        await GcpCatalog(gcp.url, retry_deadline=1.0).fetch({"service_account_json": key})

    assert caught.value.warning.code == code and caught.value.warning.provider == "gcp"


async def test_azure_retail_prices_are_the_consumption_prices(azure: Any) -> None:
    azure.admin.reset()

    prices = await AzureRetailPrices(azure.url, ca_bundle=azure.ca_bundle).fetch(None)

    found = _index(prices)
    for name, hourly in DEFAULTS["azure"].items():
        assert found[("instance", name, "eastus")] == hourly, name
        assert found[("instance", name, "westeurope")] == hourly, name
    assert found[("control_plane", "standard", "eastus")] == Decimal("0.1")
    # Spot and Low Priority meters are left out: one price per type and region.
    assert len(found) == len(prices)

    book = PriceBook.from_live(prices)
    assert book.instance("azure", "eastus", "Standard_D2s_v5") is not None
    assert book.control_plane("azure", "eastus", "standard").source == "pricing_api"  # type: ignore[union-attr]


async def test_azure_retail_prices_throttled(azure: Any) -> None:
    azure.admin.reset()
    azure.admin.inject_billing_fault("retail_prices", "throttled", times=None)

    with pytest.raises(BillingUnavailable) as caught:
        await AzureRetailPrices(azure.url, ca_bundle=azure.ca_bundle).fetch(None)

    assert caught.value.warning.code == "API_THROTTLED"
