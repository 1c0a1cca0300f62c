"""One behaviour suite for the NetworkProvider interface, run against the in-memory fake,
the AWS adapter on moto, and the GCP and Azure adapters on the project's emulators."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from prometheus_client import REGISTRY

from skyclust_common.errors import ProviderError
from skyclust_network.adapters.providers.aws import Ec2NetworkProvider
from skyclust_network.adapters.providers.fake import FakeNetworkProvider
from skyclust_network.domain.model import (
    GCP_GLOBAL,
    SecurityGroupSpec,
    SubnetSpec,
    VpcSpec,
    validate_rules,
)
from skyclust_tools.embedded import free_port

from ..conftest import Cloud

pytestmark = pytest.mark.integration


def vpc_spec(cloud: Cloud, cidr: str = "10.20.0.0/16", **kw: Any) -> VpcSpec:
    vpc_id = str(uuid.uuid4())
    values: dict[str, Any] = {
        "vpc_id": vpc_id,
        "workspace_id": str(uuid.uuid4()),
        "provider": cloud.kind,
        "name": f"net-{vpc_id[:8]}",
        "region": GCP_GLOBAL if cloud.kind == "gcp" else cloud.region,
        "cidr": cidr,
        "tags": {"team": "platform"},
    }
    values.update(kw)
    return VpcSpec(**values)


def subnet_spec(cloud: Cloud, cidr: str, zone: str | None = None, **kw: Any) -> SubnetSpec:
    subnet_id = str(uuid.uuid4())
    values: dict[str, Any] = {
        "subnet_id": subnet_id,
        "name": f"sub-{subnet_id[:8]}",
        "cidr": cidr,
        "region": cloud.region,
        "zone": zone,
    }
    values.update(kw)
    return SubnetSpec(**values)


def rule_keys(rules: object) -> set[tuple[object, ...]]:
    return {r.key() for r in rules}  # type: ignore[attr-defined]


def cloud_calls(cloud: Cloud, operation: str) -> float:
    labels = {"provider": cloud.kind, "operation": operation, "outcome": "ok"}
    return REGISTRY.get_sample_value("skyclust_cloud_api_calls_total", labels) or 0.0


async def test_a_network_is_created_once_found_again_retagged_and_deleted(cloud: Cloud):
    p, cred = cloud.provider, cloud.credential
    spec = vpc_spec(cloud)
    creates = cloud_calls(cloud, "create_vpc")
    created = await p.create_vpc(cred, spec)
    if cloud.kind != "fake":  # the real adapters' SDK calls are counted, by operation
        assert cloud_calls(cloud, "create_vpc") == creates + 1
    assert created.owner == spec.vpc_id
    assert created.name == spec.name
    again = await p.create_vpc(cred, spec)
    assert again.cloud_id == created.cloud_id, "a retried create must not make a second network"
    known = replace_cloud_id(spec, created.cloud_id)
    got = await p.get_vpc(cred, known)
    assert got is not None and got.cloud_id == created.cloud_id
    assert "10.20.0.0/16" in got.cidr_blocks or cloud.kind == "gcp"
    listed = [v for v in await p.list_vpcs(cred, cloud.region) if v.owner == spec.vpc_id]
    assert [v.cloud_id for v in listed] == [created.cloud_id]
    assert "10.20.0.0/16" in listed[0].cidr_blocks

    await p.tag_vpc(cred, VpcSpec(**{**known.__dict__, "tags": {"team": "network"}}))

    await p.delete_vpc(cred, known)
    assert await p.get_vpc(cred, known) is None
    await p.delete_vpc(cred, known)  # deleting what is gone succeeds


def replace_cloud_id(spec: VpcSpec, cloud_id: str) -> VpcSpec:
    return VpcSpec(**{**spec.__dict__, "cloud_id": cloud_id})


async def test_subnets_live_inside_their_network_and_apart(cloud: Cloud):
    p, cred = cloud.provider, cloud.credential
    spec = vpc_spec(cloud, "10.30.0.0/16")
    vpc = replace_cloud_id(spec, (await p.create_vpc(cred, spec)).cloud_id)
    zones = await p.zones(cred, cloud.region)
    if cloud.kind in ("fake", "aws"):
        assert len(zones) >= 2
    else:
        assert zones == []  # GCP and Azure subnets are regional
    first = subnet_spec(cloud, "10.30.1.0/24", zones[0] if zones else None)
    made = await p.create_subnet(cred, vpc, first)
    assert made.cidr == "10.30.1.0/24"
    assert (await p.create_subnet(cred, vpc, first)).cloud_id == made.cloud_id
    if zones:
        assert made.zone == zones[0]
    got = await p.get_subnet(cred, vpc, first)
    assert got is not None and got.cloud_id == made.cloud_id

    for bad in ("10.99.0.0/24", "10.30.1.128/25"):
        with pytest.raises(ProviderError) as info:
            await p.create_subnet(cred, vpc, subnet_spec(cloud, bad))
        assert info.value.code == "PROVIDER_INVALID_REQUEST", info.value.message
        assert info.value.retryable is False

    await p.delete_subnet(cred, vpc, first)
    assert await p.get_subnet(cred, vpc, first) is None
    await p.delete_subnet(cred, vpc, first)
    await p.delete_vpc(cred, vpc)


async def test_security_group_rules_are_created_and_replaced(cloud: Cloud):
    p, cred = cloud.provider, cloud.credential
    spec = vpc_spec(cloud, "10.40.0.0/16")
    vpc = replace_cloud_id(spec, (await p.create_vpc(cred, spec)).cloud_id)
    rules = validate_rules(
        cloud.kind,
        [
            {"direction": "ingress", "protocol": "tcp", "from_port": 443, "cidr": "203.0.113.0/24"},
            {"direction": "ingress", "protocol": "tcp", "from_port": 22, "cidr": "10.40.0.0/16"},
            {"direction": "egress", "protocol": "udp", "from_port": 53, "cidr": "10.40.0.0/16"},
        ],
    )
    group_id = str(uuid.uuid4())
    group = SecurityGroupSpec(group_id, f"web-{group_id[:8]}", "web servers", tuple(rules))
    made = await p.create_security_group(cred, vpc, group)
    assert rule_keys(made.rules) == rule_keys(rules)
    again = await p.create_security_group(cred, vpc, group)
    assert again.cloud_id == made.cloud_id
    group = SecurityGroupSpec(**{**group.__dict__, "cloud_id": made.cloud_id})

    replaced = validate_rules(
        cloud.kind,
        [
            {"direction": "ingress", "protocol": "tcp", "from_port": 8443, "cidr": "0.0.0.0/0"},
            {"direction": "ingress", "protocol": "icmp", "cidr": "10.40.0.0/16"},
        ],
    )
    group = SecurityGroupSpec(**{**group.__dict__, "rules": tuple(replaced)})
    updated = await p.update_security_group(cred, vpc, group)
    assert rule_keys(updated.rules) == rule_keys(replaced)
    got = await p.get_security_group(cred, vpc, group)
    assert got is not None and rule_keys(got.rules) == rule_keys(replaced)

    await p.delete_security_group(cred, vpc, group)
    assert await p.get_security_group(cred, vpc, group) is None
    await p.delete_security_group(cred, vpc, group)
    await p.delete_vpc(cred, vpc)


async def test_discovery_lists_networks_made_outside_skyclust_as_unowned(cloud: Cloud):
    p, cred = cloud.provider, cloud.credential
    ours = vpc_spec(cloud, "10.50.0.0/16")
    await p.create_vpc(cred, ours)
    foreign_name = f"console-{uuid.uuid4().hex[:8]}"
    foreign_id = cloud.foreign_vpc(foreign_name, "10.60.0.0/20")

    listed = {v.cloud_id: v for v in await p.list_vpcs(cred, cloud.region)}
    assert listed[foreign_id].owner is None
    assert listed[foreign_id].name == foreign_name
    assert "10.60.0.0/20" in listed[foreign_id].cidr_blocks
    assert [v.owner for v in listed.values() if v.owner == ours.vpc_id] == [ours.vpc_id]


async def test_dependents_name_what_skyclust_did_not_make(cloud: Cloud):
    p, cred = cloud.provider, cloud.credential
    spec = vpc_spec(cloud, "10.70.0.0/16")
    vpc = replace_cloud_id(spec, (await p.create_vpc(cred, spec)).cloud_id)
    assert await p.vpc_dependents(cred, vpc) == [] or cloud.kind == "azure"
    if cloud.kind == "fake":
        assert isinstance(p, FakeNetworkProvider)
        p.add_instance(vpc.cloud_id or "", "worker-1")
        expected = {("instance", "worker-1")}
    elif cloud.kind == "aws":
        subnet = cloud.direct.create_subnet(VpcId=vpc.cloud_id, CidrBlock="10.70.9.0/24")["Subnet"]
        image = cloud.direct.describe_images()["Images"][0]["ImageId"]
        instance = cloud.direct.run_instances(
            ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet["SubnetId"]
        )["Instances"][0]
        expected = {("subnet", subnet["SubnetId"]), ("instance", instance["InstanceId"])}
    elif cloud.kind == "gcp":
        project = cloud.credential_key()["project_id"]
        cloud.direct.subnetworks.insert(
            project=project,
            region=cloud.region,
            subnetwork_resource={
                "name": "by-hand",
                "network": vpc.cloud_id,
                "ip_cidr_range": "10.70.9.0/24",
            },
        ).result(timeout=10)
        expected = {("subnet", "by-hand")}
    else:
        network, _ = cloud.direct
        group = (vpc.cloud_id or "").split("/")[4]
        network.subnets.begin_create_or_update(
            group, vpc.name, "by-hand", {"properties": {"addressPrefix": "10.70.9.0/24"}}
        ).result()
        expected = {("subnet", "by-hand")}
    found = {
        (d.kind, d.name if d.kind != "instance" or cloud.kind == "fake" else d.id)
        for d in await p.vpc_dependents(cred, vpc)
    }
    if cloud.kind == "aws":
        found = {(d.kind, d.id) for d in await p.vpc_dependents(cred, vpc)}
    assert expected <= found


async def test_a_cloud_that_errors_is_never_taken_for_gone(cloud: Cloud):
    p, cred = cloud.provider, cloud.credential
    spec = vpc_spec(cloud, "10.80.0.0/16")
    vpc = replace_cloud_id(spec, (await p.create_vpc(cred, spec)).cloud_id)
    if cloud.kind == "fake":
        assert isinstance(p, FakeNetworkProvider)
        p.fail("get_vpc", ProviderError("outage", code="PROVIDER_UNAVAILABLE", retryable=True))
    elif cloud.kind == "aws":
        p = Ec2NetworkProvider(f"http://127.0.0.1:{free_port()}")
    else:
        cloud.admin.inject_fault(
            r"(networks|virtualNetworks)/", method="GET", status=503, times=None
        )
    try:
        with pytest.raises(ProviderError) as info:
            await p.get_vpc(cred, vpc)
        assert info.value.retryable is True
        assert info.value.code in ("PROVIDER_UNAVAILABLE", "PROVIDER_THROTTLED")
    finally:
        if isinstance(cloud.provider, FakeNetworkProvider):
            cloud.provider.faults.clear()
        if cloud.admin is not None:
            cloud.admin.clear_faults()
    assert await cloud.provider.get_vpc(cred, vpc) is not None


async def test_bad_credentials_are_an_auth_failure(cloud: Cloud):
    if cloud.kind == "aws":
        bad: dict[str, object] = {"access_key_id": "AKIA0000"}  # no secret at all
    elif cloud.kind == "gcp":
        bad = {"service_account_json": '{"type": "nope"}'}
    elif cloud.kind == "azure":
        bad = {**cloud.credential, "client_secret": "wrong-secret-value"}
    else:
        assert isinstance(cloud.provider, FakeNetworkProvider)
        cloud.provider.fail(
            "list_vpcs", ProviderError("bad key", code="PROVIDER_AUTH_FAILED"), call=1
        )
        bad = cloud.credential
    with pytest.raises(ProviderError) as info:
        await cloud.provider.list_vpcs(bad, cloud.region)
    assert info.value.code == "PROVIDER_AUTH_FAILED"
    assert info.value.retryable is False
