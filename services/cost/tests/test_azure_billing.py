"""The Azure collector against the project's Azure emulator: Cost Management Query
through azure-mgmt-costmanagement, and each billing fault as the seed's warning code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from skyclust_cost.adapters.billing.azure import CostManagementCollector
from skyclust_cost.adapters.billing.base import BillingUnavailable

from skyclust_common.cloud import aks_client, azure_credential, azure_resource_client
from skyclust_tools.emulators import azure as azure_emulator

pytestmark = pytest.mark.integration

D4S_V5 = 0.192
D2S_V5 = 0.096
UPTIME_SLA = 0.10
HOUR = 3600
VMS = "Virtual Machines"
AKS = "Azure Kubernetes Service"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    with azure_emulator.run_in_thread(durations={"default": 0}) as running:
        yield running


@pytest.fixture
def secret(emulator: Any) -> dict[str, Any]:
    emulator.admin.reset()
    return dict(emulator.admin.create_account())


def _collector(emulator: Any, **kwargs: Any) -> CostManagementCollector:
    return CostManagementCollector(emulator.url, ca_bundle=emulator.ca_bundle, **kwargs)


def _create(
    emulator: Any, secret: dict[str, Any], name: str, location: str, pools: dict[str, Any]
) -> None:
    credential = azure_credential(
        secret["tenant_id"],
        secret["client_id"],
        secret["client_secret"],
        emulator.url,
        ca_bundle=emulator.ca_bundle,
    )
    sub, ca, group = secret["subscription_id"], emulator.ca_bundle, f"rg-{name}"
    resources = azure_resource_client(credential, sub, emulator.url, ca_bundle=ca)
    resources.resource_groups.create_or_update(group, {"location": location})
    body: Any = {
        "location": location,
        "sku": {"name": "Base", "tier": "Standard"},
        "identity": {"type": "SystemAssigned"},
        "tags": {"skyclust-cluster-id": f"id-{name}"},
        "properties": {
            "dnsPrefix": name,
            "agentPoolProfiles": [
                {"name": pool, "count": count, "vmSize": size, "mode": "System"}
                for pool, (size, count) in pools.items()
            ],
        },
    }
    aks = aks_client(credential, sub, emulator.url, ca_bundle=ca)
    aks.managed_clusters.begin_create_or_update(group, name, body).result()


def _today(emulator: Any) -> dt.date:
    return dt.datetime.fromtimestamp(emulator.admin.billing()["now"], dt.UTC).date()


async def test_clusters_read_back_by_day_service_location_and_cluster(
    emulator: Any, secret: dict[str, Any]
) -> None:
    _create(
        emulator,
        secret,
        "prod",
        "eastus",
        {"system": ("Standard_D4s_v5", 2), "user": ("Standard_D2s_v5", 3)},
    )
    _create(emulator, secret, "edge", "westeurope", {"system": ("Standard_D2s_v5", 1)})
    emulator.admin.advance_billing(30 * HOUR)
    emulator.admin.seed_billing_history(
        secret["subscription_id"],
        days=2,
        daily_cost=5.0,
        service="Storage",
        region="eastus",
        weekly_pattern=[1] * 7,
    )
    today = _today(emulator)

    rows = await _collector(emulator).collect(secret, today - dt.timedelta(days=3), today)

    totals: dict[tuple[str, str, str], float] = {}
    for r in rows:
        key = (r.cluster_id, r.service, r.region)
        totals[key] = totals.get(key, 0.0) + float(r.amount)
        assert r.provider == "azure" and r.account == secret["subscription_id"]
        assert r.source == "billing_api" and r.currency == "USD"
    assert totals == {
        ("id-prod", VMS, "eastus"): pytest.approx(30 * (2 * D4S_V5 + 3 * D2S_V5), rel=1e-3),
        ("id-prod", AKS, "eastus"): pytest.approx(30 * UPTIME_SLA, rel=1e-3),
        ("id-edge", VMS, "westeurope"): pytest.approx(30 * D2S_V5, rel=1e-3),
        ("id-edge", AKS, "westeurope"): pytest.approx(30 * UPTIME_SLA, rel=1e-3),
        ("", "Storage", "eastus"): pytest.approx(10.0, rel=1e-3),
    }
    prod = [r for r in rows if r.cluster_id == "id-prod"]
    assert len({r.day for r in prod}) >= 2
    assert all(r.tags == {"skyclust-cluster-id": "id-prod"} for r in prod)
    assert all(r.resource_type == "vm" for r in rows if r.service == "Storage")


async def test_more_rows_than_a_page_are_all_read(emulator: Any, secret: dict[str, Any]) -> None:
    # 1000 rows a page: one service a day for 400 days is one location's query over a year.
    for n in range(3):
        emulator.admin.seed_billing_history(
            secret["subscription_id"],
            days=360,
            daily_cost=1.0,
            service=f"Service {n}",
            region="eastus",
            weekly_pattern=[1] * 7,
        )
    today = _today(emulator)

    rows = await _collector(emulator).collect(secret, today - dt.timedelta(days=364), today)

    assert len(rows) == 3 * 360
    assert sum(float(r.amount) for r in rows) == pytest.approx(3 * 360.0, rel=1e-6)


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("permission_denied", "API_PERMISSION_DENIED"),
        ("rbac_denied", "API_PERMISSION_DENIED"),
        ("not_enabled", "API_NOT_ENABLED"),
        ("not_registered", "API_NOT_ENABLED"),
        ("throttled", "API_THROTTLED"),
    ],
)
async def test_each_billing_fault_is_its_warning_code(
    emulator: Any, secret: dict[str, Any], kind: str, code: str
) -> None:
    emulator.admin.inject_billing_fault("cost_management", kind, times=None)
    today = _today(emulator)

    with pytest.raises(BillingUnavailable) as caught:
        await _collector(emulator, max_retries=0).collect(
            secret, today - dt.timedelta(days=1), today
        )

    assert caught.value.warning.code == code and caught.value.warning.provider == "azure"


async def test_a_wrong_secret_or_a_missing_field_is_a_credential_error(
    emulator: Any, secret: dict[str, Any]
) -> None:
    today = _today(emulator)
    for bad in ({**secret, "client_secret": "wrong"}, {"tenant_id": secret["tenant_id"]}):
        with pytest.raises(BillingUnavailable) as caught:
            await _collector(emulator, max_retries=0).collect(bad, today, today)
        assert caught.value.warning.code == "CREDENTIAL_ERROR"


async def test_the_subscriptions_own_forecast_is_what_runs_now_over_the_window(
    emulator: Any, secret: dict[str, Any]
) -> None:
    _create(emulator, secret, "fc", "eastus", {"system": ("Standard_D4s_v5", 2)})
    start = _today(emulator) + dt.timedelta(days=1)

    found = await _collector(emulator).forecast(secret, start, start + dt.timedelta(days=6))

    assert float(found.total) == pytest.approx(7 * 24 * (2 * D4S_V5 + UPTIME_SLA), rel=1e-3)
    assert found.provider == "azure" and found.source == "azure_cost_management"
    assert found.currency == "USD"
    # Azure's Forecast API gives no interval.
    assert found.lower_80 is None and found.upper_80 is None


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("permission_denied", "API_PERMISSION_DENIED"),
        ("not_enabled", "API_NOT_ENABLED"),
        ("throttled", "API_THROTTLED"),
    ],
)
async def test_each_fault_of_the_forecast_is_its_warning_code(
    emulator: Any, secret: dict[str, Any], kind: str, code: str
) -> None:
    emulator.admin.inject_billing_fault("cost_management", kind, times=None)
    start = _today(emulator) + dt.timedelta(days=1)

    with pytest.raises(BillingUnavailable) as caught:
        await _collector(emulator, max_retries=0).forecast(secret, start, start)

    assert caught.value.warning.code == code and caught.value.warning.provider == "azure"


async def test_a_forecast_with_a_wrong_secret_is_a_credential_error(
    emulator: Any, secret: dict[str, Any]
) -> None:
    start = _today(emulator) + dt.timedelta(days=1)
    with pytest.raises(BillingUnavailable) as caught:
        await _collector(emulator, max_retries=0).forecast(
            {**secret, "client_secret": "wrong"}, start, start
        )
    assert caught.value.warning.code == "CREDENTIAL_ERROR"
