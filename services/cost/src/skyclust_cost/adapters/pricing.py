"""The clouds' price lists, read through their official clients, as `LivePrice`s for the
instance types SkyClust offers and each cloud's control-plane fee:

- AWS Price List `GetProducts` (AmazonEC2 on-demand Linux shared, AmazonEKS per cluster),
- GCP Cloud Billing Catalog `services.skus.list` (core and RAM hours of each machine
  family, composed into machine types; the GKE cluster fee),
- Azure Retail Prices (`GET /api/retail/prices`, no credential; Consumption, not Spot or
  Low Priority, not Windows).

A pricing API that cannot be read raises BillingUnavailable with the warning code, as the
billing adapters do; the caller keeps what it had and estimates say they used defaults."""

from __future__ import annotations

import json
import re
import ssl
from decimal import Decimal
from typing import Any, Protocol

import httpx
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from google.api_core import exceptions as gexc
from google.api_core.retry import Retry
from google.auth import exceptions as auth_exc

from skyclust_common.cloud import gcp_credentials
from skyclust_common.logs import register_secret

from ..domain import records
from ..domain.prices import LivePrice, gce_machine_prices, offered_instance_types
from ..domain.records import CostWarning
from .billing import aws as aws_billing
from .billing import gcp as gcp_billing
from .billing.base import BillingUnavailable, in_thread

# The Price List API is served from us-east-1 (and ap-south-1, eu-central-1).
PRICING_REGION = "us-east-1"
GCE_SERVICE = "services/6F81-5844-456A"
GKE_SERVICE = "services/CCD8-9BF1-090E"
_GCE_SKU = re.compile(r"^(E2|N2D|N2)(?: AMD)? Instance (Core|Ram) running in ")
RETAIL_URL = "https://prices.azure.com"


class PriceList(Protocol):
    provider: str
    # Whether reading it needs a workspace's credential of that cloud.
    needs_credential: bool

    async def fetch(self, secret: dict[str, Any] | None) -> list[LivePrice]: ...


def _pricing_warning(base: CostWarning, api: str) -> CostWarning:
    return CostWarning(
        base.code,
        f"{api}: {base.message}; estimates use the shipped price table",
        base.provider,
        "pricing",
    )


class AwsPriceList:
    provider = "aws"
    needs_credential = True

    def __init__(self, endpoint_url: str | None = None, *, max_attempts: int = 3) -> None:
        self.endpoint_url = endpoint_url
        self.max_attempts = max_attempts

    async def fetch(self, secret: dict[str, Any] | None) -> list[LivePrice]:
        try:
            return await in_thread(
                lambda: self._fetch(dict(secret or {})), provider=self.provider, operation="prices"
            )
        except (ClientError, BotoCoreError, KeyError) as exc:
            raise BillingUnavailable(
                _pricing_warning(aws_billing.warning_of(exc), "AWS Price List")
            ) from exc

    def _fetch(self, secret: dict[str, Any]) -> list[LivePrice]:
        import boto3

        register_secret(secret.get("secret_access_key"))
        client = boto3.client(
            "pricing",
            region_name=PRICING_REGION,
            endpoint_url=self.endpoint_url,
            aws_access_key_id=secret["access_key_id"],
            aws_secret_access_key=secret["secret_access_key"],
            aws_session_token=secret.get("session_token"),
            config=Config(
                retries={"total_max_attempts": self.max_attempts, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )
        types = ",".join(offered_instance_types("aws"))
        ec2 = _products(
            client,
            "AmazonEC2",
            [
                ("TERM_MATCH", "operatingSystem", "Linux"),
                ("TERM_MATCH", "tenancy", "Shared"),
                ("TERM_MATCH", "capacitystatus", "Used"),
                ("TERM_MATCH", "preInstalledSw", "NA"),
                ("ANY_OF", "instanceType", types),
            ],
        )
        eks = _products(
            client, "AmazonEKS", [("CONTAINS", "usagetype", "AmazonEKS-Hours:perCluster")]
        )
        prices = []
        for attributes, hourly in ec2:
            prices.append(
                LivePrice(
                    "aws", "instance", attributes["instanceType"], attributes["regionCode"], hourly
                )
            )
        for attributes, hourly in eks:
            prices.append(
                LivePrice("aws", "control_plane", "standard", attributes["regionCode"], hourly)
            )
        return prices


def _products(
    client: Any, service: str, filters: list[tuple[str, str, str]]
) -> list[tuple[dict[str, str], Decimal]]:
    request: dict[str, Any] = {
        "ServiceCode": service,
        "Filters": [{"Type": t, "Field": f, "Value": v} for t, f, v in filters],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    out = []
    while True:
        page = client.get_products(**request)
        for raw in page.get("PriceList", []):
            product = json.loads(raw) if isinstance(raw, str) else raw
            usd = _on_demand_usd(product)
            if usd is not None and usd > 0:
                out.append((dict(product["product"]["attributes"]), usd))
        token = page.get("NextToken")
        if not token:
            return out
        request["NextToken"] = token


def _on_demand_usd(product: dict[str, Any]) -> Decimal | None:
    for term in (product.get("terms", {}).get("OnDemand") or {}).values():
        for dimension in (term.get("priceDimensions") or {}).values():
            usd = (dimension.get("pricePerUnit") or {}).get("USD")
            if usd is not None:
                return Decimal(str(usd))
    return None


class GcpCatalog:
    provider = "gcp"
    needs_credential = True

    def __init__(self, endpoint_url: str | None = None, *, retry_deadline: float = 30.0) -> None:
        self.endpoint_url = endpoint_url
        self.retry_deadline = retry_deadline

    async def fetch(self, secret: dict[str, Any] | None) -> list[LivePrice]:
        try:
            return await in_thread(
                lambda: self._fetch(dict(secret or {})), provider=self.provider, operation="prices"
            )
        except (gexc.GoogleAPIError, auth_exc.GoogleAuthError, KeyError, ValueError) as exc:
            raise BillingUnavailable(
                _pricing_warning(gcp_billing.warning_of(exc), "Cloud Billing Catalog")
            ) from exc

    def _fetch(self, secret: dict[str, Any]) -> list[LivePrice]:
        from google.cloud import billing_v1

        raw = secret.get("service_account_json", secret)
        key = json.loads(raw) if isinstance(raw, str) else dict(raw)
        options: dict[str, Any] = {"credentials": gcp_credentials(key, self.endpoint_url)}
        if self.endpoint_url:
            options["client_options"] = {"api_endpoint": self.endpoint_url}
        client = billing_v1.CloudCatalogClient(transport="rest", **options)
        retry = Retry(deadline=self.retry_deadline, timeout=self.retry_deadline)
        # (family, region) -> [core hourly, GiB hourly]
        rates: dict[tuple[str, str], list[Decimal | None]] = {}
        for sku in client.list_skus(parent=GCE_SERVICE, retry=retry):
            found = _GCE_SKU.match(sku.description)
            if found is None or sku.category.usage_type != "OnDemand":
                continue
            price = _unit_price(sku)
            if price is None:
                continue
            family, part = found.group(1).lower(), found.group(2)
            for region in sku.service_regions:
                pair = rates.setdefault((family, region), [None, None])
                pair[0 if part == "Core" else 1] = price
        prices = gce_machine_prices(
            {
                k: (core, ram)
                for k, (core, ram) in rates.items()
                if core is not None and ram is not None
            }
        )
        for sku in client.list_skus(parent=GKE_SERVICE, retry=retry):
            # The zonal and the regional cluster fee are the same: one standard tier.
            if (
                sku.description.endswith("Kubernetes Clusters")
                and sku.category.usage_type == "OnDemand"
            ):
                price = _unit_price(sku)
                if price is not None:
                    prices.append(LivePrice("gcp", "control_plane", "standard", "*", price))
                    break
        return prices


def _unit_price(sku: Any) -> Decimal | None:
    for info in sku.pricing_info:
        for rate in info.pricing_expression.tiered_rates:
            money = rate.unit_price
            if money.currency_code and money.currency_code != "USD":
                continue
            value = Decimal(int(money.units)) + Decimal(int(money.nanos)) / Decimal(10**9)
            if value > 0:
                return value
    return None


class AzureRetailPrices:
    provider = "azure"
    needs_credential = False

    def __init__(
        self, base_url: str | None = None, *, ca_bundle: str | None = None, timeout: float = 30.0
    ) -> None:
        self.base_url = (base_url or RETAIL_URL).rstrip("/")
        self.verify: Any = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
        self.timeout = timeout

    async def fetch(self, secret: dict[str, Any] | None) -> list[LivePrice]:
        try:
            return await in_thread(self._fetch, provider=self.provider, operation="prices")
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            status = exc.response.status_code if isinstance(exc, httpx.HTTPStatusError) else None
            code = (
                records.API_THROTTLED
                if status == 429
                else records.KUBERNETES_COST_CALCULATION_FAILED
            )
            raise BillingUnavailable(
                CostWarning(
                    code,
                    f"Azure Retail Prices unreadable ({status or exc}); estimates use the "
                    "shipped price table",
                    "azure",
                    "pricing",
                )
            ) from exc

    def _pages(self, client: httpx.Client, flt: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        url: str | None = f"{self.base_url}/api/retail/prices"
        params: dict[str, str] | None = {"currencyCode": "USD", "$filter": flt}
        while url:
            response = client.get(url, params=params)
            response.raise_for_status()
            body = response.json()
            items.extend(body.get("Items") or [])
            url, params = body.get("NextPageLink"), None
        return items

    def _fetch(self) -> list[LivePrice]:
        offered = set(offered_instance_types("azure"))
        prices = []
        with httpx.Client(verify=self.verify, timeout=self.timeout) as client:
            for item in self._pages(client, "serviceName eq 'Virtual Machines'"):
                meter = str(item.get("meterName", ""))
                if (
                    item.get("armSkuName") not in offered
                    or item.get("type") != "Consumption"
                    or "Spot" in meter
                    or "Low Priority" in meter
                    or "Windows" in str(item.get("productName", ""))
                    or item.get("unitOfMeasure") != "1 Hour"
                ):
                    continue
                prices.append(
                    LivePrice(
                        "azure",
                        "instance",
                        str(item["armSkuName"]),
                        str(item["armRegionName"]),
                        Decimal(str(item["retailPrice"])),
                    )
                )
            for item in self._pages(client, "serviceName eq 'Azure Kubernetes Service'"):
                if "Uptime SLA" in str(item.get("meterName", "")) and item.get("type") in (
                    None,
                    "Consumption",
                ):
                    prices.append(
                        LivePrice(
                            "azure",
                            "control_plane",
                            "standard",
                            str(item["armRegionName"]),
                            Decimal(str(item["retailPrice"])),
                        )
                    )
        return prices
