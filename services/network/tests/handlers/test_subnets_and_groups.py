"""Subnets and security groups through their requests and saga steps against real
PostgreSQL, with the in-memory cloud standing in for AWS and GCP; how cloud errors end a
step; the codes bad input gets."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from skyclust_common.errors import ProviderError, SkyclustError
from skyclust_network.domain.model import validate_rules
from skyclust_network.handlers import (
    security_groups,
    subnets,
    vpcs,
)

from ..helpers import call, delivery, outbox, settle
from .resources import World, error_of

pytestmark = pytest.mark.integration


async def test_subnets_stay_inside_their_network_and_apart(world: World):
    pending = await world.vpc(settle_it=False, cidr_block="10.30.0.0/16")
    body = world.body(provider="aws", vpc_id=pending["id"], name="a", cidr_block="10.30.1.0/24")
    assert (await error_of(call(subnets.create_subnet, world.deps, body))).code == "VPC_NOT_READY"
    await settle(world.deps, pending["id"])

    first = await call(
        subnets.create_subnet, world.deps, {**body, "availability_zone": "us-east-1b"}
    )
    assert first["status"] == "PENDING"
    assert await settle(world.deps, first["id"]) == ["SubnetRequested", "SubnetReady"]
    ready = await call(subnets.get_subnet, world.deps, world.query(subnet_id=first["id"]))
    assert (ready["status"], ready["availability_zone"]) == ("READY", "us-east-1b")
    assert ready["cloud_id"] in world.aws.subnets

    for cidr, code in (
        ("10.30.1.128/25", "SUBNET_OVERLAP"),
        ("10.31.0.0/24", "SUBNET_OUTSIDE_VPC"),
        ("10.30.1.0", "INVALID_CIDR"),
        ("10.30.2.7/24", "INVALID_CIDR"),
        ("10.30.0.0/30", "CIDR_PREFIX_OUT_OF_RANGE"),
    ):
        error = await error_of(
            call(subnets.create_subnet, world.deps, {**body, "name": "b", "cidr_block": cidr})
        )
        assert error.code == code, cidr
    taken = await error_of(
        call(subnets.create_subnet, world.deps, {**body, "cidr_block": "10.30.9.0/24"})
    )
    assert taken.code == "SUBNET_NAME_TAKEN"
    wrong_zone = await error_of(
        call(
            subnets.create_subnet,
            world.deps,
            {**body, "name": "z", "cidr_block": "10.30.8.0/24", "availability_zone": "eu-west-1a"},
        )
    )
    assert wrong_zone.code == "INVALID_ZONE"


async def test_a_cloud_error_is_never_taken_to_mean_gone(world: World):
    vpc = await world.vpc(cidr_block="10.50.0.0/16")
    subnet = await call(
        subnets.create_subnet,
        world.deps,
        world.body(provider="aws", vpc_id=vpc["id"], name="a", cidr_block="10.50.1.0/24"),
    )
    await settle(world.deps, subnet["id"])
    await call(subnets.delete_subnet, world.deps, world.body(subnet_id=subnet["id"]))
    requested = (await outbox(world.deps, subnet["id"]))[-1]
    outage = ProviderError("503", code="PROVIDER_UNAVAILABLE", retryable=True)
    world.aws.fail("delete_subnet", outage, call=1)
    with pytest.raises(ProviderError):
        await subnets.on_subnet_delete_requested(world.deps, requested, delivery(1))
    got = await call(subnets.get_subnet, world.deps, world.query(subnet_id=subnet["id"]))
    assert got["status"] == "DELETING"
    assert world.aws.subnets, "an error must not be taken to mean the subnet is gone"
    await subnets.on_subnet_delete_requested(world.deps, requested, delivery(2))
    assert not world.aws.subnets


async def test_a_permanent_cloud_error_fails_with_the_providers_reason(world: World):
    world.aws.fail(
        "create_vpc", ProviderError("VPC limit reached", code="PROVIDER_QUOTA_EXCEEDED"), call=1
    )
    vpc = await world.vpc(cidr_block="10.60.0.0/16")
    got = await world.get(vpc)
    assert (got["status"], got["status_reason"]) == ("FAILED", "PROVIDER_QUOTA_EXCEEDED")
    failed = (await outbox(world.deps, vpc["id"]))[-1]
    assert failed.name == "VpcFailed"
    assert failed.data["message"] == "VPC limit reached" and failed.data["operation"] == "create"
    # A network that failed before reaching the cloud holds no address space.
    again = await world.vpc(cidr_block="10.60.0.0/16")
    assert (await world.get(again))["status"] == "READY"


async def test_transient_errors_are_retried_then_fail_at_the_last_attempt(world: World):
    vpc = await world.vpc(settle_it=False, cidr_block="10.61.0.0/16")
    requested = (await outbox(world.deps, vpc["id"]))[0]
    throttled = ProviderError("slow down", code="PROVIDER_THROTTLED", retryable=True)
    world.aws.fail("create_vpc", throttled)
    for attempt in (1, 2):
        with pytest.raises(ProviderError):
            await vpcs.on_vpc_requested(world.deps, requested, delivery(attempt))
        assert (await world.get(vpc))["status"] == "PENDING"
    await vpcs.on_vpc_requested(world.deps, requested, delivery(3))
    assert (await world.get(vpc))["status_reason"] == "PROVIDER_THROTTLED"


async def test_bad_input_gets_clear_stable_codes(world: World):
    cases: list[tuple[dict[str, Any], str]] = [
        ({"provider": "gcp", "name": "Has-Capitals"}, "INVALID_NAME"),
        ({"tags": {"skyclust.io/vpc-id": "x"}}, "RESERVED_TAG"),
        ({"tags": {"env": "a\x00b"}}, "VALIDATION_ERROR"),
        ({"region": "moon-1"}, "INVALID_REGION"),
        ({"cidr_block": "8.8.0.0/16"}, "CIDR_NOT_PRIVATE"),
        ({"cidr_block": "10.0.0.0/8"}, "CIDR_PREFIX_OUT_OF_RANGE"),
        ({"cidr_block": "banana"}, "INVALID_CIDR"),
        ({"provider": "azure"}, "PROVIDER_NOT_SUPPORTED"),
        ({"credential_id": str(uuid.uuid4())}, "CREDENTIAL_NOT_FOUND"),
        (
            {"provider": "gcp", "credential_id": None, "region": "europe-west1"},
            "CREDENTIAL_PROVIDER_MISMATCH",
        ),
    ]
    for change, code in cases:
        values: dict[str, Any] = {
            "provider": "aws",
            "credential_id": world.aws_credential,
            "name": "fine",
            "region": "us-east-1",
            "cidr_block": "10.90.0.0/16",
        }
        values.update(change)
        if values["credential_id"] is None:
            values["credential_id"] = world.aws_credential
        error = await error_of(call(vpcs.create_vpc, world.deps, world.body(**values)))
        assert error.code == code, (change, error.code, error.message)
        assert "Traceback" not in error.message

    vpc = await world.vpc(cidr_block="10.91.0.0/16")
    deny = await error_of(
        call(
            security_groups.create_security_group,
            world.deps,
            world.body(
                provider="aws",
                vpc_id=vpc["id"],
                name="g",
                rules=[
                    {
                        "direction": "ingress",
                        "protocol": "tcp",
                        "cidr": "0.0.0.0/0",
                        "action": "deny",
                    }
                ],
            ),
        )
    )
    assert deny.code == "RULE_NOT_SUPPORTED"
    # A direction no contract knows is refused by the contract, before the handler, with
    # the field named; the rules SkyClust builds itself (a cluster's network) are still
    # checked by the domain.
    sideways = {"direction": "sideways", "protocol": "tcp", "cidr": "0.0.0.0/0"}
    refused = await error_of(
        call(
            security_groups.create_security_group,
            world.deps,
            world.body(provider="aws", vpc_id=vpc["id"], name="g", rules=[sideways]),
        )
    )
    assert refused.code == "CONTRACT_VIOLATION"
    assert refused.details["path"] == "rules/0/direction"
    with pytest.raises(SkyclustError) as domain:
        validate_rules("aws", [sideways])
    assert domain.value.code == "INVALID_RULE"
    for rule in (
        {"direction": "ingress", "protocol": "icmp", "cidr": "0.0.0.0/0", "from_port": 1},
        {"direction": "ingress", "protocol": "tcp", "cidr": "0.0.0.1/0"},
        {
            "direction": "ingress",
            "protocol": "tcp",
            "cidr": "0.0.0.0/0",
            "from_port": 9,
            "to_port": 1,
        },
    ):
        error = await error_of(
            call(
                security_groups.create_security_group,
                world.deps,
                world.body(provider="aws", vpc_id=vpc["id"], name="g", rules=[rule]),
            )
        )
        assert error.code == "INVALID_RULE", rule
    other = World.__new__(World)
    other.__dict__.update(world.__dict__)
    other.workspace = str(uuid.uuid4())
    hidden = await error_of(call(vpcs.get_vpc, world.deps, other.query(vpc_id=vpc["id"])))
    assert hidden.code == "VPC_NOT_FOUND", "another workspace's network is not found"


async def test_security_group_rules_are_replaced_through_the_saga(world: World):
    vpc = await world.vpc(cidr_block="10.92.0.0/16")
    group = await call(
        security_groups.create_security_group,
        world.deps,
        world.body(
            provider="aws",
            vpc_id=vpc["id"],
            name="api",
            rules=[
                {"direction": "ingress", "protocol": "tcp", "from_port": 443, "cidr": "10.0.0.0/8"}
            ],
        ),
    )
    await settle(world.deps, group["id"])
    updated = await call(
        security_groups.update_security_group,
        world.deps,
        world.body(
            security_group_id=group["id"],
            rules=[
                {"direction": "ingress", "protocol": "udp", "from_port": 53, "cidr": "10.0.0.0/8"}
            ],
        ),
    )
    assert updated["status"] == "UPDATING"
    assert (await settle(world.deps, group["id"]))[-1] == "SecurityGroupUpdated"
    cloud = next(iter(world.aws.groups.values()))
    assert [(r.protocol, r.from_port) for r in cloud.rules] == [("udp", 53)]
    busy = await call(
        security_groups.update_security_group,
        world.deps,
        world.body(security_group_id=group["id"], tags={"a": "b"}),
    )
    assert busy["status"] == "UPDATING"
    again = await error_of(
        call(
            security_groups.update_security_group,
            world.deps,
            world.body(security_group_id=group["id"], tags={"a": "c"}),
        )
    )
    assert again.code == "SECURITY_GROUP_BUSY"
