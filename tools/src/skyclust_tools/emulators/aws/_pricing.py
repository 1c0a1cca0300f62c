"""The Price List Query API (``pricing``): ``GetProducts`` and ``DescribeServices`` for
AmazonEC2 (the instance types of the price table) and AmazonEKS, PriceList entries as the
JSON strings the real API returns."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .._core import JSON
from .._prices import AWS_EKS_CLUSTER_HOURLY, AWS_INSTANCES, CURRENCY
from ._cost import BillingError

LOCATIONS = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-central-1": "EU (Frankfurt)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
}
PUBLICATION = "2026-11-01T00:00:00Z"
ON_DEMAND = "JRTCKXETXF"
PER_UNIT = "6YS6EN2CT7"
MAX_RESULTS = 100


def _sku(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:16].upper()


def _product(
    service: str, family: str, attributes: dict[str, str], price: float, unit: str, description: str
) -> JSON:
    sku = _sku(service, *sorted(attributes.values()))
    term = f"{sku}.{ON_DEMAND}"
    return {
        "product": {"productFamily": family, "attributes": attributes, "sku": sku},
        "serviceCode": service,
        "terms": {
            "OnDemand": {
                term: {
                    "priceDimensions": {
                        f"{term}.{PER_UNIT}": {
                            "unit": unit,
                            "endRange": "Inf",
                            "description": description,
                            "appliesTo": [],
                            "rateCode": f"{term}.{PER_UNIT}",
                            "beginRange": "0",
                            "pricePerUnit": {CURRENCY: f"{price:.10f}"},
                        }
                    },
                    "sku": sku,
                    "effectiveDate": PUBLICATION,
                    "offerTermCode": ON_DEMAND,
                    "termAttributes": {},
                }
            }
        },
        "version": "20261101000000",
        "publicationDate": PUBLICATION,
    }


def _catalogue(service: str) -> list[JSON]:
    from ._billing import usage_type

    out: list[JSON] = []
    for region, location in LOCATIONS.items():
        if service == "AmazonEC2":
            for name, t in AWS_INSTANCES.items():
                attributes = {
                    "servicecode": "AmazonEC2",
                    "servicename": "Amazon Elastic Compute Cloud",
                    "instanceType": name,
                    "instanceFamily": "General purpose",
                    "vcpu": str(t.vcpus),
                    "memory": f"{t.memory_gib:g} GiB",
                    "regionCode": region,
                    "location": location,
                    "locationType": "AWS Region",
                    "operatingSystem": "Linux",
                    "tenancy": "Shared",
                    "preInstalledSw": "NA",
                    "licenseModel": "No License required",
                    "capacitystatus": "Used",
                    "operation": "RunInstances",
                    "usagetype": usage_type(region, f"BoxUsage:{name}"),
                }
                out.append(
                    _product(
                        service,
                        "Compute Instance",
                        attributes,
                        t.hourly,
                        "Hrs",
                        f"${t.hourly} per On Demand Linux {name} Instance Hour",
                    )
                )
        elif service == "AmazonEKS":
            attributes = {
                "servicecode": "AmazonEKS",
                "servicename": "Amazon Elastic Container Service for Kubernetes",
                "regionCode": region,
                "location": location,
                "locationType": "AWS Region",
                "operation": "CreateOperation",
                "tiertype": "HAStandard",
                "usagetype": usage_type(region, "AmazonEKS-Hours:perCluster"),
            }
            out.append(
                _product(
                    service,
                    "Compute",
                    attributes,
                    AWS_EKS_CLUSTER_HOURLY,
                    "Hours",
                    f"Amazon EKS cluster usage in {location}",
                )
            )
    return out


def _keep(product: JSON, flt: JSON) -> bool:
    kind = str(flt.get("Type") or "TERM_MATCH")
    field, value = str(flt.get("Field") or ""), str(flt.get("Value") or "")
    if field == "ServiceCode":
        actual: str | None = product["serviceCode"]
    else:
        attributes = product["product"]["attributes"]
        lowered = {k.lower(): v for k, v in attributes.items()}
        actual = attributes.get(field, lowered.get(field.lower()))
    if actual is None:
        return kind == "NONE_OF"
    if kind in ("TERM_MATCH", "EQUALS"):
        return actual.lower() == value.lower() if kind == "TERM_MATCH" else actual == value
    if kind == "CONTAINS":
        return value.lower() in actual.lower()
    values = [v.strip() for v in value.split(",")]
    if kind == "ANY_OF":
        return actual in values
    if kind == "NONE_OF":
        return actual not in values
    raise BillingError(400, "InvalidParameterException", f"Invalid filter type: {kind}")


def _page(body: JSON, items: list[Any]) -> tuple[list[Any], str | None]:
    size = int(body.get("MaxResults") or MAX_RESULTS)
    if not 1 <= size <= MAX_RESULTS:
        raise BillingError(400, "InvalidParameterException", "MaxResults must be 1-100")
    token = body.get("NextToken")
    try:
        offset = int(str(token)) if token else 0
    except ValueError as exc:
        raise BillingError(400, "InvalidNextTokenException", "Invalid NextToken") from exc
    rest = items[offset + size :]
    return items[offset : offset + size], str(offset + size) if rest else None


def get_products(ledger: Any, body: JSON) -> JSON:
    service = str(body.get("ServiceCode") or "")
    if service not in ("AmazonEC2", "AmazonEKS"):
        raise BillingError(404, "NotFoundException", f"Service {service} not found")
    format_version = str(body.get("FormatVersion") or "aws_v1")
    if format_version != "aws_v1":
        raise BillingError(400, "InvalidParameterException", "FormatVersion must be aws_v1")
    products = [
        p for p in _catalogue(service) if all(_keep(p, f) for f in body.get("Filters") or [])
    ]
    page, token = _page(body, [json.dumps(p) for p in products])
    out: JSON = {"FormatVersion": format_version, "PriceList": page}
    if token:
        out["NextToken"] = token
    return out


def describe_services(ledger: Any, body: JSON) -> JSON:
    services = {
        "AmazonEC2": [
            "instanceType",
            "location",
            "regionCode",
            "operatingSystem",
            "tenancy",
            "usagetype",
            "vcpu",
            "memory",
        ],
        "AmazonEKS": ["location", "regionCode", "operation", "usagetype"],
    }
    wanted = body.get("ServiceCode")
    listed = [
        {"ServiceCode": code, "AttributeNames": names}
        for code, names in services.items()
        if wanted in (None, code)
    ]
    return {"Services": listed, "FormatVersion": str(body.get("FormatVersion") or "aws_v1")}
