"""The monthly estimate of a cluster request: control plane, nodes by type, network pieces.

Money is Decimal throughout and rounded to cents only on the way out of each line, so
the total equals the sum of its lines. A node group is priced at its desired size; its
minimum and maximum give the range autoscaling may move the bill in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .prices import (
    CURRENCY,
    DEFAULT_INSTANCE_TYPES,
    DEFAULT_TABLE,
    DEFAULT_TIERS,
    HOURS_PER_MONTH,
    PriceBook,
)

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class NodeGroupRequest:
    name: str
    instance_type: str | None
    desired_size: int
    min_size: int | None = None
    max_size: int | None = None


@dataclass(frozen=True)
class ClusterRequest:
    provider: str
    region: str
    version: str | None = None
    node_groups: tuple[NodeGroupRequest, ...] = ()
    control_plane_tier: str | None = None
    nat_gateways: int = 0
    load_balancers: int = 0
    # A node-group add or scale-up prices only the nodes: the cluster exists already.
    include_control_plane: bool = True

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ClusterRequest:
        """From a CreateCluster-shaped body: the node groups, and for GKE and AKS the
        pool gcp_config/azure_config describe, which they make in any case."""
        provider = str(raw["provider"])
        groups = [
            NodeGroupRequest(
                name=str(g.get("name") or f"group-{i}"),
                instance_type=g.get("instance_type"),
                desired_size=int(g.get("desired_size", g.get("count", g.get("min_size", 0)))),
                min_size=g.get("min_size"),
                max_size=g.get("max_size"),
            )
            for i, g in enumerate(raw.get("node_groups") or [])
        ]
        # GKE and AKS always make a first pool from the provider config, node groups or
        # not (provisioning's adapters: GKE's "default", AKS's "system").
        pool = {"gcp": ("default", "machine_type"), "azure": ("system", "vm_size")}.get(provider)
        if pool is not None:
            config = raw.get(f"{provider}_config") or {}
            count = int(config.get("node_count", 1))
            name, type_key = pool
            groups.insert(0, NodeGroupRequest(name, config.get(type_key), count, count, count))
        # Not "network": in a CreateCluster body that names the SkyClust network to use.
        network = raw.get("network_pieces") or {}
        return cls(
            provider=provider,
            region=str(raw["region"]),
            version=raw.get("version"),
            node_groups=tuple(groups),
            control_plane_tier=raw.get("control_plane_tier"),
            nat_gateways=int(network.get("nat_gateways", 0)),
            load_balancers=int(network.get("load_balancers", 0)),
            include_control_plane=bool(raw.get("include_control_plane", True)),
        )


@dataclass(frozen=True)
class LineItem:
    kind: str  # "control_plane" | "nodes" | "network"
    name: str
    quantity: int
    hourly_unit: Decimal
    monthly: Decimal
    monthly_min: Decimal
    monthly_max: Decimal
    price_source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "quantity": self.quantity,
            "hourly_unit": str(self.hourly_unit),
            "monthly": str(self.monthly),
            "monthly_min": str(self.monthly_min),
            "monthly_max": str(self.monthly_max),
            "price_source": self.price_source,
        }


@dataclass(frozen=True)
class Estimate:
    provider: str
    region: str
    currency: str
    monthly: Decimal
    monthly_min: Decimal
    monthly_max: Decimal
    price_source: str
    line_items: tuple[LineItem, ...]
    warnings: tuple[dict[str, str], ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "region": self.region,
            "currency": self.currency,
            "monthly": str(self.monthly),
            "monthly_min": str(self.monthly_min),
            "monthly_max": str(self.monthly_max),
            "price_source": self.price_source,
            "line_items": [i.as_dict() for i in self.line_items],
            "warnings": list(self.warnings),
        }


def _line(kind: str, name: str, hourly: Decimal, qty: int, lo: int, hi: int, src: str) -> LineItem:
    unit_month = hourly * HOURS_PER_MONTH
    return LineItem(
        kind,
        name,
        qty,
        hourly,
        cents(unit_month * qty),
        cents(unit_month * lo),
        cents(unit_month * hi),
        src,
    )


def _warning(code: str, message: str, provider: str, resource_type: str) -> dict[str, str]:
    return {"code": code, "message": message, "provider": provider, "resource_type": resource_type}


def estimate(request: ClusterRequest, book: PriceBook) -> Estimate:
    p, region = request.provider, request.region
    items: list[LineItem] = []
    warnings: list[dict[str, str]] = []
    if request.include_control_plane:
        tier = request.control_plane_tier or DEFAULT_TIERS.get(p, "standard")
        price = book.control_plane(p, region, tier)
        if price is None:
            warnings.append(
                _warning(
                    "UNKNOWN_CONTROL_PLANE_TIER", f"no price for {p} tier {tier!r}", p, "cluster"
                )
            )
        else:
            items.append(_line("control_plane", tier, price.hourly, 1, 1, 1, price.source))
    by_type: dict[str, list[int]] = {}
    for group in request.node_groups:
        itype = group.instance_type or DEFAULT_INSTANCE_TYPES.get(p, "")
        lo = group.desired_size if group.min_size is None else int(group.min_size)
        hi = group.desired_size if group.max_size is None else int(group.max_size)
        totals = by_type.setdefault(itype, [0, 0, 0])
        totals[0] += group.desired_size
        totals[1] += lo
        totals[2] += hi
    for itype, (qty, lo, hi) in sorted(by_type.items()):
        price = book.instance(p, region, itype)
        if price is None:
            warnings.append(
                _warning(
                    "UNKNOWN_INSTANCE_TYPE",
                    f"no price for {p} instance type {itype!r}; its nodes are not counted",
                    p,
                    "vm",
                )
            )
            continue
        items.append(_line("nodes", itype, price.hourly, qty, lo, hi, price.source))
    for count, piece in (
        (request.nat_gateways, "nat_gateway"),
        (request.load_balancers, "load_balancer"),
    ):
        if count <= 0:
            continue
        price = book.network(p, region, piece)
        if price is None:
            warnings.append(
                _warning("UNKNOWN_NETWORK_PIECE", f"no price for {piece}", p, "network")
            )
            continue
        items.append(_line("network", piece, price.hourly, count, count, count, price.source))
    defaulted = any(i.price_source == DEFAULT_TABLE for i in items)
    if defaulted:
        warnings.append(
            _warning(
                "DEFAULT_PRICES",
                "no pricing API answered for some items; the shipped default price table was used",
                p,
                "pricing",
            )
        )
    return Estimate(
        provider=p,
        region=region,
        currency=CURRENCY,
        monthly=sum((i.monthly for i in items), Decimal("0")),
        monthly_min=sum((i.monthly_min for i in items), Decimal("0")),
        monthly_max=sum((i.monthly_max for i in items), Decimal("0")),
        price_source=DEFAULT_TABLE if defaulted or not items else "pricing_api",
        line_items=tuple(items),
        warnings=tuple(warnings),
    )
