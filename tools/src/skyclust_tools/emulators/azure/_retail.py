"""The Azure Retail Prices API (``GET /api/retail/prices``, no auth): ``$filter`` of
``field eq 'value'`` / ``ne`` / ``contains(field, 'value')`` terms joined by ``and``,
``Items`` 100 a page with ``NextPageLink``. Virtual Machines (each VM size of the price
table, pay-as-you-go, Spot and Low Priority) and the AKS Standard tier, in a few regions."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .._prices import AKS_STANDARD_HOURLY, AZURE_VMS, CURRENCY, azure_meter_name

PAGE_SIZE = 100
EFFECTIVE = "2026-11-01T00:00:00Z"
REGIONS = {
    "eastus": "US East",
    "eastus2": "US East 2",
    "westus2": "US West 2",
    "centralus": "US Central",
    "northeurope": "EU North",
    "westeurope": "EU West",
    "uksouth": "UK South",
    "swedencentral": "Sweden Central",
    "southeastasia": "AP Southeast",
    "japaneast": "JA East",
}
VARIANTS = (("", 1.0), (" Spot", 0.2), (" Low Priority", 0.2))
_TERM = re.compile(
    r"^\s*(?:(?P<field>\w+)\s+(?P<op>eq|ne)\s+'(?P<value>[^']*)'"
    r"|contains\(\s*(?P<cfield>\w+)\s*,\s*'(?P<cvalue>[^']*)'\s*\))\s*$",
    re.IGNORECASE,
)


def _id(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:12].upper()


def items() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for region, location in REGIONS.items():
        for vm in AZURE_VMS.values():
            base = azure_meter_name(vm.name)
            series = re.sub(r"^([A-Z]+)\d+", r"\1", base.replace(" ", ""))  # D2s v5 -> Dsv5
            for suffix, factor in VARIANTS:
                price = round(vm.hourly * factor, 6)
                product = _id("vm", series)
                out.append(
                    {
                        "currencyCode": CURRENCY,
                        "tierMinimumUnits": 0.0,
                        "retailPrice": price,
                        "unitPrice": price,
                        "armRegionName": region,
                        "location": location,
                        "effectiveStartDate": EFFECTIVE,
                        "meterId": _id("meter", region, vm.name, suffix),
                        "meterName": f"{base}{suffix}",
                        "productId": product,
                        "skuId": f"{product}/{_id('sku', vm.name, suffix)[:4]}",
                        "productName": f"Virtual Machines {series} Series",
                        "skuName": f"{base}{suffix}",
                        "serviceName": "Virtual Machines",
                        "serviceId": "DZH313Z7MMC8",
                        "serviceFamily": "Compute",
                        "unitOfMeasure": "1 Hour",
                        "type": "Consumption",
                        "isPrimaryMeterRegion": True,
                        "armSkuName": vm.name,
                    }
                )
        out.append(
            {
                "currencyCode": CURRENCY,
                "tierMinimumUnits": 0.0,
                "retailPrice": AKS_STANDARD_HOURLY,
                "unitPrice": AKS_STANDARD_HOURLY,
                "armRegionName": region,
                "location": location,
                "effectiveStartDate": EFFECTIVE,
                "meterId": _id("meter", region, "aks-standard"),
                "meterName": "Standard Uptime SLA",
                "productId": "DZH318Z0BQB5",
                "skuId": "DZH318Z0BQB5/0003",
                "productName": "Azure Kubernetes Service",
                "skuName": "Standard",
                "serviceName": "Azure Kubernetes Service",
                "serviceId": "DZH318Z0BQB5",
                "serviceFamily": "Compute",
                "unitOfMeasure": "1 Hour",
                "type": "Consumption",
                "isPrimaryMeterRegion": True,
                "armSkuName": "",
            }
        )
    return out


def _keep(item: dict[str, Any], terms: list[re.Match[str]]) -> bool:
    lowered = {k.lower(): v for k, v in item.items()}
    for term in terms:
        if term["cfield"]:
            if term["cvalue"].lower() not in str(lowered.get(term["cfield"].lower(), "")).lower():
                return False
            continue
        equal = str(lowered.get(term["field"].lower())) == term["value"]
        if equal != (term["op"].lower() == "eq"):
            return False
    return True


def _error(status: int, message: str) -> Response:
    return JSONResponse({"Error": {"Code": "BadRequest", "Message": message}}, status_code=status)


async def prices(request: Request) -> Response:
    raw = request.query_params.get("$filter") or ""
    terms: list[re.Match[str]] = []
    for part in re.split(r"\s+and\s+", raw.strip(), flags=re.IGNORECASE) if raw.strip() else []:
        found = _TERM.match(part.strip("() "))
        if found is None:
            return _error(
                400,
                f"Invalid OData filter: {part!r} (the emulator supports eq, ne, "
                "contains() and 'and')",
            )
        terms.append(found)
    currency = (request.query_params.get("currencyCode") or CURRENCY).strip("'")
    if currency != CURRENCY:
        return _error(400, f"Currency {currency} is not supported by the emulator.")
    skip_text = request.query_params.get("$skip") or "0"
    if not skip_text.isdigit():
        return _error(400, "$skip must be a non-negative integer")
    skip = int(skip_text)
    matching = [i for i in items() if _keep(i, terms)]
    page = matching[skip : skip + PAGE_SIZE]
    next_link = None
    if skip + PAGE_SIZE < len(matching):
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "$skip"]
        params = "&".join(f"{k}={v}" for k, v in [*query, ("$skip", str(skip + PAGE_SIZE))])
        next_link = f"{str(request.base_url).rstrip('/')}{request.url.path}?{params}"
    return JSONResponse(
        {
            "BillingCurrency": CURRENCY,
            "CustomerEntityId": "Default",
            "CustomerEntityType": "Retail",
            "Items": page,
            "NextPageLink": next_link,
            "Count": len(page),
        }
    )
