"""The GCP collector against the project's GCP emulator: Cloud Billing info and the
BigQuery billing export through the official clients, and each billing fault."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from google.cloud.container_v1 import Cluster, NodeConfig, NodePool
from skyclust_cost.adapters.billing.base import BillingUnavailable
from skyclust_cost.adapters.billing.gcp import BigQueryExportCollector

from skyclust_common.cloud import gke_client
from skyclust_tools.emulators import gcp as gcp_emulator

pytestmark = pytest.mark.integration

PROJECT = "cost-test"
E2_STANDARD_2 = 2 * 0.02181159 + 8 * 0.00292353


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    with gcp_emulator.run_in_thread(durations={"default": 0}) as running:
        yield running


@pytest.fixture
def key(emulator: Any) -> dict[str, Any]:
    emulator.admin.reset()
    return dict(emulator.admin.create_service_account_key(PROJECT))


def _today(emulator: Any) -> dt.date:
    return dt.datetime.fromtimestamp(emulator.admin.billing()["now"], dt.UTC).date()


async def test_a_cluster_reads_back_by_day_service_cluster_and_node_group(
    emulator: Any, key: dict[str, Any]
) -> None:
    pool = NodePool(
        name="default",
        initial_node_count=2,
        config=NodeConfig(
            machine_type="e2-standard-2", resource_labels={"skyclust-node-group-id": "ng-1"}
        ),
    )
    cluster = Cluster(
        name="prod", node_pools=[pool], resource_labels={"skyclust-cluster-id": "c-1"}
    )
    gke_client(key, emulator.url).create_cluster(
        parent=f"projects/{PROJECT}/locations/us-central1-a", cluster=cluster
    )
    emulator.admin.advance_billing(30 * 3600)
    today = _today(emulator)
    rows = await BigQueryExportCollector(emulator.url).collect(
        {"service_account_json": key}, today - dt.timedelta(days=3), today
    )
    mine = [r for r in rows if r.cluster_id == "c-1"]
    compute = sum(float(r.amount) for r in mine if r.service == "Compute Engine")
    fee = sum(float(r.amount) for r in mine if r.service == "Kubernetes Engine")
    assert compute == pytest.approx(2 * 30 * E2_STANDARD_2, rel=1e-3)
    assert fee == pytest.approx(30 * 0.10, rel=1e-3)
    assert {r.node_group for r in mine if r.service == "Compute Engine"} == {"ng-1"}
    assert {r.account for r in mine} == {PROJECT} and len({r.day for r in mine}) >= 2
    assert all(r.region == "us-central1" for r in mine)


@pytest.mark.parametrize(
    ("api", "kind", "code"),
    [
        ("billing", "permission_denied", "API_PERMISSION_DENIED"),
        ("billing", "not_enabled", "API_NOT_ENABLED"),
        ("billing", "throttled", "API_THROTTLED"),
        ("bigquery", "permission_denied", "API_PERMISSION_DENIED"),
        ("bigquery", "not_enabled", "API_NOT_ENABLED"),
        ("bigquery", "throttled", "API_THROTTLED"),
    ],
)
async def test_each_billing_fault_is_its_warning_code(
    emulator: Any, key: dict[str, Any], api: str, kind: str, code: str
) -> None:
    emulator.admin.inject_billing_fault(api, kind, times=None)
    today = _today(emulator)
    with pytest.raises(BillingUnavailable) as caught:
        await BigQueryExportCollector(emulator.url, retry_deadline=1.0).collect(
            {"service_account_json": key}, today - dt.timedelta(days=1), today
        )
    assert caught.value.warning.code == code and caught.value.warning.provider == "gcp"


async def test_a_disabled_key_is_a_credential_error(emulator: Any, key: dict[str, Any]) -> None:
    emulator.admin.revoke_key(key["private_key_id"])
    today = _today(emulator)
    with pytest.raises(BillingUnavailable) as caught:
        await BigQueryExportCollector(emulator.url, retry_deadline=1.0).collect(
            {"service_account_json": key}, today, today
        )
    assert caught.value.warning.code == "CREDENTIAL_ERROR"
