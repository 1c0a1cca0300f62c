"""AWS: Cost Explorer GetCostAndUsage, daily, per region grouped by service and the
cluster tag (Cost Explorer takes two GroupBy at most, so regions are listed first and
asked one by one); and GetCostForecast, the account's own forecast with its 80% interval."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from skyclust_common.logs import register_secret

from ...domain import records
from ...domain.records import CloudForecast, CostRow, CostWarning
from .base import BillingUnavailable, in_thread

PROVIDER = "aws"
METRIC = "UnblendedCost"
FORECAST_METRIC = "UNBLENDED_COST"
# Cost Explorer is a global API served from us-east-1.
CE_REGION = "us-east-1"
CREDENTIAL_CODES = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "InvalidSignatureException",
}
THROTTLE_CODES = {"LimitExceededException", "ThrottlingException", "Throttling"}


def warning_of(exc: Exception, action: str = "ce:GetCostAndUsage") -> CostWarning:
    """A vendor error as the seed's warning for AWS; `action` is the IAM action the
    call needs, named when it is refused."""
    if isinstance(exc, KeyError):
        return CostWarning(
            records.CREDENTIAL_ERROR, f"the AWS credential lacks {exc}", PROVIDER, "all"
        )
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code", "")), str(error.get("Message", ""))
        if code == "AccessDeniedException" and "not enabled" in message.lower():
            return CostWarning(records.API_NOT_ENABLED, f"Cost Explorer: {message}", PROVIDER)
        if code == "DataUnavailableException":
            return CostWarning(records.API_NOT_ENABLED, f"Cost Explorer: {message}", PROVIDER)
        if code == "AccessDeniedException":
            return CostWarning(
                records.API_PERMISSION_DENIED,
                f"Cost Explorer refused ({action} needed): {message}",
                PROVIDER,
            )
        if code in THROTTLE_CODES:
            return CostWarning(
                records.API_THROTTLED, f"Cost Explorer throttled: {message}", PROVIDER
            )
        if code in CREDENTIAL_CODES:
            return CostWarning(
                records.CREDENTIAL_ERROR, f"AWS refused the credential: {code}", PROVIDER
            )
        return CostWarning(
            records.KUBERNETES_COST_CALCULATION_FAILED, f"Cost Explorer: {code} {message}", PROVIDER
        )
    return CostWarning(
        records.KUBERNETES_COST_CALCULATION_FAILED, f"Cost Explorer unreachable: {exc}", PROVIDER
    )


def throttled(exc: Exception) -> bool:
    return warning_of(exc).code == records.API_THROTTLED


class CostExplorerCollector:
    provider = PROVIDER

    def __init__(self, endpoint_url: str | None = None, *, max_attempts: int = 3) -> None:
        self.endpoint_url = endpoint_url
        self.max_attempts = max_attempts

    def _session(self, secret: dict[str, Any]) -> boto3.session.Session:
        register_secret(secret.get("secret_access_key"))
        register_secret(secret.get("session_token"))
        return boto3.session.Session(
            aws_access_key_id=secret["access_key_id"],
            aws_secret_access_key=secret["secret_access_key"],
            aws_session_token=secret.get("session_token"),
            region_name=CE_REGION,
        )

    def _client(self, session: boto3.session.Session, service: str) -> Any:
        return session.client(
            service,
            endpoint_url=self.endpoint_url,
            config=Config(
                retries={"total_max_attempts": self.max_attempts, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )

    async def collect(self, secret: dict[str, Any], start: date, end: date) -> list[CostRow]:
        try:
            return await in_thread(
                lambda: self._collect(secret, start, end),
                provider=self.provider,
                operation="billing",
                throttled=throttled,
            )
        except (ClientError, BotoCoreError, KeyError) as exc:
            raise BillingUnavailable(warning_of(exc)) from exc

    async def forecast(self, secret: dict[str, Any], start: date, end: date) -> CloudForecast:
        try:
            return await in_thread(
                lambda: self._forecast(secret, start, end),
                provider=self.provider,
                operation="forecast",
                throttled=throttled,
            )
        except (ClientError, BotoCoreError, KeyError) as exc:
            raise BillingUnavailable(warning_of(exc, "ce:GetCostForecast")) from exc

    def _forecast(self, secret: dict[str, Any], start: date, end: date) -> CloudForecast:
        ce = self._client(self._session(secret), "ce")
        answer = ce.get_cost_forecast(
            TimePeriod={"Start": start.isoformat(), "End": (end + timedelta(days=1)).isoformat()},
            Metric=FORECAST_METRIC,
            Granularity="DAILY",
            PredictionIntervalLevel=80,
        )
        days = answer.get("ForecastResultsByTime", [])
        # Cost Explorer bounds each day, not the total: the days' bounds summed are an
        # interval at least as wide as the total's.
        return CloudForecast(
            provider=PROVIDER,
            total=Decimal(answer["Total"]["Amount"]),
            currency=answer["Total"].get("Unit") or "USD",
            source=records.AWS_COST_EXPLORER,
            lower_80=sum((Decimal(d["PredictionIntervalLowerBound"]) for d in days), Decimal(0)),
            upper_80=sum((Decimal(d["PredictionIntervalUpperBound"]) for d in days), Decimal(0)),
        )

    def _collect(self, secret: dict[str, Any], start: date, end: date) -> list[CostRow]:
        session = self._session(secret)
        ce = self._client(session, "ce")
        account = str(
            secret.get("account_id")
            or self._client(session, "sts").get_caller_identity()["Account"]
        )
        period = {"Start": start.isoformat(), "End": (end + timedelta(days=1)).isoformat()}
        regions = [
            v["Value"]
            for v in ce.get_dimension_values(TimePeriod=period, Dimension="REGION")[
                "DimensionValues"
            ]
        ]
        rows: list[CostRow] = []
        for region in regions:
            request: dict[str, Any] = {
                "TimePeriod": period,
                "Granularity": "DAILY",
                "Metrics": [METRIC],
                "GroupBy": [
                    {"Type": "DIMENSION", "Key": "SERVICE"},
                    {"Type": "TAG", "Key": records.CLUSTER_TAG},
                ],
                "Filter": {"Dimensions": {"Key": "REGION", "Values": [region]}},
            }
            while True:
                page = ce.get_cost_and_usage(**request)
                rows.extend(_rows(page, account, region))
                token = page.get("NextPageToken")
                if not token:
                    break
                request["NextPageToken"] = token
        return rows


def _rows(page: dict[str, Any], account: str, region: str) -> list[CostRow]:
    rows = []
    for result in page.get("ResultsByTime", []):
        day = date.fromisoformat(result["TimePeriod"]["Start"])
        for group in result.get("Groups", []):
            service, tag = group["Keys"]
            cluster_id = tag.split("$", 1)[1] if "$" in tag else ""
            metric = group["Metrics"][METRIC]
            amount = Decimal(metric["Amount"])
            if amount == 0:
                continue
            rows.append(
                CostRow(
                    day=day,
                    provider=PROVIDER,
                    account=account,
                    service=service,
                    region=region,
                    amount=amount,
                    currency=metric.get("Unit") or "USD",
                    cluster_id=cluster_id,
                    tags={records.CLUSTER_TAG: cluster_id} if cluster_id else {},
                )
            )
    return rows
