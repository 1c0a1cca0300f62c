"""The local AWS bills what it runs: EKS clusters and node groups accrue cost by the emulator
clock, read back through boto3's Cost Explorer and Price List clients."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from skyclust_tools.embedded import MotoServer, free_port
from skyclust_tools.emulators import AwsAdmin

pytestmark = pytest.mark.integration

ROLE = "arn:aws:iam::123456789012:role/eks"
OWNER = "skyclust.io/cluster-id"
T3_MEDIUM = 0.0416
EKS_HOUR = 0.10
EC2 = "Amazon Elastic Compute Cloud - Compute"
EKS = "Amazon Elastic Container Service for Kubernetes"
HOUR = 3600


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


@pytest.fixture
def aws(server: MotoServer, admin: AwsAdmin) -> Any:
    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="AKIAEXAMPLEEXAMPLE12",
            aws_secret_access_key="s" * 40,
            config=Config(retries={"total_max_attempts": 1}),
        )

    return client


def _cluster(aws: Any, nodes: int, instance: str = "t3.medium") -> tuple[str, str]:
    """A cluster tagged as provisioning tags it, with one node group; returns (name, id)."""
    name, cluster_id = f"c{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    eks = aws("eks")
    eks.create_cluster(
        name=name,
        roleArn=ROLE,
        resourcesVpcConfig={"subnetIds": []},
        tags={OWNER: cluster_id},
    )
    eks.create_nodegroup(
        clusterName=name,
        nodegroupName="ng",
        nodeRole=ROLE,
        subnets=["subnet-1"],
        instanceTypes=[instance],
        scalingConfig={"minSize": 0, "maxSize": 10, "desiredSize": nodes},
        tags={OWNER: cluster_id},
    )
    return name, cluster_id


def _window() -> dict[str, str]:
    # Wide enough for every clock advance in this module.
    today = dt.datetime.now(dt.UTC).date()
    return {"Start": str(today - dt.timedelta(days=3)), "End": str(today + dt.timedelta(days=40))}


def _emulator_today(admin: AwsAdmin) -> dt.date:
    """Earlier tests moved the emulator's clock on."""
    return dt.datetime.fromtimestamp(admin.billing()["now"], dt.UTC).date()


def _by_service(aws: Any, cluster_id: str) -> dict[str, float]:
    result = aws("ce").get_cost_and_usage(
        TimePeriod=_window(),
        Granularity="MONTHLY",
        Metrics=["UnblendedCost", "UsageQuantity"],
        GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}],
        Filter={"Tags": {"Key": OWNER, "Values": [cluster_id]}},
    )
    totals: dict[str, float] = {}
    for period in result["ResultsByTime"]:
        for group in period["Groups"]:
            amount = float(group["Metrics"]["UnblendedCost"]["Amount"])
            totals[group["Keys"][0]] = totals.get(group["Keys"][0], 0.0) + amount
    return totals


def test_a_cluster_accrues_control_plane_and_nodes_by_the_hour(aws: Any, admin: AwsAdmin) -> None:
    _, cluster_id = _cluster(aws, nodes=3)

    admin.advance_clock(10 * HOUR)

    costs = _by_service(aws, cluster_id)
    assert costs[EC2] == pytest.approx(3 * 10 * T3_MEDIUM, rel=1e-3)
    assert costs[EKS] == pytest.approx(10 * EKS_HOUR, rel=1e-3)


def test_scaling_and_deletion_change_the_accrual_from_that_moment(
    aws: Any, admin: AwsAdmin
) -> None:
    name, cluster_id = _cluster(aws, nodes=4)
    eks = aws("eks")
    admin.advance_clock(5 * HOUR)
    eks.update_nodegroup_config(
        clusterName=name, nodegroupName="ng", scalingConfig={"desiredSize": 1}
    )
    admin.advance_clock(5 * HOUR)
    eks.delete_nodegroup(clusterName=name, nodegroupName="ng")
    admin.advance_clock(5 * HOUR)
    eks.delete_cluster(name=name)
    admin.advance_clock(5 * HOUR)

    costs = _by_service(aws, cluster_id)
    assert costs[EC2] == pytest.approx((4 * 5 + 1 * 5) * T3_MEDIUM, rel=1e-3)
    assert costs[EKS] == pytest.approx(15 * EKS_HOUR, rel=1e-3)


def test_daily_costs_group_by_the_cluster_tag_and_region(aws: Any, admin: AwsAdmin) -> None:
    _, small = _cluster(aws, nodes=1)
    _, large = _cluster(aws, nodes=2, instance="m5.large")
    admin.advance_clock(30 * HOUR)

    result = aws("ce").get_cost_and_usage(
        TimePeriod=_window(),
        Granularity="DAILY",
        Metrics=["BlendedCost"],
        GroupBy=[{"Type": "TAG", "Key": OWNER}, {"Type": "DIMENSION", "Key": "REGION"}],
        Filter={"Tags": {"Key": OWNER, "Values": [small, large]}},
    )

    assert result["GroupDefinitions"] == [
        {"Type": "TAG", "Key": OWNER},
        {"Type": "DIMENSION", "Key": "REGION"},
    ]
    totals: dict[tuple[str, ...], float] = {}
    days_with_cost = 0
    for period in result["ResultsByTime"]:
        assert period["Total"] == {}
        days_with_cost += bool(period["Groups"])
        for group in period["Groups"]:
            key = tuple(group["Keys"])
            totals[key] = totals.get(key, 0.0) + float(group["Metrics"]["BlendedCost"]["Amount"])
            assert group["Metrics"]["BlendedCost"]["Unit"] == "USD"
    assert days_with_cost >= 2  # 30 hours span at least two days
    assert totals[(f"{OWNER}${small}", "us-east-1")] == pytest.approx(
        30 * (T3_MEDIUM + EKS_HOUR), rel=1e-3
    )
    assert totals[(f"{OWNER}${large}", "us-east-1")] == pytest.approx(
        30 * (2 * 0.096 + EKS_HOUR), rel=1e-3
    )


def test_seeded_history_pages_with_next_page_token(aws: Any, admin: AwsAdmin) -> None:
    cluster_id = uuid.uuid4().hex
    admin.seed_billing_history(
        "123456789012",
        days=70,
        daily_cost=100.0,
        service=EC2,
        region="us-east-1",
        tags={OWNER: cluster_id},
        weekly_pattern=[1, 1, 1, 1, 1, 0.5, 0.5],
    )
    today = _emulator_today(admin)
    request: dict[str, Any] = {
        "TimePeriod": {"Start": str(today - dt.timedelta(days=70)), "End": str(today)},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost"],
        "Filter": {"Tags": {"Key": OWNER, "Values": [cluster_id]}},
    }
    days: list[tuple[str, float]] = []
    pages = 0
    while True:
        page = aws("ce").get_cost_and_usage(**request)
        pages += 1
        days += [
            (p["TimePeriod"]["Start"], float(p["Total"]["UnblendedCost"]["Amount"]))
            for p in page["ResultsByTime"]
        ]
        if "NextPageToken" not in page:
            break
        request["NextPageToken"] = page["NextPageToken"]

    assert pages == 3
    assert len(days) == 70
    for start, amount in days:
        weekend = dt.date.fromisoformat(start).weekday() >= 5
        assert amount == pytest.approx(50.0 if weekend else 100.0)


def test_forecast_is_the_run_rate_of_what_runs(aws: Any, admin: AwsAdmin) -> None:
    _, cluster_id = _cluster(aws, nodes=2)
    tomorrow = _emulator_today(admin) + dt.timedelta(days=1)

    forecast = aws("ce").get_cost_forecast(
        TimePeriod={"Start": str(tomorrow), "End": str(tomorrow + dt.timedelta(days=7))},
        Metric="UNBLENDED_COST",
        Granularity="DAILY",
        PredictionIntervalLevel=80,
        Filter={"Tags": {"Key": OWNER, "Values": [cluster_id]}},
    )

    daily = 24 * (2 * T3_MEDIUM + EKS_HOUR)
    assert float(forecast["Total"]["Amount"]) == pytest.approx(7 * daily)
    assert len(forecast["ForecastResultsByTime"]) == 7
    first = forecast["ForecastResultsByTime"][0]
    assert float(first["PredictionIntervalLowerBound"]) < float(first["MeanValue"])
    assert float(first["MeanValue"]) < float(first["PredictionIntervalUpperBound"])


def test_invalid_time_period_is_a_validation_error(aws: Any) -> None:
    with pytest.raises(ClientError) as info:
        aws("ce").get_cost_and_usage(
            TimePeriod={"Start": "2026-12-05", "End": "2026-12-01"},
            Granularity="DAILY",
            Metrics=["UnblendedCost"],
        )
    assert info.value.response["Error"]["Code"] == "ValidationException"


def test_pricing_get_products_returns_the_price_table(aws: Any) -> None:
    pricing = aws("pricing")

    ec2 = pricing.get_products(
        ServiceCode="AmazonEC2",
        Filters=[
            {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "t3.medium"},
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"},
        ],
    )
    eks = pricing.get_products(
        ServiceCode="AmazonEKS",
        Filters=[{"Type": "TERM_MATCH", "Field": "location", "Value": "EU (Ireland)"}],
    )

    def price(entry: str) -> float:
        product = json.loads(entry)
        (term,) = product["terms"]["OnDemand"].values()
        (dimension,) = term["priceDimensions"].values()
        return float(dimension["pricePerUnit"]["USD"])

    assert ec2["FormatVersion"] == "aws_v1"
    assert len(ec2["PriceList"]) == 1
    assert json.loads(ec2["PriceList"][0])["product"]["attributes"]["instanceType"] == "t3.medium"
    assert price(ec2["PriceList"][0]) == pytest.approx(T3_MEDIUM)
    assert [price(p) for p in eks["PriceList"]] == [pytest.approx(EKS_HOUR)]
    assert json.loads(eks["PriceList"][0])["product"]["attributes"]["regionCode"] == "eu-west-1"


@pytest.mark.parametrize(
    ("api", "kind", "code"),
    [
        ("cost_explorer", "permission_denied", "AccessDeniedException"),
        ("cost_explorer", "not_enabled", "AccessDeniedException"),
        ("cost_explorer", "data_unavailable", "DataUnavailableException"),
        ("cost_explorer", "throttled", "LimitExceededException"),
        ("pricing", "permission_denied", "AccessDeniedException"),
        ("pricing", "throttled", "ThrottlingException"),
    ],
)
def test_billing_faults_raise_the_services_errors(
    aws: Any, admin: AwsAdmin, api: str, kind: str, code: str
) -> None:
    admin.inject_billing_fault(api, kind)

    def call() -> Any:
        if api == "pricing":
            return aws("pricing").get_products(ServiceCode="AmazonEKS")
        return aws("ce").get_cost_and_usage(
            TimePeriod=_window(), Granularity="MONTHLY", Metrics=["UnblendedCost"]
        )

    with pytest.raises(ClientError) as info:
        call()
    assert info.value.response["Error"]["Code"] == code
    assert call()["ResponseMetadata"]["HTTPStatusCode"] == 200  # times=1: the next call works


def test_a_fault_on_cost_explorer_leaves_eks_alone(aws: Any, admin: AwsAdmin) -> None:
    admin.inject_billing_fault("cost_explorer", "permission_denied", times=None)

    assert "clusters" in aws("eks").list_clusters()
    with pytest.raises(ClientError):
        aws("ce").get_cost_forecast(
            TimePeriod=_window(), Metric="UNBLENDED_COST", Granularity="MONTHLY"
        )


def test_tags_and_dimension_values_list_what_has_cost(aws: Any, admin: AwsAdmin) -> None:
    _, cluster_id = _cluster(aws, nodes=1)
    admin.advance_clock(HOUR)
    ce = aws("ce")

    keys = ce.get_tags(TimePeriod=_window())["Tags"]
    values = ce.get_tags(TimePeriod=_window(), TagKey=OWNER)["Tags"]
    services = ce.get_dimension_values(
        TimePeriod=_window(),
        Dimension="SERVICE",
        Filter={"Tags": {"Key": OWNER, "Values": [cluster_id]}},
    )

    assert OWNER in keys
    assert cluster_id in values
    assert [v["Value"] for v in services["DimensionValues"]] == [EC2, EKS]
    assert services["TotalSize"] == 2
