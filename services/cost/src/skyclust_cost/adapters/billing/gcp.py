"""GCP: the project's Cloud Billing info names its billing account, whose standard
BigQuery export table holds the daily cost (one row a day per meter); the labels carry
SkyClust's cluster and node-group ids."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from google.api_core import exceptions as gexc
from google.api_core.retry import Retry
from google.auth import exceptions as auth_exc

from skyclust_common.cloud import gcp_credentials

from ...domain import records
from ...domain.records import CostRow, CostWarning
from .base import BillingUnavailable, in_thread

PROVIDER = "gcp"
QUERY = """
SELECT
  DATE(usage_start_time) AS day,
  service.description AS service,
  location.region AS region,
  (SELECT value FROM UNNEST(labels) WHERE key = '{cluster}') AS cluster,
  (SELECT value FROM UNNEST(labels) WHERE key = '{node_group}') AS node_group,
  currency,
  SUM(cost) AS cost
FROM `{table}`
WHERE DATE(usage_start_time) >= @start AND DATE(usage_start_time) <= @end
  AND project.id = @project
GROUP BY day, service, region, cluster, node_group, currency
"""


def export_table(project: str, dataset: str, billing_account: str) -> str:
    """The standard usage cost export's table name, as Cloud Billing creates it."""
    account = billing_account.removeprefix("billingAccounts/").replace("-", "_")
    return f"{project}.{dataset}.gcp_billing_export_v1_{account}"


def _disabled(exc: gexc.GoogleAPICallError) -> bool:
    text = f"{getattr(exc, 'reason', '') or ''} {exc}"
    return "SERVICE_DISABLED" in text or "accessNotConfigured" in text


def warning_of(exc: Exception) -> CostWarning:
    if isinstance(exc, gexc.RetryError) and isinstance(exc.cause, Exception):
        # Retried until the deadline: what the last try met is the reason.
        return warning_of(exc.cause)
    if isinstance(exc, KeyError | ValueError):
        return CostWarning(records.CREDENTIAL_ERROR, f"the GCP key is unusable: {exc}", PROVIDER)
    if isinstance(exc, auth_exc.GoogleAuthError | gexc.Unauthorized):
        return CostWarning(records.CREDENTIAL_ERROR, f"GCP refused the key: {exc}", PROVIDER)
    if isinstance(exc, gexc.Forbidden):
        if _disabled(exc):
            return CostWarning(
                records.API_NOT_ENABLED,
                f"the Cloud Billing or BigQuery API is not enabled: {exc.message}",
                PROVIDER,
            )
        return CostWarning(
            records.API_PERMISSION_DENIED,
            f"GCP refused the billing read (billing.resourceCosts.get, bigquery.jobs.create "
            f"needed): {exc.message}",
            PROVIDER,
        )
    if isinstance(exc, gexc.TooManyRequests):
        return CostWarning(records.API_THROTTLED, f"GCP billing throttled: {exc.message}", PROVIDER)
    if isinstance(exc, gexc.NotFound):
        return CostWarning(
            records.API_NOT_ENABLED,
            f"the billing export table was not found (is the export set up?): {exc.message}",
            PROVIDER,
        )
    return CostWarning(
        records.KUBERNETES_COST_CALCULATION_FAILED, f"GCP billing unreadable: {exc}", PROVIDER
    )


def throttled(exc: Exception) -> bool:
    return warning_of(exc).code == records.API_THROTTLED


class BigQueryExportCollector:
    provider = PROVIDER

    def __init__(
        self,
        endpoint_url: str | None = None,
        *,
        dataset: str = "billing_export",
        retry_deadline: float = 30.0,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.dataset = dataset
        self.retry_deadline = retry_deadline

    async def collect(self, secret: dict[str, Any], start: date, end: date) -> list[CostRow]:
        try:
            return await in_thread(
                lambda: self._collect(secret, start, end),
                provider=self.provider,
                operation="billing",
                throttled=throttled,
            )
        except (gexc.GoogleAPIError, auth_exc.GoogleAuthError, KeyError, ValueError) as exc:
            raise BillingUnavailable(warning_of(exc)) from exc

    def _collect(self, secret: dict[str, Any], start: date, end: date) -> list[CostRow]:
        from google.cloud import bigquery, billing_v1
        from google.cloud.bigquery.retry import DEFAULT_RETRY

        raw = secret.get("service_account_json", secret)
        key = json.loads(raw) if isinstance(raw, str) else dict(raw)
        project = str(key["project_id"])
        options: dict[str, Any] = {"credentials": gcp_credentials(key, self.endpoint_url)}
        if self.endpoint_url:
            options["client_options"] = {"api_endpoint": self.endpoint_url}
        retry = Retry(deadline=self.retry_deadline, timeout=self.retry_deadline)
        info = billing_v1.CloudBillingClient(transport="rest", **options).get_project_billing_info(
            name=f"projects/{project}", retry=retry
        )
        if not info.billing_enabled or not info.billing_account_name:
            raise BillingUnavailable(
                CostWarning(
                    records.API_NOT_ENABLED,
                    f"billing is not enabled for project {project}",
                    PROVIDER,
                )
            )
        table = export_table(project, self.dataset, info.billing_account_name)
        sql = QUERY.format(
            table=table, cluster=records.CLUSTER_LABEL, node_group=records.NODE_GROUP_LABEL
        )
        config = bigquery.QueryJobConfig(
            query_parameters=[
                bigquery.ScalarQueryParameter("start", "DATE", start.isoformat()),
                bigquery.ScalarQueryParameter("end", "DATE", end.isoformat()),
                bigquery.ScalarQueryParameter("project", "STRING", project),
            ]
        )
        client = bigquery.Client(project=project, **options)
        # The clients' own retries run for ten minutes, and a job_retry wraps the insert
        # in another long one: a collection waits less, and estimates meanwhile.
        api_retry = DEFAULT_RETRY.with_timeout(self.retry_deadline)
        job = client.query(sql, job_config=config, retry=api_retry, job_retry=None)
        rows = []
        for row in job.result(retry=api_retry, job_retry=None, timeout=self.retry_deadline):
            amount = Decimal(str(row["cost"]))
            if amount == 0:
                continue
            cluster_id = row["cluster"] or ""
            node_group = row["node_group"] or ""
            tags = {}
            if cluster_id:
                tags[records.CLUSTER_LABEL] = cluster_id
            if node_group:
                tags[records.NODE_GROUP_LABEL] = node_group
            day = row["day"]
            rows.append(
                CostRow(
                    day=day if isinstance(day, date) else date.fromisoformat(str(day)),
                    provider=PROVIDER,
                    account=project,
                    service=str(row["service"]),
                    region=str(row["region"] or ""),
                    amount=amount,
                    currency=str(row["currency"] or "USD"),
                    cluster_id=cluster_id,
                    node_group=node_group,
                    tags=tags,
                )
            )
        return rows
