"""Prices: the shipped default table and the book that prefers live prices over it.

The default table holds on-demand Linux list prices in USD per hour for every instance
type SkyClust offers or defaults to, and each cloud's control-plane fee. They are the
prices the local clouds bill by, so an estimate made with no pricing API agrees with
what `make run` later reports as cost. One price per type in every region: the real
clouds vary a little by region, and a live price from a pricing API replaces the
default wherever one is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

CURRENCY = "USD"
HOURS_PER_MONTH = Decimal("730")  # the clouds' own monthly convention (8,760 h / 12)

PriceSource = Literal["pricing_api", "default_table"]
PRICING_API: PriceSource = "pricing_api"
DEFAULT_TABLE: PriceSource = "default_table"

# What a node group gets when its request names no type: each cloud's own default, as
# provisioning leaves it to them (EKS) or fills it in (GKE, AKS).
DEFAULT_INSTANCE_TYPES = {"aws": "t3.medium", "gcp": "e2-standard-2", "azure": "Standard_D2s_v5"}

_AWS_EC2 = {
    "t3.medium": "0.0416",
    "t3.large": "0.0832",
    "t3.xlarge": "0.1664",
    "m5.large": "0.096",
    "m5.xlarge": "0.192",
    "m5.2xlarge": "0.384",
    "m6i.large": "0.096",
    "m6i.xlarge": "0.192",
    "c5.large": "0.085",
    "c5.xlarge": "0.17",
    "r5.large": "0.126",
}

# Compute Engine bills a machine as vCPU hours plus memory GiB hours of its family.
_GCE_FAMILIES = {
    "e2": (Decimal("0.02181159"), Decimal("0.00292353")),
    "n2": (Decimal("0.031611"), Decimal("0.004237")),
    "n2d": (Decimal("0.027502"), Decimal("0.003686")),
}
# Billed cores and GiB: e2-medium shares two vCPUs at 50%, so it bills as one core.
_GCE_SHAPES = {
    "e2-medium": (1, 4),
    "e2-standard-2": (2, 8),
    "e2-standard-4": (4, 16),
    "e2-standard-8": (8, 32),
    "n2-standard-2": (2, 8),
    "n2-standard-4": (4, 16),
    "n2-standard-8": (8, 32),
    "n2d-standard-2": (2, 8),
}

_AZURE_VMS = {
    "Standard_B2s": "0.0416",
    "Standard_DS2_v2": "0.146",
    "Standard_D2s_v3": "0.096",
    "Standard_D4s_v3": "0.192",
    "Standard_D2s_v5": "0.096",
    "Standard_D4s_v5": "0.192",
    "Standard_D8s_v5": "0.384",
}

# Control-plane tiers per cluster hour. AKS's Free tier is what SkyClust creates unless
# asked for Standard (the uptime SLA).
CONTROL_PLANE_TIERS: dict[str, dict[str, Decimal]] = {
    "aws": {"standard": Decimal("0.10")},
    "gcp": {"standard": Decimal("0.10")},
    "azure": {"free": Decimal("0"), "standard": Decimal("0.10")},
}
DEFAULT_TIERS = {"aws": "standard", "gcp": "standard", "azure": "free"}

# Network pieces a cluster request implies, per hour (data processing is usage, not
# run-rate, so it is left to the billing data).
NETWORK_HOURLY: dict[str, dict[str, Decimal]] = {
    "aws": {"nat_gateway": Decimal("0.045"), "load_balancer": Decimal("0.0225")},
    "gcp": {"nat_gateway": Decimal("0.044"), "load_balancer": Decimal("0.025")},
    "azure": {"nat_gateway": Decimal("0.045"), "load_balancer": Decimal("0.025")},
}


def _gce_hourly(machine_type: str) -> Decimal:
    cores, gib = _GCE_SHAPES[machine_type]
    core, ram = _GCE_FAMILIES[machine_type.split("-", 1)[0]]
    return (cores * core + gib * ram).quantize(Decimal("0.00000001"))


def default_instance_prices() -> dict[str, dict[str, Decimal]]:
    """provider -> instance type -> USD per hour, from the shipped table."""
    return {
        "aws": {k: Decimal(v) for k, v in _AWS_EC2.items()},
        "gcp": {k: _gce_hourly(k) for k in _GCE_SHAPES},
        "azure": {k: Decimal(v) for k, v in _AZURE_VMS.items()},
    }


_DEFAULT_INSTANCES = default_instance_prices()


def offered_instance_types(provider: str) -> list[str]:
    """The instance types the shipped table prices: the ones a pricing API is asked for."""
    return sorted(_DEFAULT_INSTANCES.get(provider, {}))


def gce_machine_prices(
    rates: Mapping[tuple[str, str], tuple[Decimal, Decimal]],
) -> list[LivePrice]:
    """Machine types' hourly prices from the Catalog's (family, region) -> (core hour,
    GiB hour) rates: Compute Engine bills a machine as its cores plus its memory."""
    prices = []
    for machine_type, (cores, gib) in sorted(_GCE_SHAPES.items()):
        family = machine_type.split("-", 1)[0]
        for (rate_family, region), (core, ram) in sorted(rates.items()):
            if rate_family == family:
                hourly = (cores * core + gib * ram).quantize(Decimal("0.00000001"))
                prices.append(LivePrice("gcp", "instance", machine_type, region, hourly))
    return prices


@dataclass(frozen=True)
class Price:
    hourly: Decimal
    currency: str
    source: PriceSource


@dataclass(frozen=True)
class LivePrice:
    """One price read from a cloud's pricing API (region "*" stands for every region)."""

    provider: str
    kind: str  # "instance" | "control_plane" | "network"
    name: str  # instance type, tier, or network piece
    region: str
    hourly: Decimal
    currency: str = CURRENCY


class PriceBook:
    """Live prices over the default table. Every lookup says where its price came from,
    so an estimate can warn that it rests on defaults."""

    def __init__(self, live: Mapping[tuple[str, str, str, str], LivePrice] | None = None):
        self._live = dict(live or {})

    @classmethod
    def from_live(cls, prices: list[LivePrice]) -> PriceBook:
        return cls({(p.provider, p.kind, p.name, p.region): p for p in prices})

    def with_live(self, prices: list[LivePrice]) -> PriceBook:
        merged = dict(self._live)
        merged.update({(p.provider, p.kind, p.name, p.region): p for p in prices})
        return PriceBook(merged)

    def _live_price(self, provider: str, kind: str, name: str, region: str) -> Price | None:
        found = self._live.get((provider, kind, name, region)) or self._live.get(
            (provider, kind, name, "*")
        )
        if found is None:
            return None
        return Price(found.hourly, found.currency, PRICING_API)

    def instance(self, provider: str, region: str, instance_type: str) -> Price | None:
        live = self._live_price(provider, "instance", instance_type, region)
        if live is not None:
            return live
        hourly = _DEFAULT_INSTANCES.get(provider, {}).get(instance_type)
        return None if hourly is None else Price(hourly, CURRENCY, DEFAULT_TABLE)

    def control_plane(self, provider: str, region: str, tier: str | None = None) -> Price | None:
        tier = tier or DEFAULT_TIERS.get(provider, "standard")
        live = self._live_price(provider, "control_plane", tier, region)
        if live is not None:
            return live
        hourly = CONTROL_PLANE_TIERS.get(provider, {}).get(tier)
        return None if hourly is None else Price(hourly, CURRENCY, DEFAULT_TABLE)

    def network(self, provider: str, region: str, piece: str) -> Price | None:
        live = self._live_price(provider, "network", piece, region)
        if live is not None:
            return live
        hourly = NETWORK_HOURLY.get(provider, {}).get(piece)
        return None if hourly is None else Price(hourly, CURRENCY, DEFAULT_TABLE)

    def offered_types(self, provider: str) -> list[str]:
        return sorted(_DEFAULT_INSTANCES.get(provider, {}))

    def hourly(self, provider: str, name: str, region: str = "*") -> Decimal | None:
        """The run-rate estimate's lookup (run_rate.PriceLookup): an instance type's
        price, or the default tier's control-plane fee for "control-plane"."""
        if name == "control-plane":
            price = self.control_plane(provider, region)
        else:
            price = self.instance(provider, region, name)
        return None if price is None else price.hourly
