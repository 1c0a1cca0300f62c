"""The AWS collector against the local AWS: Cost Explorer through boto3, and each
billing fault as the seed's warning code."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import boto3
import pytest
from prometheus_client import REGISTRY
from skyclust_cost.adapters.billing.aws import CostExplorerCollector
from skyclust_cost.adapters.billing.base import BillingUnavailable

from skyclust_tools.embedded import MotoServer, free_port
from skyclust_tools.emulators import AwsAdmin

pytestmark = pytest.mark.integration

ROLE = "arn:aws:iam::123456789012:role/eks"
SECRET = {"access_key_id": "AKIAEXAMPLEEXAMPLE12", "secret_access_key": "s" * 40}
EC2 = "Amazon Elastic Compute Cloud - Compute"
EKS = "Amazon Elastic Container Service for Kubernetes"


@pytest.fixture(scope="module")
def server() -> Iterator[MotoServer]:
    running = MotoServer(port=free_port()).start()
    yield running
    running.stop()


@pytest.fixture
def admin(server: MotoServer) -> Iterator[AwsAdmin]:
    client = AwsAdmin(server.url)
    client.clear_faults()
    yield client
    client.clear_faults()
    client.close()


def _cluster(url: str, nodes: int) -> str:
    eks = boto3.client(
        "eks",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=SECRET["access_key_id"],
        aws_secret_access_key=SECRET["secret_access_key"],
    )
    name, cluster_id = f"c{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    eks.create_cluster(
        name=name,
        roleArn=ROLE,
        resourcesVpcConfig={"subnetIds": []},
        tags={"skyclust.io/cluster-id": cluster_id},
    )
    eks.create_nodegroup(
        clusterName=name,
        nodegroupName="ng",
        nodeRole=ROLE,
        subnets=["subnet-1"],
        instanceTypes=["t3.medium"],
        scalingConfig={"minSize": 0, "maxSize": 10, "desiredSize": nodes},
        tags={"skyclust.io/cluster-id": cluster_id},
    )
    return cluster_id


def _today(admin: AwsAdmin) -> dt.date:
    return dt.datetime.fromtimestamp(admin.billing()["now"], dt.UTC).date()


async def test_a_cluster_reads_back_as_daily_rows_by_service_region_and_cluster(
    server: MotoServer, admin: AwsAdmin
) -> None:
    cluster_id = _cluster(server.url, nodes=2)
    admin.advance_billing(2 * 86400)
    today = _today(admin)
    rows = await CostExplorerCollector(server.url).collect(
        SECRET, today - dt.timedelta(days=4), today
    )
    mine = [r for r in rows if r.cluster_id == cluster_id]
    by_service: dict[str, float] = {}
    for r in mine:
        by_service[r.service] = by_service.get(r.service, 0.0) + float(r.amount)
        assert r.provider == "aws" and r.region == "us-east-1" and r.account == "123456789012"
        assert r.source == "billing_api" and r.currency == "USD"
    assert by_service[EKS] == pytest.approx(48 * 0.10, rel=1e-2)
    assert by_service[EC2] == pytest.approx(2 * 48 * 0.0416, rel=1e-2)
    assert len({r.day for r in mine}) >= 2


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("permission_denied", "API_PERMISSION_DENIED"),
        ("not_enabled", "API_NOT_ENABLED"),
        ("data_unavailable", "API_NOT_ENABLED"),
        ("throttled", "API_THROTTLED"),
    ],
)
async def test_each_billing_fault_is_its_warning_code(
    server: MotoServer, admin: AwsAdmin, kind: str, code: str
) -> None:
    admin.inject_billing_fault("cost_explorer", kind, times=None)
    today = _today(admin)
    with pytest.raises(BillingUnavailable) as caught:
        await CostExplorerCollector(server.url, max_attempts=1).collect(
            SECRET, today - dt.timedelta(days=1), today
        )
    assert caught.value.warning.code == code
    assert caught.value.warning.provider == "aws"


def billing_calls(outcome: str) -> float:
    labels = {"provider": "aws", "operation": "billing", "outcome": outcome}
    return REGISTRY.get_sample_value("skyclust_cloud_api_calls_total", labels) or 0.0


async def test_billing_reads_are_counted_as_cloud_calls_and_throttles_as_throttles(
    server: MotoServer, admin: AwsAdmin
) -> None:
    today = _today(admin)
    before = [billing_calls(o) for o in ("ok", "error", "throttled")]
    await CostExplorerCollector(server.url).collect(SECRET, today - dt.timedelta(days=1), today)
    for kind in ("throttled", "permission_denied"):
        admin.inject_billing_fault("cost_explorer", kind, times=None)
        with pytest.raises(BillingUnavailable):
            await CostExplorerCollector(server.url, max_attempts=1).collect(
                SECRET, today - dt.timedelta(days=1), today
            )
        admin.clear_faults()
    after = [billing_calls(o) for o in ("ok", "error", "throttled")]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]


async def test_a_credential_without_keys_is_a_credential_error(server: MotoServer) -> None:
    with pytest.raises(BillingUnavailable) as caught:
        await CostExplorerCollector(server.url).collect(
            {}, dt.date(2026, 1, 1), dt.date(2026, 1, 2)
        )
    assert caught.value.warning.code == "CREDENTIAL_ERROR"


async def test_the_accounts_own_forecast_grows_by_what_a_new_cluster_costs_a_day(
    server: MotoServer, admin: AwsAdmin
) -> None:
    collector = CostExplorerCollector(server.url)
    start = _today(admin) + dt.timedelta(days=1)
    end = start + dt.timedelta(days=6)
    before = await collector.forecast(SECRET, start, end)
    _cluster(server.url, nodes=2)

    after = await collector.forecast(SECRET, start, end)

    # A week of the control plane and two t3.medium nodes.
    assert float(after.total - before.total) == pytest.approx(7 * 24 * (0.10 + 2 * 0.0416), 1e-2)
    assert after.provider == "aws" and after.source == "aws_cost_explorer"
    assert after.currency == "USD"
    assert after.lower_80 is not None and after.upper_80 is not None
    assert after.lower_80 < after.total < after.upper_80


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("permission_denied", "API_PERMISSION_DENIED"),
        ("not_enabled", "API_NOT_ENABLED"),
        ("data_unavailable", "API_NOT_ENABLED"),
        ("throttled", "API_THROTTLED"),
    ],
)
async def test_each_fault_of_the_forecast_is_its_warning_code(
    server: MotoServer, admin: AwsAdmin, kind: str, code: str
) -> None:
    admin.inject_billing_fault("cost_explorer", kind, times=None)
    start = _today(admin) + dt.timedelta(days=1)
    with pytest.raises(BillingUnavailable) as caught:
        await CostExplorerCollector(server.url, max_attempts=1).forecast(
            SECRET, start, start + dt.timedelta(days=6)
        )
    assert caught.value.warning.code == code and caught.value.warning.provider == "aws"
    if code == "API_PERMISSION_DENIED":
        assert "ce:GetCostForecast" in caught.value.warning.message


async def test_a_forecast_with_a_refused_credential_is_a_credential_error(
    server: MotoServer, admin: AwsAdmin
) -> None:
    start = _today(admin) + dt.timedelta(days=1)
    with pytest.raises(BillingUnavailable) as caught:
        await CostExplorerCollector(server.url).forecast({}, start, start)
    assert caught.value.warning.code == "CREDENTIAL_ERROR"
