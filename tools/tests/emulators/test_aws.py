"""The AWS emulator (moto plus): injected faults surface as botocore's ClientError with the
fault's code, and the EKS calls moto lacks behave as EKS does."""

from __future__ import annotations

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


@pytest.fixture(scope="module")
def server() -> Iterator[MotoServer]:
    running = MotoServer(port=free_port()).start()
    yield running
    running.stop()


@pytest.fixture
def admin(server: MotoServer) -> Iterator[AwsAdmin]:
    # No reset between tests (moto takes a while to come back from one): each test
    # names its own clusters.
    client = AwsAdmin(server.url)
    client.clear_faults()
    client.clear_requests()
    yield client
    client.close()


@pytest.fixture
def name() -> str:
    return f"c{uuid.uuid4().hex[:8]}"


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


def _code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def test_a_fault_raises_client_error_with_its_code_and_times_counts_down(
    aws: Any, admin: AwsAdmin
) -> None:
    eks = aws("eks")
    fault = admin.inject_fault(
        r"^/clusters$", method="GET", status=429, code="ThrottlingException", times=2
    )
    assert fault["remaining"] == 2

    for remaining in (1, 0):
        with pytest.raises(ClientError) as info:
            eks.list_clusters()
        assert _code(info.value) == "ThrottlingException"
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert admin.faults()[0]["remaining"] == remaining
    assert isinstance(eks.list_clusters()["clusters"], list)
    statuses = [r["status"] for r in admin.requests() if r["path"] == "/clusters"]
    assert statuses == [429, 429, 200]


def test_faults_match_method_and_path_and_default_their_code(
    aws: Any, admin: AwsAdmin, name: str
) -> None:
    eks = aws("eks")
    admin.inject_fault(f"/clusters/{name}$", method="DELETE", status=404, times=None)

    assert name not in eks.list_clusters()["clusters"]  # another path and method: untouched
    for _ in range(2):  # times=None: every matching request
        with pytest.raises(ClientError) as info:
            eks.delete_cluster(name=name)
        assert _code(info.value) == "ResourceNotFoundException"
    admin.clear_faults()
    assert admin.faults() == []
    with pytest.raises(ClientError) as real:
        eks.delete_cluster(name=name)
    assert _code(real.value) == "ResourceNotFoundException"  # moto's own answer now
    assert "No cluster found" in real.value.response["Error"]["Message"]


def test_query_protocol_services_get_xml_errors(aws: Any, admin: AwsAdmin) -> None:
    admin.inject_fault("^/$", method="POST", status=403, code="AccessDenied", message="no way")
    with pytest.raises(ClientError) as sts_error:
        aws("sts").get_caller_identity()
    assert (_code(sts_error.value), sts_error.value.response["Error"]["Message"]) == (
        "AccessDenied",
        "no way",
    )

    admin.inject_fault("^/$", method="POST", status=400, code="UnauthorizedOperation")
    with pytest.raises(ClientError) as ec2_error:
        aws("ec2").describe_vpcs()
    assert _code(ec2_error.value) == "UnauthorizedOperation"


def test_a_query_protocol_fault_may_name_the_action(aws: Any, admin: AwsAdmin) -> None:
    """EC2's actions all POST to "/": a fault on `/CreateVpc` leaves the others alone, and the
    request moto then reads is the one the client sent."""
    fault = admin.inject_fault("^/CreateVpc$", method="POST", status=403, code="Denied")
    ec2 = aws("ec2")
    assert isinstance(ec2.describe_vpcs()["Vpcs"], list)
    with pytest.raises(ClientError) as refused:
        ec2.create_vpc(CidrBlock="10.42.0.0/16")
    assert _code(refused.value) == "Denied"
    created = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]
    assert created["CidrBlock"] == "10.43.0.0/16"
    (after,) = admin.faults()
    assert (after["id"], after["hits"]) == (fault["id"], 1)


def test_cluster_versions_are_listed_as_eks_lists_them(aws: Any) -> None:
    eks = aws("eks")
    listed = eks.describe_cluster_versions()["clusterVersions"]
    versions = [v["clusterVersion"] for v in listed]
    assert versions == sorted(versions, key=lambda v: int(v.split(".")[1]), reverse=True)
    assert {"1.29", "1.30", "1.31", "1.32"} <= set(versions)
    assert [v["clusterVersion"] for v in listed if v["defaultVersion"]] == ["1.32"]
    assert all(v["versionStatus"] != "UNSUPPORTED" for v in listed)
    assert len(eks.describe_cluster_versions(includeAll=True)["clusterVersions"]) > len(listed)
    only = eks.describe_cluster_versions(clusterVersions=["1.30"])["clusterVersions"]
    assert [(v["clusterVersion"], v["kubernetesPatchVersion"][:5]) for v in only] == [
        ("1.30", "1.30.")
    ]


def _subnets(aws: Any) -> list[str]:
    return [s["SubnetId"] for s in aws("ec2").describe_subnets()["Subnets"]][:2]


def test_control_plane_then_node_group_version_updates(
    aws: Any, admin: AwsAdmin, name: str
) -> None:
    eks = aws("eks")
    subnets = _subnets(aws)
    created = eks.create_cluster(
        name=name, version="1.30", roleArn=ROLE, resourcesVpcConfig={"subnetIds": subnets}
    )["cluster"]
    vpcs = {s["VpcId"] for s in aws("ec2").describe_subnets(SubnetIds=subnets)["Subnets"]}
    assert {created["resourcesVpcConfig"]["vpcId"]} == vpcs
    group = eks.create_nodegroup(
        clusterName=name, nodegroupName="workers", subnets=subnets, nodeRole=ROLE
    )["nodegroup"]
    assert group["version"] == "1.30"  # the cluster's, as EKS defaults it

    with pytest.raises(ClientError) as skip:
        eks.update_cluster_version(name=name, version="1.32")
    assert _code(skip.value) == "InvalidParameterException"
    assert "from 1.30 to 1.32" in skip.value.response["Error"]["Message"]

    update = eks.update_cluster_version(name=name, version="1.31")["update"]
    assert (update["type"], update["status"]) == ("VersionUpdate", "InProgress")
    assert {"type": "Version", "value": "1.31"} in update["params"]
    cluster = eks.describe_cluster(name=name)["cluster"]
    assert (cluster["status"], cluster["version"]) == ("UPDATING", "1.30")
    with pytest.raises(ClientError) as busy:
        eks.update_cluster_version(name=name, version="1.31")
    assert _code(busy.value) == "ResourceInUseException"
    assert eks.list_updates(name=name)["updateIds"] == [update["id"]]

    admin.advance_clock(10)
    assert eks.describe_update(name=name, updateId=update["id"])["update"]["status"] == (
        "Successful"
    )
    cluster = eks.describe_cluster(name=name)["cluster"]
    assert (cluster["status"], cluster["version"]) == ("ACTIVE", "1.31")

    with pytest.raises(ClientError) as newer:
        eks.update_nodegroup_version(clusterName=name, nodegroupName="workers", version="1.32")
    assert _code(newer.value) == "InvalidParameterException"
    nodes = eks.update_nodegroup_version(clusterName=name, nodegroupName="workers")["update"]
    assert eks.describe_nodegroup(clusterName=name, nodegroupName="workers")["nodegroup"][
        "status"
    ] == ("UPDATING")
    assert eks.list_updates(name=name, nodegroupName="workers")["updateIds"] == [nodes["id"]]
    assert eks.list_updates(name=name)["updateIds"] == [update["id"]]
    admin.advance_clock(10)
    group = eks.describe_nodegroup(clusterName=name, nodegroupName="workers")["nodegroup"]
    assert (group["status"], group["version"]) == ("ACTIVE", "1.31")
    assert group["releaseVersion"].startswith("1.31.")
    described = eks.describe_update(name=name, updateId=nodes["id"], nodegroupName="workers")
    assert described["update"]["status"] == "Successful"


def test_an_operation_error_fault_fails_the_update(aws: Any, admin: AwsAdmin, name: str) -> None:
    eks = aws("eks")
    eks.create_cluster(name=name, version="1.30", roleArn=ROLE, resourcesVpcConfig={})
    admin.inject_fault(
        f"/clusters/{name}/updates$",
        method="POST",
        operation_error=True,
        code="ClusterUnreachable",
        message="the control plane did not come back",
    )

    update = eks.update_cluster_version(name=name, version="1.31")["update"]
    assert update["status"] == "InProgress"
    admin.advance_clock(10)

    failed = eks.describe_update(name=name, updateId=update["id"])["update"]
    assert failed["status"] == "Failed"
    assert failed["errors"][0]["errorCode"] == "ClusterUnreachable"
    cluster = eks.describe_cluster(name=name)["cluster"]
    assert (cluster["status"], cluster["version"]) == ("ACTIVE", "1.30")


def test_an_operation_error_fault_fails_the_cluster_creation(
    aws: Any, admin: AwsAdmin, name: str
) -> None:
    eks = aws("eks")
    admin.inject_fault(r"^/clusters$", method="POST", operation_error=True)

    created = eks.create_cluster(name=name, version="1.30", roleArn=ROLE, resourcesVpcConfig={})
    assert created["cluster"]["status"] == "CREATING"
    assert eks.describe_cluster(name=name)["cluster"]["status"] == "CREATING"
    admin.advance_clock(10)
    assert eks.describe_cluster(name=name)["cluster"]["status"] == "FAILED"
    eks.delete_cluster(name=name)
    assert name not in eks.list_clusters()["clusters"]

    other = f"{name}-ok"  # the fault was used up: the next create is ACTIVE at once
    created = eks.create_cluster(name=other, version="1.30", roleArn=ROLE, resourcesVpcConfig={})
    assert created["cluster"]["status"] == "ACTIVE"


def test_node_groups_take_tags(aws: Any, name: str) -> None:
    eks = aws("eks")
    eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig={})
    arn = eks.create_nodegroup(
        clusterName=name,
        nodegroupName="workers",
        subnets=_subnets(aws),
        nodeRole=ROLE,
        tags={"team": "web"},
    )["nodegroup"]["nodegroupArn"]

    eks.tag_resource(resourceArn=arn, tags={"owner": "skyclust"})
    eks.untag_resource(resourceArn=arn, tagKeys=["team"])

    assert eks.list_tags_for_resource(resourceArn=arn)["tags"] == {"owner": "skyclust"}
    group = eks.describe_nodegroup(clusterName=name, nodegroupName="workers")["nodegroup"]
    assert group["tags"] == {"owner": "skyclust"}
    with pytest.raises(ClientError) as missing:
        eks.tag_resource(resourceArn=arn.replace("workers", "gone"), tags={"a": "b"})
    assert _code(missing.value) == "ResourceNotFoundException"


# Last: moto takes a while to come back from a reset.
def test_reset_forgets_resources_faults_and_durations(aws: Any, admin: AwsAdmin, name: str) -> None:
    eks = aws("eks")
    eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig={"subnetIds": []})
    admin.inject_fault("/nowhere", status=500, times=None)
    admin.set_durations(cluster_update=30)
    mine = [r for r in admin.resources() if r["arn"].endswith(f":cluster/{name}")]
    assert [(r["type"], r["status"]) for r in mine] == [("eks/cluster", "ACTIVE")]

    admin.reset()

    assert eks.list_clusters()["clusters"] == []
    assert admin.faults() == []
    assert admin.resources() == []
    assert admin.durations()["cluster_update"] == 3.0
