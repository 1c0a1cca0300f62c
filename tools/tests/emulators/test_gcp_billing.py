"""The local GCP bills what it runs: GKE clusters (management fee) and node pools (Compute
Engine core and RAM hours) accrue by the emulator clock, read back through the official
Cloud Billing, Catalog and BigQuery clients over the standard billing export."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from google.api_core import exceptions as gexc
from google.cloud import bigquery, billing_v1
from google.cloud.container_v1 import Cluster, NodeConfig, NodePool

from skyclust_common.cloud import gcp_credentials
from skyclust_tools.emulators.gcp._bigquery import export_table

pytestmark = pytest.mark.integration

ZONE = "us-central1-a"
OWNER = "skyclust-cluster-id"
E2_STANDARD_2 = 2 * 0.02181159 + 8 * 0.00292353
FEE = 0.10
HOUR = 3600


def _options(gcp: Any) -> dict[str, Any]:
    return {
        "credentials": gcp_credentials(gcp.key, gcp.url),
        "client_options": {"api_endpoint": gcp.url},
    }


def _bigquery(gcp: Any) -> bigquery.Client:
    return bigquery.Client(project=gcp.project, **_options(gcp))


def _create(gcp: Any, name: str, nodes: int, machine_type: str = "e2-standard-2") -> None:
    pool = NodePool(
        name="default",
        initial_node_count=nodes,
        config=NodeConfig(
            machine_type=machine_type, resource_labels={"skyclust-node-group-id": "ng-1"}
        ),
    )
    cluster = Cluster(name=name, node_pools=[pool], resource_labels={OWNER: f"id-{name}"})
    gcp.gke().create_cluster(parent=f"projects/{gcp.project}/locations/{ZONE}", cluster=cluster)


def _today(gcp: Any) -> dt.date:
    return dt.datetime.fromtimestamp(gcp.admin.billing()["now"], dt.UTC).date()


COST_BY_CLUSTER = f"""
    SELECT
      (SELECT value FROM UNNEST(labels) WHERE key = '{OWNER}') AS cluster,
      service.description AS service,
      SUM(cost) AS cost
    FROM `{{table}}`
    WHERE usage_start_time >= @start AND usage_start_time < @end
    GROUP BY cluster, service
    ORDER BY cluster, service
"""


def _costs(gcp: Any) -> dict[tuple[str, str], float]:
    today = _today(gcp)
    config = bigquery.QueryJobConfig(
        query_parameters=[
            bigquery.ScalarQueryParameter("start", "TIMESTAMP", f"{today - dt.timedelta(3)}"),
            bigquery.ScalarQueryParameter("end", "TIMESTAMP", f"{today + dt.timedelta(3)}"),
        ]
    )
    sql = COST_BY_CLUSTER.format(table=export_table(gcp.project))
    rows = _bigquery(gcp).query(sql, job_config=config).result()
    return {(row["cluster"], row["service"]): row["cost"] for row in rows}


def test_a_cluster_accrues_the_fee_and_its_nodes_in_the_billing_export(gcp: Any) -> None:
    _create(gcp, "prod", nodes=3)
    gcp.admin.advance_billing(10 * HOUR)

    costs = _costs(gcp)

    assert costs[("id-prod", "Compute Engine")] == pytest.approx(3 * 10 * E2_STANDARD_2, rel=1e-3)
    assert costs[("id-prod", "Kubernetes Engine")] == pytest.approx(10 * FEE, rel=1e-3)


def test_scaling_and_deletion_change_the_accrual_from_that_moment(gcp: Any) -> None:
    _create(gcp, "prod", nodes=4)
    gke = gcp.gke()
    path = f"projects/{gcp.project}/locations/{ZONE}/clusters/prod"
    gcp.admin.advance_billing(5 * HOUR)
    gke.set_node_pool_size(request={"name": f"{path}/nodePools/default", "node_count": 1})
    gcp.admin.advance_billing(5 * HOUR)
    gke.delete_cluster(name=path)
    gcp.admin.advance_billing(5 * HOUR)

    costs = _costs(gcp)

    assert costs[("id-prod", "Compute Engine")] == pytest.approx(5 * 5 * E2_STANDARD_2, rel=1e-3)
    assert costs[("id-prod", "Kubernetes Engine")] == pytest.approx(10 * FEE, rel=1e-3)


def test_daily_rows_carry_date_region_and_the_labels(gcp: Any) -> None:
    _create(gcp, "small", nodes=1)
    gcp.admin.advance_billing(30 * HOUR)
    sql = f"""
        SELECT DATE(usage_start_time) AS day, location.region, labels, cost, sku.description
        FROM `{export_table(gcp.project)}`
        WHERE DATE(usage_start_time) BETWEEN DATE_SUB(CURRENT_DATE(), INTERVAL 3 DAY)
          AND CURRENT_DATE()
        ORDER BY day
    """

    rows = list(_bigquery(gcp).query(sql).result())

    assert {row["region"] for row in rows} == {"us-central1"}
    assert len({row["day"] for row in rows}) >= 2
    assert all(isinstance(row["day"], dt.date) for row in rows)
    nodes = [r for r in rows if r["description"].startswith("E2 Instance Core")]
    labels = {label["key"]: label["value"] for label in nodes[0]["labels"]}
    assert labels[OWNER] == "id-small"
    assert labels["goog-k8s-cluster-name"] == "small"
    assert labels["goog-k8s-node-pool-name"] == "default"
    assert labels["skyclust-node-group-id"] == "ng-1"
    assert {row["description"] for row in rows} == {
        "Zonal Kubernetes Clusters",
        "E2 Instance Core running in us-central1",
        "E2 Instance Ram running in us-central1",
    }
    assert sum(row["cost"] for row in rows) == pytest.approx(30 * (E2_STANDARD_2 + FEE), rel=1e-3)


def test_seeded_history_is_in_the_export(gcp: Any) -> None:
    gcp.admin.seed_billing_history(
        gcp.project,
        days=14,
        daily_cost=10.0,
        service="Compute Engine",
        region="us-east1",
        weekly_pattern=[1, 1, 1, 1, 1, 0, 0],
    )
    sql = f"""
        SELECT DATE(usage_start_time) AS day, SUM(cost) AS cost
        FROM `{export_table(gcp.project)}`
        WHERE usage_start_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 20 DAY)
        GROUP BY 1 ORDER BY 1 DESC LIMIT 7
    """

    rows = list(_bigquery(gcp).query(sql).result())

    assert len(rows) == 7
    assert rows[0]["day"] == _today(gcp) - dt.timedelta(days=1)
    assert sum(row["cost"] for row in rows) == pytest.approx(50.0)


def test_unsupported_sql_is_a_bigquery_invalid_query(gcp: Any) -> None:
    client = _bigquery(gcp)
    with pytest.raises(gexc.BadRequest, match="neither grouped nor aggregated"):
        client.query(
            f"SELECT service.description, SUM(cost) FROM `{export_table(gcp.project)}`"
        ).result()
    with pytest.raises(gexc.BadRequest, match="not a standard billing export"):
        client.query("SELECT 1 FROM `other.dataset.table`").result()
    with pytest.raises(gexc.NotFound):
        client.query(
            f"SELECT cost FROM `{gcp.project}.d.gcp_billing_export_v1_000000_000000_000000`"
        ).result()


def test_billing_info_names_the_export_account(gcp: Any) -> None:
    client = billing_v1.CloudBillingClient(transport="rest", **_options(gcp))

    info = client.get_project_billing_info(name=f"projects/{gcp.project}")

    assert info.billing_enabled
    account = info.billing_account_name.removeprefix("billingAccounts/")
    assert export_table(gcp.project).endswith(account.replace("-", "_"))


def test_catalog_prices_are_the_price_table(gcp: Any) -> None:
    catalog = billing_v1.CloudCatalogClient(transport="rest", **_options(gcp))

    services = {s.display_name: s.name for s in catalog.list_services()}
    compute = list(catalog.list_skus(parent=services["Compute Engine"]))
    gke = list(catalog.list_skus(parent=services["Kubernetes Engine"]))

    def price(sku: Any) -> float:
        rate = sku.pricing_info[0].pricing_expression.tiered_rates[0].unit_price
        return float(rate.units) + rate.nanos / 1e9

    by_name = {s.description: s for s in compute}
    core = by_name["E2 Instance Core running in us-central1"]
    ram = by_name["E2 Instance Ram running in us-central1"]
    assert core.service_regions == ["us-central1"]
    assert core.pricing_info[0].pricing_expression.usage_unit == "h"
    assert 2 * price(core) + 8 * price(ram) == pytest.approx(E2_STANDARD_2, rel=1e-6)
    assert {s.description: price(s) for s in gke} == {
        "Regional Kubernetes Clusters": pytest.approx(FEE),
        "Zonal Kubernetes Clusters": pytest.approx(FEE),
    }


@pytest.mark.parametrize(
    ("api", "kind", "error", "reason"),
    [
        ("billing", "permission_denied", gexc.Forbidden, "IAM_PERMISSION_DENIED"),
        ("billing", "not_enabled", gexc.Forbidden, "SERVICE_DISABLED"),
        ("billing", "throttled", gexc.TooManyRequests, "RATE_LIMIT_EXCEEDED"),
        ("catalog", "not_enabled", gexc.Forbidden, "SERVICE_DISABLED"),
        ("bigquery", "permission_denied", gexc.Forbidden, "IAM_PERMISSION_DENIED"),
        ("bigquery", "not_enabled", gexc.Forbidden, "SERVICE_DISABLED"),
        ("bigquery", "throttled", gexc.TooManyRequests, "RATE_LIMIT_EXCEEDED"),
    ],
)
def test_billing_faults_raise_the_services_errors(
    gcp: Any, api: str, kind: str, error: type[Exception], reason: str
) -> None:
    gcp.admin.inject_billing_fault(api, kind, times=None)

    with pytest.raises(error) as info:
        if api == "billing":
            billing_v1.CloudBillingClient(
                transport="rest", **_options(gcp)
            ).get_project_billing_info(name=f"projects/{gcp.project}", retry=None)
        elif api == "catalog":
            list(billing_v1.CloudCatalogClient(transport="rest", **_options(gcp)).list_services())
        else:
            _bigquery(gcp).query(
                f"SELECT cost FROM `{export_table(gcp.project)}`",
                job_retry=None,
                retry=None,  # type: ignore[arg-type]
            ).result()
    body = info.value.response.json()["error"]  # type: ignore[attr-defined]
    assert body["details"][0]["reason"] == reason
    if kind == "not_enabled":
        assert body["errors"][0]["reason"] == "accessNotConfigured"
        assert body["status"] == "PERMISSION_DENIED"


def test_one_throttled_query_is_retried_by_the_bigquery_client(gcp: Any) -> None:
    gcp.admin.inject_billing_fault("bigquery", "throttled", times=1)

    rows = list(_bigquery(gcp).query(f"SELECT cost FROM `{export_table(gcp.project)}`").result())

    assert rows == []
    statuses = [r["status"] for r in gcp.admin.requests() if r["path"].endswith("/jobs")]
    assert statuses == [429, 200]


def test_billing_speed_set_through_the_admin_api_bills_a_day_per_minute(gcp: Any) -> None:
    _create(gcp, "demo", nodes=1)
    assert gcp.admin.set_billing_speed(1440)["speed"] == 1440

    gcp.admin.advance_billing(60)  # one minute of billing at 1440x

    day = 24 * (E2_STANDARD_2 + FEE)
    costs = _costs(gcp)
    # plus the few real milliseconds of the test, also at 1440x
    assert sum(costs.values()) == pytest.approx(day, rel=2e-2)
    gcp.admin.reset()
    assert gcp.admin.billing()["speed"] == 1


def test_query_and_wait_goes_through_jobs_query(gcp: Any) -> None:
    _create(gcp, "prod", nodes=2)
    gcp.admin.advance_billing(4 * HOUR)
    sql = f"""
        SELECT project.id AS project, COUNT(*) AS n,
          SUM(cost) + SUM(IFNULL((SELECT SUM(c.amount) FROM UNNEST(credits) c), 0)) AS cost
        FROM `{export_table(gcp.project)}`
        WHERE project.id = @project AND usage_start_time >= TIMESTAMP('2000-01-01')
        GROUP BY project
    """
    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter("project", "STRING", gcp.project)]
    )

    rows = list(_bigquery(gcp).query_and_wait(sql, job_config=config))

    assert [r["project"] for r in rows] == [gcp.project]
    assert rows[0]["n"] in (3, 6)  # fee, cores and RAM rows, for one day or two
    assert rows[0]["cost"] == pytest.approx(4 * (2 * E2_STANDARD_2 + FEE), rel=1e-3)
    assert any(r["path"].endswith("/queries") for r in gcp.admin.requests())
