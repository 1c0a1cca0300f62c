"""Azure: Cost Management Query on the subscription, daily `PreTaxCost`, per location
grouped by the cluster tag and the service (a query takes two groupings at most, so the
locations are listed first and asked one by one, as for AWS's regions); and the Forecast
API, the subscription's own forecast (a total without an interval: Azure gives none)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError

from skyclust_common.cloud import ARM_SCOPE, azure_credential
from skyclust_common.logs import register_secret

from ...domain import records
from ...domain.records import CloudForecast, CostRow, CostWarning
from .base import BillingUnavailable, in_thread

PROVIDER = "azure"
COST = "PreTaxCost"
# Cost Management refuses these for the role or the billing account, not the key.
PERMISSION_CODES = {"AuthorizationFailed", "RBACAccessDenied", "Unauthorized", "Forbidden"}
NOT_ENABLED_CODES = {
    "BillingAccessDenied",
    "MissingSubscriptionRegistration",
    "SubscriptionNotRegistered",
    "IndirectCostDisabled",
    "AccountCostDisabled",
}
CREDENTIAL_CODES = {
    "InvalidAuthenticationToken",
    "InvalidAuthenticationTokenTenant",
    "ExpiredAuthenticationToken",
    "SubscriptionNotFound",
}


def _code(exc: HttpResponseError) -> str:
    error = getattr(exc, "error", None)
    return str(getattr(error, "code", "") or "")


def warning_of(exc: Exception) -> CostWarning:
    """A vendor error as the seed's warning for Azure."""
    if isinstance(exc, KeyError):
        return CostWarning(records.CREDENTIAL_ERROR, f"the Azure credential lacks {exc}", PROVIDER)
    if isinstance(exc, HttpResponseError):
        code, status = _code(exc), exc.status_code
        text = f"Cost Management: {code or status} {exc.message}".strip()
        if code in NOT_ENABLED_CODES:
            return CostWarning(records.API_NOT_ENABLED, text, PROVIDER)
        if code in PERMISSION_CODES or (status == 403 and code not in CREDENTIAL_CODES):
            return CostWarning(
                records.API_PERMISSION_DENIED,
                f"{text} (the Cost Management Reader role is needed)",
                PROVIDER,
            )
        if status == 429:
            return CostWarning(records.API_THROTTLED, text, PROVIDER)
        if code in CREDENTIAL_CODES or status == 401:
            return CostWarning(records.CREDENTIAL_ERROR, text, PROVIDER)
    if isinstance(exc, ClientAuthenticationError):
        # Entra ID refused the service principal (no HTTP error code of ARM's).
        return CostWarning(
            records.CREDENTIAL_ERROR, f"Entra ID refused the credential: {exc.message}", PROVIDER
        )
    return CostWarning(
        records.KUBERNETES_COST_CALCULATION_FAILED, f"Cost Management unreadable: {exc}", PROVIDER
    )


def _definition(start: date, end: date, grouping: list[dict[str, str]], **dataset: Any) -> Any:
    # `to` at midnight names the last day included.
    return {
        "type": "ActualCost",
        "timeframe": "Custom",
        "timePeriod": {
            "from": datetime.combine(start, time(), UTC).isoformat(),
            "to": datetime.combine(end, time(), UTC).isoformat(),
        },
        "dataset": {
            "aggregation": {"totalCost": {"name": COST, "function": "Sum"}},
            "grouping": grouping,
            **dataset,
        },
    }


def throttled(exc: Exception) -> bool:
    return warning_of(exc).code == records.API_THROTTLED


class CostManagementCollector:
    provider = PROVIDER

    def __init__(
        self,
        endpoint_url: str | None = None,
        *,
        ca_bundle: str | None = None,
        max_retries: int = 2,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.ca_bundle = ca_bundle or None
        self.max_retries = max_retries

    async def collect(self, secret: dict[str, Any], start: date, end: date) -> list[CostRow]:
        try:
            return await in_thread(
                lambda: self._collect(secret, start, end),
                provider=self.provider,
                operation="billing",
                throttled=throttled,
            )
        except (AzureError, KeyError) as exc:
            raise BillingUnavailable(warning_of(exc)) from exc

    async def forecast(self, secret: dict[str, Any], start: date, end: date) -> CloudForecast:
        try:
            return await in_thread(
                lambda: self._forecast(secret, start, end),
                provider=self.provider,
                operation="forecast",
                throttled=throttled,
            )
        except (AzureError, KeyError) as exc:
            raise BillingUnavailable(warning_of(exc)) from exc

    def _forecast(self, secret: dict[str, Any], start: date, end: date) -> CloudForecast:
        scope = f"subscriptions/{secret['subscription_id']}"
        credential, client = self._client(secret)
        with credential, client:
            definition = {
                "type": "ActualCost",
                "timeframe": "Custom",
                "timePeriod": {
                    "from": datetime.combine(start, time(), UTC).isoformat(),
                    "to": datetime.combine(end, time(), UTC).isoformat(),
                },
                "dataset": {
                    "granularity": "Daily",
                    "aggregation": {"totalCost": {"name": COST, "function": "Sum"}},
                },
                "includeActualCost": False,
                "includeFreshPartialCost": False,
            }
            result = client.forecast.usage(scope, definition)
        properties = result.properties if result is not None else None
        columns = [str(c.name) for c in (properties.columns if properties else None) or []]
        rows = [
            dict(zip(columns, r, strict=True))
            for r in (properties.rows if properties else None) or []
        ]
        total = sum(
            (Decimal(str(r[COST])) for r in rows if r.get("CostStatus", "Forecast") == "Forecast"),
            Decimal(0),
        )
        currency = str(rows[0].get("Currency") or "USD") if rows else "USD"
        return CloudForecast(PROVIDER, total, currency, records.AZURE_COST_MANAGEMENT)

    def _client(self, secret: dict[str, Any]) -> Any:
        from azure.mgmt.costmanagement import CostManagementClient

        register_secret(secret.get("client_secret"))
        credential = azure_credential(
            str(secret["tenant_id"]),
            str(secret["client_id"]),
            str(secret["client_secret"]),
            self.endpoint_url,
            ca_bundle=self.ca_bundle,
        )
        options: dict[str, Any] = {"retry_total": self.max_retries}
        if self.ca_bundle:
            options["connection_verify"] = self.ca_bundle
        if self.endpoint_url:
            options["credential_scopes"] = [ARM_SCOPE]
        base_url = self.endpoint_url.rstrip("/") if self.endpoint_url else None
        return credential, CostManagementClient(credential, base_url=base_url, **options)

    def _collect(self, secret: dict[str, Any], start: date, end: date) -> list[CostRow]:
        subscription = str(secret["subscription_id"])
        scope = f"subscriptions/{subscription}"
        credential, client = self._client(secret)
        with credential, client:
            locations = {
                str(row["ResourceLocation"])
                for row in _pages(
                    client,
                    scope,
                    _definition(start, end, [{"type": "Dimension", "name": "ResourceLocation"}]),
                )
            }
            rows: list[CostRow] = []
            for location in sorted(locations):
                definition = _definition(
                    start,
                    end,
                    [
                        {"type": "TagKey", "name": records.CLUSTER_LABEL},
                        {"type": "Dimension", "name": "ServiceName"},
                    ],
                    granularity="Daily",
                    filter={
                        "dimensions": {
                            "name": "ResourceLocation",
                            "operator": "In",
                            "values": [location],
                        }
                    },
                )
                for row in _pages(client, scope, definition):
                    found = _row(row, subscription, location)
                    if found is not None:
                        rows.append(found)
        return rows


def _pages(client: Any, scope: str, definition: Any) -> list[dict[str, Any]]:
    """Every row of a query as {column: value}, following `nextLink`'s skip token."""
    out: list[dict[str, Any]] = []
    params: dict[str, str] = {}
    while True:
        result = client.query.usage(scope, definition, params=params)
        if result is None or result.properties is None:
            return out
        columns = [str(c.name) for c in result.properties.columns or []]
        out.extend(dict(zip(columns, row, strict=True)) for row in result.properties.rows or [])
        link = result.properties.next_link
        token = parse_qs(urlsplit(link).query).get("$skiptoken") if link else None
        if not token:
            return out
        params = {"$skiptoken": token[0]}


def _row(row: dict[str, Any], subscription: str, location: str) -> CostRow | None:
    amount = Decimal(str(row[COST]))
    if amount == 0:
        return None
    day = datetime.strptime(str(row["UsageDate"]), "%Y%m%d").date()
    cluster_id = str(row.get("TagValue") or "") if row.get("TagKey") else ""
    return CostRow(
        day=day,
        provider=PROVIDER,
        account=subscription,
        service=str(row["ServiceName"]),
        region=location.lower(),
        amount=amount,
        currency=str(row.get("Currency") or "USD"),
        cluster_id=cluster_id,
        tags={records.CLUSTER_LABEL: cluster_id} if cluster_id else {},
    )
