"""The local Azure bills what it runs: AKS Standard-tier control planes and agent pools' VMs
accrue by the emulator clock, read back through azure-mgmt-costmanagement's Query API and
forecast by its Forecast API; the Retail Prices API serves the price table."""

from __future__ import annotations

import datetime as dt
import ssl
from typing import Any

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.mgmt.costmanagement import CostManagementClient
from azure.mgmt.costmanagement.models import (
    ForecastAggregation,
    ForecastDataset,
    ForecastDefinition,
    ForecastTimePeriod,
    QueryAggregation,
    QueryDataset,
    QueryDefinition,
    QueryGrouping,
    QueryTimePeriod,
)

pytestmark = pytest.mark.integration

GROUP = "rg-k8s"
LOCATION = "eastus"
OWNER = "skyclust-cluster-id"
D4S_V5 = 0.192
D2S_V5 = 0.096
UPTIME_SLA = 0.10
HOUR = 3600


def _costs(azure: Any, **kwargs: Any) -> CostManagementClient:
    return CostManagementClient(
        azure.credential(),
        base_url=azure.url,
        credential_scopes=["https://management.azure.com/.default"],
        connection_verify=azure.ca_bundle,
        **kwargs,
    )


def _create(azure: Any, name: str, count: int, *, tier: str = "Standard") -> None:
    azure.resources().resource_groups.create_or_update(GROUP, {"location": LOCATION})
    azure.aks().managed_clusters.begin_create_or_update(
        GROUP,
        name,
        {
            "location": LOCATION,
            "sku": {"name": "Base", "tier": tier},
            "identity": {"type": "SystemAssigned"},
            "tags": {OWNER: f"id-{name}"},
            "properties": {
                "dnsPrefix": name,
                "agentPoolProfiles": [
                    {
                        "name": "system",
                        "count": count,
                        "vmSize": "Standard_D4s_v5",
                        "mode": "System",
                    }
                ],
            },
        },
    ).result()


def _today(azure: Any) -> dt.date:
    return dt.datetime.fromtimestamp(azure.admin.billing()["now"], dt.UTC).date()


def _query(
    azure: Any, *groupings: QueryGrouping, granularity: str = "Daily", scope: str | None = None
) -> Any:
    today = _today(azure)
    definition = QueryDefinition(
        type="ActualCost",
        timeframe="Custom",
        time_period=QueryTimePeriod(
            from_property=dt.datetime.combine(today - dt.timedelta(days=3), dt.time(), dt.UTC),
            to=dt.datetime.combine(today, dt.time(23, 59, 59), dt.UTC),
        ),
        dataset=QueryDataset(
            granularity=granularity,
            aggregation={"totalCost": QueryAggregation(name="PreTaxCost", function="Sum")},
            grouping=list(groupings),
        ),
    )
    return _costs(azure).query.usage(scope or f"subscriptions/{azure.subscription_id}", definition)


def _totals(result: Any, *names: str) -> dict[tuple[Any, ...], float]:
    columns = [c.name for c in result.properties.columns]
    totals: dict[tuple[Any, ...], float] = {}
    for row in result.properties.rows:
        record = dict(zip(columns, row, strict=True))
        key = tuple(record[n] for n in names)
        totals[key] = totals.get(key, 0.0) + record["PreTaxCost"]
    return totals


BY_CLUSTER_AND_SERVICE = (
    QueryGrouping(type="TagKey", name=OWNER),
    QueryGrouping(type="Dimension", name="ServiceName"),
)


def test_a_cluster_accrues_the_uptime_sla_and_its_vms(azure: Any) -> None:
    _create(azure, "prod", count=3)
    azure.admin.advance_billing(10 * HOUR)

    result = _query(azure, *BY_CLUSTER_AND_SERVICE)

    assert [c.name for c in result.properties.columns] == [
        "PreTaxCost",
        "UsageDate",
        "TagKey",
        "TagValue",
        "ServiceName",
        "Currency",
    ]
    totals = _totals(result, "TagValue", "ServiceName")
    assert totals[("id-prod", "Virtual Machines")] == pytest.approx(3 * 10 * D4S_V5, rel=1e-3)
    assert totals[("id-prod", "Azure Kubernetes Service")] == pytest.approx(
        10 * UPTIME_SLA, rel=1e-3
    )
    assert {row[-1] for row in result.properties.rows} == {"USD"}
    assert all(isinstance(row[1], int) for row in result.properties.rows)  # UsageDate 20261203


def test_scaling_and_deletion_change_the_accrual_from_that_moment(azure: Any) -> None:
    _create(azure, "prod", count=4, tier="Free")
    aks = azure.aks()
    azure.admin.advance_billing(5 * HOUR)
    pool = aks.agent_pools.get(GROUP, "prod", "system")
    pool.count = 1
    aks.agent_pools.begin_create_or_update(GROUP, "prod", "system", pool).result()
    azure.admin.advance_billing(5 * HOUR)
    aks.managed_clusters.begin_delete(GROUP, "prod").result()
    azure.admin.advance_billing(5 * HOUR)

    totals = _totals(_query(azure, *BY_CLUSTER_AND_SERVICE), "TagValue", "ServiceName")

    # the Free tier's control plane costs nothing
    assert totals == {("id-prod", "Virtual Machines"): pytest.approx(25 * D4S_V5, rel=1e-3)}


def test_vm_costs_are_in_the_node_resource_group_and_the_location(azure: Any) -> None:
    _create(azure, "prod", count=1)
    azure.admin.advance_billing(2 * HOUR)

    result = _query(
        azure,
        QueryGrouping(type="Dimension", name="ResourceGroupName"),
        QueryGrouping(type="Dimension", name="ResourceLocation"),
        granularity="Monthly",
    )

    totals = _totals(result, "ResourceGroupName", "ResourceLocation")
    assert totals == {
        (GROUP, LOCATION): pytest.approx(2 * UPTIME_SLA, rel=1e-3),
        (f"mc_{GROUP}_prod_{LOCATION}", LOCATION): pytest.approx(2 * D4S_V5, rel=1e-3),
    }


def test_seeded_history_and_a_resource_group_scope(azure: Any) -> None:
    azure.admin.seed_billing_history(
        azure.subscription_id,
        days=3,
        daily_cost=7.0,
        service="Virtual Machines",
        region=LOCATION,
        weekly_pattern=[1] * 7,
    )
    _create(azure, "prod", count=1)
    azure.admin.advance_billing(HOUR)
    by_service = QueryGrouping(type="Dimension", name="ServiceName")

    subscription = _totals(_query(azure, by_service), "ServiceName")
    # the scope as the SDK's docs write it, slashes and all
    group = _totals(
        _query(
            azure,
            by_service,
            scope=f"/subscriptions/{azure.subscription_id}/resourceGroups/{GROUP}/",
        ),
        "ServiceName",
    )

    assert subscription == {
        ("Virtual Machines",): pytest.approx(21.0 + D4S_V5, rel=1e-3),
        ("Azure Kubernetes Service",): pytest.approx(UPTIME_SLA, rel=1e-3),
    }
    assert group == {("Azure Kubernetes Service",): pytest.approx(UPTIME_SLA, rel=1e-3)}


def _forecast(azure: Any, start: dt.date, end: dt.date, **more: Any) -> Any:
    definition = ForecastDefinition(
        type="ActualCost",
        timeframe=more.pop("timeframe", "Custom"),
        time_period=ForecastTimePeriod(
            from_property=dt.datetime.combine(start, dt.time(), dt.UTC),
            to=dt.datetime.combine(end, dt.time(), dt.UTC),
        ),
        dataset=ForecastDataset(
            granularity=more.pop("granularity", "Daily"),
            aggregation={"totalCost": ForecastAggregation(name="PreTaxCost", function="Sum")},
        ),
        **more,
    )
    return _costs(azure, retry_total=0).forecast.usage(
        f"subscriptions/{azure.subscription_id}", definition
    )


def test_the_forecast_is_what_runs_now_plus_the_history_of_that_weekday(azure: Any) -> None:
    azure.admin.seed_billing_history(
        azure.subscription_id,
        days=14,
        daily_cost=7.0,
        service="Storage",
        region=LOCATION,
        weekly_pattern=[1] * 7,
    )
    _create(azure, "prod", count=1)
    today = _today(azure)

    result = _forecast(
        azure,
        today - dt.timedelta(days=2),
        today + dt.timedelta(days=2),
        include_actual_cost=True,
    )

    columns = [c.name for c in result.properties.columns]
    assert columns == ["PreTaxCost", "UsageDate", "CostStatus", "Currency"]
    rows = [dict(zip(columns, r, strict=True)) for r in result.properties.rows]
    days = [today + dt.timedelta(days=d) for d in range(-2, 3)]
    assert [r["UsageDate"] for r in rows] == [int(d.strftime("%Y%m%d")) for d in days]
    assert [r["CostStatus"] for r in rows] == ["Actual"] * 2 + ["Forecast"] * 3
    assert all(r["Currency"] == "USD" for r in rows)
    for r in rows[2:]:
        assert r["PreTaxCost"] == pytest.approx(7.0 + 24 * (D4S_V5 + UPTIME_SLA), rel=1e-3)
    assert all(r["PreTaxCost"] == pytest.approx(7.0, rel=1e-3) for r in rows[:2])


def test_a_forecast_without_actual_cost_has_only_the_days_to_come(azure: Any) -> None:
    today = _today(azure)

    result = _forecast(azure, today - dt.timedelta(days=3), today + dt.timedelta(days=1))

    assert [r[2] for r in result.properties.rows] == ["Forecast"] * 2


@pytest.mark.parametrize(
    "bad", [{"timeframe": "MonthToDate"}, {"granularity": "Monthly"}], ids=["timeframe", "grain"]
)
def test_a_forecast_other_than_custom_and_daily_is_a_bad_request(
    azure: Any, bad: dict[str, str]
) -> None:
    today = _today(azure)

    with pytest.raises(HttpResponseError) as info:
        _forecast(azure, today, today, **bad)

    assert info.value.status_code == 400
    assert info.value.error is not None and info.value.error.code == "BadRequest"


def test_a_query_without_a_time_period_is_a_bad_request(azure: Any) -> None:
    definition = QueryDefinition(type="ActualCost", timeframe="Custom", dataset=QueryDataset())

    with pytest.raises(HttpResponseError) as info:
        _costs(azure).query.usage(f"subscriptions/{azure.subscription_id}", definition)

    assert info.value.status_code == 400
    assert info.value.error is not None and info.value.error.code == "BadRequest"


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("permission_denied", 403, "AuthorizationFailed"),
        ("rbac_denied", 401, "RBACAccessDenied"),
        ("not_enabled", 403, "BillingAccessDenied"),
        ("throttled", 429, "429"),
    ],
)
def test_cost_management_faults_raise_the_services_errors(
    azure: Any, kind: str, status: int, code: str
) -> None:
    azure.admin.inject_billing_fault("cost_management", kind, times=None)
    today = _today(azure)
    definition = QueryDefinition(
        type="ActualCost",
        timeframe="Custom",
        time_period=QueryTimePeriod(
            from_property=dt.datetime.combine(today, dt.time(), dt.UTC),
            to=dt.datetime.combine(today, dt.time(), dt.UTC),
        ),
        dataset=QueryDataset(granularity="Daily"),
    )
    client = _costs(azure, retry_total=0)

    with pytest.raises(HttpResponseError) as info:
        client.query.usage(f"subscriptions/{azure.subscription_id}", definition)

    assert info.value.status_code == status
    assert info.value.error is not None and info.value.error.code == code
    if status == 401:
        assert isinstance(info.value, ClientAuthenticationError)
    if kind == "throttled":
        response: Any = info.value.response
        assert response.headers["Retry-After"] == "10"


def _tls(azure: Any) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=azure.ca_bundle)


def _retail(azure: Any, **params: str) -> dict[str, Any]:
    response = httpx.get(f"{azure.url}/api/retail/prices", params=params, verify=_tls(azure))
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def test_retail_prices_filter_and_page(azure: Any) -> None:
    d2s = _retail(
        azure,
        **{
            "$filter": "serviceName eq 'Virtual Machines' and armRegionName eq 'eastus' "
            "and armSkuName eq 'Standard_D2s_v5'"
        },
    )
    assert d2s["BillingCurrency"] == "USD"
    regular = [
        i for i in d2s["Items"] if "Spot" not in i["meterName"] and "Low" not in i["meterName"]
    ]
    assert [(i["meterName"], i["retailPrice"]) for i in regular] == [("D2s v5", D2S_V5)]
    assert d2s["NextPageLink"] is None

    aks = _retail(azure, **{"$filter": "serviceName eq 'Azure Kubernetes Service'"})
    assert {i["retailPrice"] for i in aks["Items"]} == {UPTIME_SLA}

    pages, url = 0, f"{azure.url}/api/retail/prices"
    seen: list[str] = []
    while url:
        body = httpx.get(url, verify=_tls(azure)).json()
        seen += [i["meterId"] for i in body["Items"]]
        url, pages = body["NextPageLink"], pages + 1
    assert pages > 1
    assert len(seen) == len(set(seen))


def test_retail_prices_reject_an_unsupported_filter_and_can_be_throttled(azure: Any) -> None:
    bad = httpx.get(
        f"{azure.url}/api/retail/prices",
        params={"$filter": "retailPrice gt 1"},
        verify=_tls(azure),
    )
    assert bad.status_code == 400

    azure.admin.inject_billing_fault("retail_prices", "throttled")
    throttled = httpx.get(f"{azure.url}/api/retail/prices", verify=_tls(azure))
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "10"
