"""What the local AWS bills: EKS control planes and managed node groups' EC2 instances,
read from moto's EKS state, and the JSON-protocol billing calls served before moto sees them
(Cost Explorer and the Price List API, by ``X-Amz-Target``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .._billing import Ledger, Meter, pairs
from .._core import JSON
from .._prices import AWS_EKS_CLUSTER_HOURLY, AWS_INSTANCES
from . import _cost, _pricing
from ._cost import BillingError

EKS_SERVICE = "Amazon Elastic Container Service for Kubernetes"
EC2_SERVICE = "Amazon Elastic Compute Cloud - Compute"
CE_PREFIX = "AWSInsightsIndexService."
PRICING_PREFIX = "AWSPriceListService."

_USAGE_PREFIX = {
    "us-east-1": "USE1",
    "us-east-2": "USE2",
    "us-west-1": "USW1",
    "us-west-2": "USW2",
    "eu-west-1": "EU",
    "eu-west-2": "EUW2",
    "eu-central-1": "EUC1",
    "ap-northeast-1": "APN1",
    "ap-southeast-1": "APS1",
    "ap-southeast-2": "APS2",
}


def usage_type(region: str, what: str) -> str:
    return f"{_USAGE_PREFIX.get(region, region.upper())}-{what}"


def meters() -> list[Meter]:
    """One meter per EKS cluster (its control plane) and per node group (its instances)."""
    from moto.eks.models import EKSBackend, eks_backends

    out: list[Meter] = []
    # moto serves other requests meanwhile: iterate over copies (dict.items() at C level)
    backends = [
        (account, region, backend)
        for account, regions in list(dict.items(eks_backends))
        for region, backend in list(dict.items(regions))
    ]
    for account, region, backend in backends:
        assert isinstance(backend, EKSBackend)
        for cluster in list(backend.clusters.values()):
            if cluster.status == "FAILED":
                continue
            tags = dict(cluster.tags or {})
            out.append(
                Meter(
                    key=f"{cluster.arn}#control-plane",
                    account=account,
                    service=EKS_SERVICE,
                    region=region,
                    sku="perCluster",
                    sku_id=usage_type(region, "AmazonEKS-Hours:perCluster"),
                    unit_price=AWS_EKS_CLUSTER_HOURLY,
                    resource_id=cluster.arn,
                    tags=pairs(tags),
                )
            )
            for group in list(cluster.nodegroups.values()):
                instance = (group.instance_types or ["t3.medium"])[0]
                price = AWS_INSTANCES.get(instance)
                if price is None or group.status in ("CREATE_FAILED", "DEGRADED"):
                    continue
                out.append(
                    Meter(
                        key=f"{group.arn}#nodes",
                        account=account,
                        service=EC2_SERVICE,
                        region=region,
                        sku=instance,
                        sku_id=usage_type(region, f"BoxUsage:{instance}"),
                        unit_price=price.hourly,
                        quantity=float((group.scaling_config or {}).get("desiredSize", 0)),
                        resource_id=group.arn,
                        tags=pairs({**tags, **dict(group.tags or {})}),
                    )
                )
    return out


def is_billing_target(target: str) -> bool:
    return target.startswith((CE_PREFIX, PRICING_PREFIX))


def handle(ledger: Ledger, target: str, raw: bytes) -> tuple[int, JSON]:
    """Answer one Cost Explorer / Pricing call; errors as the JSON protocol words them."""
    operations: dict[str, Callable[[Ledger, JSON], JSON]] = {
        f"{CE_PREFIX}GetCostAndUsage": _cost.get_cost_and_usage,
        f"{CE_PREFIX}GetCostForecast": _cost.get_cost_forecast,
        f"{CE_PREFIX}GetTags": _cost.get_tags,
        f"{CE_PREFIX}GetDimensionValues": _cost.get_dimension_values,
        f"{PRICING_PREFIX}GetProducts": _pricing.get_products,
        f"{PRICING_PREFIX}DescribeServices": _pricing.describe_services,
    }
    operation = operations.get(target)
    try:
        if operation is None:
            raise BillingError(400, "UnknownOperationException", f"Unknown operation {target}")
        try:
            body: Any = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise BillingError(400, "SerializationException", str(exc)) from exc
        if not isinstance(body, dict):
            raise BillingError(400, "SerializationException", "Expected a JSON object.")
        ledger.observe(meters())
        return 200, operation(ledger, body)
    except BillingError as exc:
        return exc.status, {"__type": exc.code, "message": exc.message}
