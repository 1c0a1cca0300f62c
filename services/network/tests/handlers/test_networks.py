"""Networks through their requests and saga steps against real PostgreSQL, with the
in-memory cloud standing in for AWS and GCP: the lifecycle, the planner across clouds,
what keeps a network in use, and discovery."""

from __future__ import annotations

import uuid

import pytest

from skyclust_common.errors import ProviderError
from skyclust_network.handlers import (
    discovery,
    planning,
    security_groups,
    subnets,
    tracking,
    vpcs,
)

from ..helpers import call, delivery, outbox, settle
from .resources import World, error_of, event_of

pytestmark = pytest.mark.integration


async def test_a_vpc_is_requested_created_retagged_and_deleted(world: World):
    created = await world.vpc(settle_it=False, cidr_block="10.10.0.0/16", tags={"env": "dev"})
    assert (created["status"], created["state"]) == ("PENDING", "PENDING")
    assert created["managed"] is True
    names = await settle(world.deps, created["id"])
    assert names == ["VpcRequested", "VpcReady"]
    requested = (await outbox(world.deps, created["id"]))[0]
    assert requested.workspaceid == world.workspace
    assert {"vpc_id", "provider", "name", "credential_id", "region", "cidr"} <= set(requested.data)
    got = await world.get(created)
    assert got["status"] == "READY" and got["cloud_id"].startswith("vpc-")

    listed = await call(vpcs.list_vpcs, world.deps, world.query(tag="env=dev"))
    assert [v["id"] for v in listed["items"]] == [created["id"]]
    assert (await call(vpcs.list_vpcs, world.deps, world.query(tag="env=prod")))["items"] == []
    assert (await call(vpcs.list_vpcs, world.deps, world.query(region="eu-west-1")))["items"] == []
    by_credential = world.query(credential_id=world.aws_credential)
    assert len((await call(vpcs.list_vpcs, world.deps, by_credential))["items"]) == 1

    updating = await call(
        vpcs.update_vpc, world.deps, world.body(vpc_id=created["id"], tags={"env": "prod"})
    )
    assert updating["status"] == "UPDATING"
    await settle(world.deps, created["id"])
    cloud_tags = world.aws.vpcs[got["cloud_id"]].tags
    assert cloud_tags["env"] == "prod" and cloud_tags["skyclust.io/vpc-id"] == created["id"]

    deleting = await call(vpcs.delete_vpc, world.deps, world.body(vpc_id=created["id"]))
    assert deleting["status"] == "DELETING"
    names = await settle(world.deps, created["id"])
    assert names[-2:] == ["VpcDeleteRequested", "VpcDeleted"]
    assert not world.aws.vpcs
    assert (await error_of(world.get(created))).code == "VPC_NOT_FOUND"


async def test_an_aws_range_blocks_an_overlapping_gcp_network_and_the_planner_skips_it(
    world: World,
):
    aws = await world.vpc(cidr_block="10.0.0.0/16")
    error = await error_of(world.vpc("gcp", cidr_block="10.0.128.0/17"))
    assert error.code == "CIDR_OVERLAP" and error.status == 409
    assert aws["name"] in error.message and "aws us-east-1" in error.message
    conflict = error.details["conflicts"][0]
    assert (conflict["id"], conflict["provider"], conflict["cidr_block"]) == (
        aws["id"],
        "aws",
        "10.0.0.0/16",
    )

    suggested = await call(
        planning.suggest_cidr, world.deps, {"workspace_id": world.workspace, "prefix_length": 17}
    )
    assert suggested["cidr_block"] == "10.1.0.0/17"
    gcp = await world.vpc("gcp", cidr_block=suggested["cidr_block"])
    assert (await world.get(gcp))["region"] == "global"

    accepted = await world.vpc("gcp", cidr_block="10.0.0.0/20", allow_overlap=True)
    assert accepted["allow_overlap"] is True
    assert [o["id"] for o in accepted["overlaps"]] == [aws["id"]]

    picked = await world.vpc(prefix_length=16)
    assert picked["cidr_block"] == "10.2.0.0/16"

    check = await call(
        planning.check_cidr_plan,
        world.deps,
        {
            "workspace_id": world.workspace,
            "vpcs": [
                {"provider": "gcp", "cidr_block": "10.0.128.0/17"},
                {
                    "provider": "azure",
                    "cidr_block": "10.50.0.0/16",
                    "subnets": [
                        {"name": "a", "cidr_block": "10.50.0.0/24"},
                        {"name": "b", "cidr_block": "10.50.0.128/25"},
                        {"name": "c", "cidr_block": "10.51.0.0/24"},
                    ],
                },
                {"cidr_block": "10.50.10.0/24"},
                {"cidr_block": "8.8.8.0/24"},
                {"cidr_block": "10.60.0.1/16"},
            ],
        },
    )
    assert check["ok"] is False
    found = [(p["code"], p["vpc_index"], p["subnet_index"]) for p in check["problems"]]
    assert found == [
        ("CIDR_OVERLAP", 0, None),
        ("SUBNET_OVERLAP", 1, 1),
        ("SUBNET_OUTSIDE_VPC", 1, 2),
        ("CIDR_OVERLAP", 2, None),
        ("CIDR_NOT_PRIVATE", 3, None),
        ("INVALID_CIDR", 4, None),
    ]
    clean = await call(
        planning.check_cidr_plan,
        world.deps,
        {"workspace_id": world.workspace, "vpcs": [{"cidr_block": "10.77.0.0/16"}]},
    )
    assert clean == {"ok": True, "problems": [], "networks_considered": 4}


async def test_a_vpc_in_use_is_not_deleted_and_the_answer_names_what_uses_it(world: World):
    vpc = await world.vpc(cidr_block="10.40.0.0/16")
    subnet = await call(
        subnets.create_subnet,
        world.deps,
        world.body(provider="aws", vpc_id=vpc["id"], name="nodes", cidr_block="10.40.1.0/24"),
    )
    await settle(world.deps, subnet["id"])
    group = await call(
        security_groups.create_security_group,
        world.deps,
        world.body(
            provider="aws",
            vpc_id=vpc["id"],
            name="web",
            rules=[
                {"direction": "ingress", "protocol": "tcp", "from_port": 443, "cidr": "0.0.0.0/0"}
            ],
        ),
    )
    assert await settle(world.deps, group["id"]) == [
        "SecurityGroupRequested",
        "SecurityGroupReady",
    ]
    cloud_id = (await world.get(vpc))["cloud_id"]
    world.aws.add_instance(cloud_id, "bastion")
    cluster_id = str(uuid.uuid4())
    await tracking.on_cluster_requested(
        world.deps,
        event_of(
            "ClusterRequested",
            world.workspace,
            {
                "cluster_id": cluster_id,
                "provider": "aws",
                "name": "prod",
                "version": "1.29",
                "region": "us-east-1",
                "credential_id": world.aws_credential,
                "tags": {},
                "aws_config": {
                    "subnet_ids": [
                        (
                            await call(
                                subnets.get_subnet, world.deps, world.query(subnet_id=subnet["id"])
                            )
                        )["cloud_id"],
                        "subnet-elsewhere",
                    ]
                },
            },
        ),
        delivery(),
    )

    error = await error_of(call(vpcs.delete_vpc, world.deps, world.body(vpc_id=vpc["id"])))
    assert (error.code, error.status) == ("VPC_IN_USE", 409)
    for name in ("nodes", "web", "prod", "bastion"):
        assert name in error.message
    assert [c["id"] for c in error.details["clusters"]] == [cluster_id]
    assert (await world.get(vpc))["status"] == "READY"

    await tracking.on_cluster_gone(
        world.deps,
        event_of(
            "ClusterDeleted",
            world.workspace,
            {"cluster_id": cluster_id, "provider": "aws", "name": "prod"},
        ),
        delivery(),
    )
    for delete, key in (
        (subnets.delete_subnet, {"subnet_id": subnet["id"]}),
        (security_groups.delete_security_group, {"security_group_id": group["id"]}),
    ):
        await call(delete, world.deps, world.body(**key))
        await settle(world.deps, next(iter(key.values())))
    world.aws.instances.clear()
    await call(vpcs.delete_vpc, world.deps, world.body(vpc_id=vpc["id"]))
    assert (await settle(world.deps, vpc["id"]))[-1] == "VpcDeleted"


async def test_discovery_lists_foreign_networks_as_unmanaged_and_the_planner_counts_them(
    world: World,
):
    ours = await world.vpc(cidr_block="10.70.0.0/16")
    world.aws.add_foreign_vpc("legacy", "us-east-1", "10.9.0.0/16")
    doomed = world.aws.add_foreign_vpc("doomed", "us-east-1", "10.8.0.0/16")
    found = await call(
        discovery.discover_networks,
        world.deps,
        {"workspace_id": world.workspace, "provider": "aws", "credential_id": world.aws_credential},
    )
    assert found["discovered"] == 2
    by_name = {v["name"]: v for v in found["items"]}
    assert by_name["legacy"]["managed"] is False
    assert by_name["legacy"]["cidr_block"] == "10.9.0.0/16"
    assert by_name[ours["name"]]["managed"] is True
    again = await call(
        discovery.discover_networks,
        world.deps,
        {"workspace_id": world.workspace, "provider": "aws", "credential_id": world.aws_credential},
    )
    assert again["discovered"] == 0, "discovering twice records a network once"

    blocked = await error_of(world.vpc("gcp", cidr_block="10.9.128.0/17"))
    assert blocked.code == "CIDR_OVERLAP" and "unmanaged network 'legacy'" in blocked.message
    suggested = await call(
        planning.suggest_cidr, world.deps, {"workspace_id": world.workspace, "prefix_length": 12}
    )
    assert suggested["cidr_block"] == "10.16.0.0/12"  # 10.0.0.0/12 holds legacy and doomed

    legacy = by_name["legacy"]
    read_only = await error_of(call(vpcs.delete_vpc, world.deps, world.body(vpc_id=legacy["id"])))
    assert read_only.code == "NETWORK_NOT_MANAGED"
    adopted = await call(vpcs.adopt_vpc, world.deps, world.body(vpc_id=legacy["id"]))
    assert adopted["managed"] is True
    assert (await outbox(world.deps, legacy["id"]))[-1].name == "VpcAdopted"

    del world.aws.vpcs[doomed]
    gone = await call(
        discovery.discover_networks,
        world.deps,
        {"workspace_id": world.workspace, "provider": "aws", "credential_id": world.aws_credential},
    )
    assert gone["vanished"] == 1
    assert "doomed" not in {v["name"] for v in gone["items"]}
    assert "legacy" in {v["name"] for v in gone["items"]}, "adopted networks stay"

    world.aws.fail(
        "list_vpcs", ProviderError("outage", code="PROVIDER_UNAVAILABLE", retryable=True)
    )
    with pytest.raises(ProviderError):
        await call(
            discovery.discover_networks,
            world.deps,
            {
                "workspace_id": world.workspace,
                "provider": "aws",
                "credential_id": world.aws_credential,
            },
        )
    listed = await call(vpcs.list_vpcs, world.deps, world.query())
    assert {"legacy", ours["name"]} <= {v["name"] for v in listed["items"]}


async def test_the_saga_looks_at_the_cloud_again_before_creating(world: World):
    vpc = await world.vpc(settle_it=False, cidr_block="10.80.0.0/16")
    world.aws.add_foreign_vpc("console-made", "us-east-1", "10.80.16.0/20")
    await settle(world.deps, vpc["id"])
    got = await world.get(vpc)
    assert (got["status"], got["status_reason"]) == ("FAILED", "CIDR_OVERLAP")
    assert "console-made" in got["status_message"]
    assert not [v for v in world.aws.vpcs.values() if v.cidr == "10.80.0.0/16"]


async def test_periodic_discovery_covers_every_credential_the_vault_announced(world: World):
    world.aws.add_foreign_vpc("announced", "us-east-1", "10.93.0.0/16")
    await tracking.on_credential_created(
        world.deps,
        event_of(
            "CredentialCreated",
            world.workspace,
            {
                "credential_id": world.aws_credential,
                "provider": "aws",
                "name": "aws",
                "masked": {"region": "us-east-1"},
            },
        ),
        delivery(),
    )
    await discovery.discover_everything(world.deps)
    listed = await call(vpcs.list_vpcs, world.deps, world.query(managed=False))
    assert [v["name"] for v in listed["items"]] == ["announced"]
    assert "discover networks" in world.vault.decrypts

    await tracking.on_credential_deleted(
        world.deps,
        event_of(
            "CredentialDeleted",
            world.workspace,
            {"credential_id": world.aws_credential, "provider": "aws", "name": "aws"},
        ),
        delivery(),
    )
    del world.vault.credentials[world.aws_credential]
    await discovery.discover_everything(world.deps)  # a credential that is gone is skipped


async def test_a_gke_cluster_named_in_a_network_keeps_it_from_deletion(world: World):
    vpc = await world.vpc("gcp", cidr_block="10.94.0.0/16")
    cluster_id = str(uuid.uuid4())
    requested = {
        "cluster_id": cluster_id,
        "provider": "gcp",
        "name": "analytics",
        "version": "1.29",
        "region": "europe-west1",
        "credential_id": world.gcp_credential,
        "tags": {},
        "aws_config": None,
        "gcp_config": {"network": vpc["name"]},
    }
    await tracking.on_cluster_requested(
        world.deps, event_of("ClusterRequested", world.workspace, requested), delivery()
    )
    error = await error_of(call(vpcs.delete_vpc, world.deps, world.body(vpc_id=vpc["id"])))
    assert error.code == "VPC_IN_USE" and "analytics" in error.message
    failed = {
        **{key: requested[key] for key in ("cluster_id", "provider", "name")},
        **{"code": "X", "message": "m", "retryable": False, "operation": "create"},
    }
    await tracking.on_cluster_gone(
        world.deps, event_of("ClusterFailed", world.workspace, failed), delivery()
    )
    deleting = await call(vpcs.delete_vpc, world.deps, world.body(vpc_id=vpc["id"]))
    assert deleting["status"] == "DELETING"
