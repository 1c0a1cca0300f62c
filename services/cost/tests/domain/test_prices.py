"""The default price table matches what the local clouds bill by, and the price book
prefers a live price and says where every price came from."""

from __future__ import annotations

from decimal import Decimal

import pytest
from skyclust_cost.domain.prices import (
    DEFAULT_INSTANCE_TYPES,
    DEFAULT_TABLE,
    PRICING_API,
    LivePrice,
    PriceBook,
    default_instance_prices,
)

from skyclust_tools.emulators import _prices as emulator


def _gce(machine: str) -> float:
    hourly = emulator.gce_hourly(machine)
    assert hourly is not None, machine
    return hourly


EMULATED: dict[str, dict[str, float]] = {
    "aws": {k: v.hourly for k, v in emulator.AWS_INSTANCES.items()},
    "gcp": {k: _gce(k) for k in emulator.GCE_MACHINES},
    "azure": {k: v.hourly for k, v in emulator.AZURE_VMS.items()},
}


@pytest.mark.parametrize("provider", ["aws", "gcp", "azure"])
def test_the_default_table_prices_every_type_the_local_cloud_bills_at_its_price(provider):
    table = default_instance_prices()[provider]
    assert set(table) == set(EMULATED[provider])
    for itype, hourly in EMULATED[provider].items():
        assert float(table[itype]) == pytest.approx(hourly, rel=1e-6), itype


def test_each_clouds_default_node_type_is_in_the_table():
    book = PriceBook()
    for provider, itype in DEFAULT_INSTANCE_TYPES.items():
        assert book.instance(provider, "any-region", itype) is not None


def test_control_plane_fees_match_the_local_clouds():
    book = PriceBook()
    aws = book.control_plane("aws", "us-east-1")
    gcp = book.control_plane("gcp", "us-central1")
    aks_free = book.control_plane("azure", "eastus")
    aks_std = book.control_plane("azure", "eastus", "standard")
    assert aws and float(aws.hourly) == emulator.AWS_EKS_CLUSTER_HOURLY
    assert gcp and float(gcp.hourly) == emulator.GKE_CLUSTER_HOURLY
    assert aks_free and aks_free.hourly == 0
    assert aks_std and float(aks_std.hourly) == emulator.AKS_STANDARD_HOURLY
    assert book.control_plane("azure", "eastus", "premium-ultra") is None


def test_a_live_price_wins_over_the_default_and_says_so():
    book = PriceBook.from_live(
        [LivePrice("aws", "instance", "m5.large", "eu-west-1", Decimal("0.107"))]
    )
    live = book.instance("aws", "eu-west-1", "m5.large")
    default = book.instance("aws", "us-east-1", "m5.large")
    assert live is not None and live.hourly == Decimal("0.107") and live.source == PRICING_API
    assert default is not None and default.hourly == Decimal("0.096")
    assert default.source == DEFAULT_TABLE


def test_a_live_price_for_every_region_applies_where_no_regional_one_exists():
    book = PriceBook().with_live(
        [
            LivePrice("gcp", "instance", "e2-medium", "*", Decimal("0.04")),
            LivePrice("gcp", "instance", "e2-medium", "europe-west1", Decimal("0.05")),
        ]
    )
    central = book.instance("gcp", "us-central1", "e2-medium")
    west = book.instance("gcp", "europe-west1", "e2-medium")
    assert central is not None and central.hourly == Decimal("0.04")
    assert west is not None and west.hourly == Decimal("0.05")


def test_an_unknown_type_has_no_price():
    assert PriceBook().instance("aws", "us-east-1", "p5.48xlarge") is None
    assert PriceBook().instance("oracle", "x", "t3.medium") is None


def test_the_book_answers_the_run_rate_estimates_lookup():
    from skyclust_cost.domain.run_rate import PriceLookup

    lookup: PriceLookup = PriceBook().hourly
    assert lookup("aws", "m5.large", "us-east-1") == Decimal("0.096")
    assert lookup("azure", "control-plane", "eastus") == Decimal("0")
    assert lookup("gcp", "control-plane", "us-central1") == Decimal("0.10")
    assert lookup("aws", "nope.large", "us-east-1") is None
