"""ProvisionClusterNetwork and ReleaseClusterNetwork against real PostgreSQL, on every
backend: the fake, AWS on moto, GCP and Azure on the emulators."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

import orjson
import pytest

from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import NoResponders, ProviderError, ServiceTimeout, SkyclustError
from skyclust_network.domain.model import GCP_GLOBAL, SubnetSpec, VpcSpec
from skyclust_network.handlers import cluster_network, discovery, subnets, vpcs
from skyclust_network.handlers.common import NetworkDeps

from ..conftest import BACKENDS, Cloud
from ..helpers import FakeVault, FaultyProvider, call, command, delivery, make_deps, outbox

pytestmark = pytest.mark.integration


@dataclass
class Setup:
    cloud: Cloud
    provider_name: str
    workspace: str
    credential_id: str
    vault: FakeVault
    sessions: Any

    def deps(self, provider: Any = None) -> NetworkDeps:
        return make_deps(
            self.sessions, {self.provider_name: provider or self.cloud.provider}, self.vault
        )

    def command(self, name: str, cluster_id: str, **kw: Any) -> CloudEvent:
        data: dict[str, Any] = {"request_id": kw.pop("request_id", "r-1"), "cluster_id": cluster_id}
        if name == "ProvisionClusterNetwork":
            data.update(
                cluster_name="Prod-Cluster",
                provider=self.provider_name,
                credential_id=self.credential_id,
                region=self.cloud.region,
            )
        data.update(kw)
        return command(name, self.workspace, data)


@pytest.fixture(params=BACKENDS)
def setup(request: pytest.FixtureRequest, make_cloud: Any, sessions: Any) -> Setup:
    cloud = make_cloud(request.param)
    name = "aws" if cloud.kind == "fake" else cloud.kind
    vault = FakeVault()
    workspace = str(uuid.uuid4())
    credential_id = vault.add(workspace, name, cloud.credential)
    return Setup(cloud, name, workspace, credential_id, vault, sessions)


def replies(events: list[CloudEvent]) -> list[CloudEvent]:
    return [e for e in events if e.name.startswith("ClusterNetwork")]


async def nothing_left(setup: Setup, deps: NetworkDeps, events: list[CloudEvent]) -> None:
    """Neither the cloud nor SkyClust's lists hold anything the run created."""
    p, cred = setup.cloud.provider, setup.cloud.credential
    vpc_events = [e for e in events if e.name == "VpcRequested"]
    assert vpc_events, "the run got as far as planning a network"
    vpc_ids = {e.data["vpc_id"] for e in vpc_events}
    listed = await p.list_vpcs(cred, setup.cloud.region)
    assert not [v for v in listed if v.owner in vpc_ids]
    first = vpc_events[0].data
    vpc_spec = VpcSpec(
        vpc_id=first["vpc_id"],
        workspace_id=setup.workspace,
        provider=setup.provider_name,
        name=first["name"],
        region=first["region"],
        cidr=first["cidr"],
        resource_group=first.get("resource_group"),
    )
    assert await p.get_vpc(cred, vpc_spec) is None
    for event in events:
        if event.name == "SubnetRequested":
            spec = SubnetSpec(
                subnet_id=event.data["subnet_id"],
                name=event.data["name"],
                cidr=event.data["cidr"],
                region=event.data["region"],
            )
            assert await p.get_subnet(cred, vpc_spec, spec) is None
    body = {"workspace_id": setup.workspace}
    assert (await call(vpcs.list_vpcs, deps, body))["items"] == []
    assert (await call(subnets.list_subnets, deps, body))["items"] == []


async def test_sent_twice_with_the_same_id_it_creates_one_network(setup: Setup):
    deps = setup.deps()
    cluster_id = str(uuid.uuid4())
    await cluster_network.on_provision_cluster_network(
        deps, setup.command("ProvisionClusterNetwork", cluster_id), delivery()
    )
    await cluster_network.on_provision_cluster_network(
        deps, setup.command("ProvisionClusterNetwork", cluster_id), delivery()
    )
    events = await outbox(deps, workspace=setup.workspace)
    answers = replies([e for e in events if e.subject == cluster_id])
    assert [e.name for e in answers] == ["ClusterNetworkReady", "ClusterNetworkReady"], answers[
        0
    ].data
    first, second = (a.data for a in answers)
    assert first == second
    assert first["generated"] is True and first["vpc"]["cloud_id"]
    assert len(first["subnets"]) == 2 and all(s["cloud_id"] for s in first["subnets"])
    if setup.cloud.kind in ("fake", "aws"):
        zones = {s["availability_zone"] for s in first["subnets"]}
        assert len(zones) == 2, "subnets in different zones"
    assert len(first["security_groups"]) == 1

    vpc_id = first["vpc"]["id"]
    owned = [
        v
        for v in await setup.cloud.provider.list_vpcs(setup.cloud.credential, setup.cloud.region)
        if v.owner == vpc_id
    ]
    assert len(owned) == 1
    assert [e.name for e in events if e.name == "VpcRequested"] == ["VpcRequested"]
    body = {"workspace_id": setup.workspace, "actor_id": "a", "vpc_id": vpc_id}
    listed = (await call(vpcs.list_vpcs, deps, {"workspace_id": setup.workspace}))["items"]
    assert [(v["id"], v["cluster_id"]) for v in listed] == [(vpc_id, cluster_id)]
    assert listed[0]["tags"]["skyclust.io/generated-for-cluster"] == cluster_id
    if setup.provider_name == "gcp":
        assert listed[0]["region"] == GCP_GLOBAL and listed[0]["firewall_rule_count"] == 5
    with pytest.raises(SkyclustError) as info:
        await call(vpcs.delete_vpc, deps, body)
    assert info.value.code == "GENERATED_FOR_CLUSTER"

    await cluster_network.on_release_cluster_network(
        deps, setup.command("ReleaseClusterNetwork", cluster_id, request_id="r-2"), delivery()
    )
    released = replies(await outbox(deps, cluster_id))[-1]
    assert (released.name, released.data["deleted"], released.data["vpc_id"]) == (
        "ClusterNetworkReleased",
        True,
        vpc_id,
    )
    await nothing_left(setup, deps, events)


async def test_a_fault_at_the_second_subnet_leaves_nothing_behind_and_replies_failed(
    setup: Setup,
):
    quota = ProviderError("subnet quota exhausted", code="PROVIDER_QUOTA_EXCEEDED")
    deps = setup.deps(FaultyProvider(setup.cloud.provider, "create_subnet", 2, quota))
    cluster_id = str(uuid.uuid4())
    await cluster_network.on_provision_cluster_network(
        deps, setup.command("ProvisionClusterNetwork", cluster_id), delivery()
    )
    events = await outbox(deps, workspace=setup.workspace)
    failed = replies([e for e in events if e.subject == cluster_id])
    assert [e.name for e in failed] == ["ClusterNetworkFailed"]
    assert failed[0].data["code"] == "PROVIDER_QUOTA_EXCEEDED"
    assert failed[0].data["operation"] == "provision"
    names = [e.name for e in events]
    assert names.count("SubnetFailed") == 1 and names.count("SubnetDeleted") == 1
    assert names.count("VpcDeleted") == 1
    await nothing_left(setup, deps, events)


async def test_a_network_the_cloud_refuses_ends_deleted_too_so_its_credential_is_let_go(
    setup: Setup,
):
    """The network row never reached the cloud; it still ends with VpcDeleted after its
    VpcFailed: the credential vault counts the network as a user of the credential
    from VpcRequested until VpcDeleted."""
    denied = ProviderError("not allowed to create networks", code="PROVIDER_ACCESS_DENIED")
    deps = setup.deps(FaultyProvider(setup.cloud.provider, "create_vpc", 1, denied))
    cluster_id = str(uuid.uuid4())
    await cluster_network.on_provision_cluster_network(
        deps, setup.command("ProvisionClusterNetwork", cluster_id), delivery()
    )
    events = await outbox(deps, workspace=setup.workspace)
    (failed,) = replies([e for e in events if e.subject == cluster_id])
    assert (failed.name, failed.data["code"]) == ("ClusterNetworkFailed", "PROVIDER_ACCESS_DENIED")
    network = [e for e in events if e.name.startswith("Vpc")]
    assert [e.name for e in network] == ["VpcRequested", "VpcFailed", "VpcDeleted"]
    assert len({e.data["vpc_id"] for e in network}) == 1
    assert network[1].data["code"] == "PROVIDER_ACCESS_DENIED"
    await nothing_left(setup, deps, events)


async def test_a_transient_fault_is_resumed_by_the_next_delivery(setup: Setup):
    outage = ProviderError("try later", code="PROVIDER_UNAVAILABLE", retryable=True)
    deps = setup.deps(FaultyProvider(setup.cloud.provider, "create_security_group", 1, outage))
    cluster_id = str(uuid.uuid4())
    provision = setup.command("ProvisionClusterNetwork", cluster_id)
    with pytest.raises(ProviderError):
        await cluster_network.on_provision_cluster_network(deps, provision, delivery(1))
    await cluster_network.on_provision_cluster_network(deps, provision, delivery(2))
    answers = replies(await outbox(deps, cluster_id))
    assert [e.name for e in answers] == ["ClusterNetworkReady"]
    events = await outbox(deps, workspace=setup.workspace)
    assert [e.name for e in events].count("SubnetReady") == 2
    assert [e.name for e in events].count("VpcRequested") == 1


def wire(data: dict[str, Any]) -> SkyclustError:
    """An error as the bus delivers it here, where the vault's classes are unknown."""
    return SkyclustError.from_dict(orjson.loads(orjson.dumps(data)))


AUDIT_UNAVAILABLE = {
    "class": "AuditUnavailable",
    "code": "AUDIT_UNAVAILABLE",
    "message": "the audit trail cannot record this decryption now, so it is refused",
    "status": 503,
    "retryable": True,
    "details": {},
}


class PausedVault:
    """The vault while identity is paused: its first answers are refusals."""

    def __init__(self, vault: FakeVault, refusals: list[SkyclustError]) -> None:
        self.vault, self.refusals = vault, refusals

    async def decrypt(self, *args: Any) -> dict[str, Any]:
        if self.refusals:
            raise self.refusals.pop(0)
        return await self.vault.decrypt(*args)


@pytest.mark.parametrize("setup", ["fake"], indirect=True)
async def test_a_paused_vault_is_waited_out_in_one_delivery(setup: Setup):
    refusals = [wire(AUDIT_UNAVAILABLE), ServiceTimeout("late"), wire(AUDIT_UNAVAILABLE)]
    deps = replace(
        setup.deps(),
        decrypt_credential=PausedVault(setup.vault, refusals).decrypt,
        retry_window=30,
    )
    cluster_id = str(uuid.uuid4())
    provision = setup.command("ProvisionClusterNetwork", cluster_id)
    await cluster_network.on_provision_cluster_network(deps, provision, delivery(1))
    assert not refusals
    answers = replies(await outbox(deps, cluster_id))
    assert [e.name for e in answers] == ["ClusterNetworkReady"]

    refusals.extend([wire(AUDIT_UNAVAILABLE), NoResponders("nobody")])
    release = setup.command("ReleaseClusterNetwork", cluster_id, request_id="r-2")
    await cluster_network.on_release_cluster_network(deps, release, delivery(1))
    assert not refusals
    answers = replies(await outbox(deps, cluster_id))
    assert [e.name for e in answers] == ["ClusterNetworkReady", "ClusterNetworkReleased"]


@pytest.mark.parametrize("setup", ["fake"], indirect=True)
async def test_a_vault_down_past_the_window_fails_at_the_last_delivery(setup: Setup):
    async def down(*args: Any) -> dict[str, Any]:
        raise wire(AUDIT_UNAVAILABLE)

    deps = replace(setup.deps(), decrypt_credential=down, retry_window=0.3)
    cluster_id = str(uuid.uuid4())
    provision = setup.command("ProvisionClusterNetwork", cluster_id)
    with pytest.raises(SkyclustError) as info:
        await cluster_network.on_provision_cluster_network(deps, provision, delivery(1))
    assert (info.value.code, info.value.retryable) == ("AUDIT_UNAVAILABLE", True)
    await cluster_network.on_provision_cluster_network(deps, provision, delivery(3))
    answers = replies(await outbox(deps, cluster_id))
    assert [(e.name, e.data["code"]) for e in answers] == [
        ("ClusterNetworkFailed", "AUDIT_UNAVAILABLE")
    ]


@pytest.mark.parametrize("setup", ["fake"], indirect=True)
async def test_a_provided_network_is_used_and_left_alone_on_release(setup: Setup):
    deps = setup.deps()
    body = {"workspace_id": setup.workspace, "actor_id": "a"}
    vpc = await call(
        vpcs.create_vpc,
        deps,
        {
            **body,
            "provider": "aws",
            "credential_id": setup.credential_id,
            "name": "shared",
            "region": setup.cloud.region,
            "cidr_block": "10.200.0.0/16",
        },
    )
    from ..helpers import settle

    await settle(deps, vpc["id"])
    for i, zone in enumerate(("a", "b")):
        subnet = await call(
            subnets.create_subnet,
            deps,
            {
                **body,
                "provider": "aws",
                "vpc_id": vpc["id"],
                "name": f"s{i}",
                "cidr_block": f"10.200.{i}.0/24",
                "availability_zone": f"{setup.cloud.region}{zone}",
            },
        )
        await settle(deps, subnet["id"])
    cluster_id = str(uuid.uuid4())
    await cluster_network.on_provision_cluster_network(
        deps, setup.command("ProvisionClusterNetwork", cluster_id, vpc_id=vpc["id"]), delivery()
    )
    ready = replies(await outbox(deps, cluster_id))[-1]
    assert ready.name == "ClusterNetworkReady"
    assert (ready.data["generated"], ready.data["vpc"]["id"]) == (False, vpc["id"])
    with pytest.raises(SkyclustError) as in_use:
        await call(vpcs.delete_vpc, deps, {**body, "vpc_id": vpc["id"]})
    assert in_use.value.code == "VPC_IN_USE" and cluster_id in str(in_use.value.details)

    await cluster_network.on_release_cluster_network(
        deps, setup.command("ReleaseClusterNetwork", cluster_id, request_id="r-9"), delivery()
    )
    released = replies(await outbox(deps, cluster_id))[-1]
    assert (released.name, released.data["deleted"]) == ("ClusterNetworkReleased", False)
    got = await call(vpcs.get_vpc, deps, {"workspace_id": setup.workspace, "vpc_id": vpc["id"]})
    assert got["status"] == "READY"


async def test_discovery_sees_a_network_made_in_the_cloud_and_the_planner_counts_it(
    setup: Setup,
):
    deps = setup.deps()
    name = f"console-{uuid.uuid4().hex[:6]}"
    cloud_id = setup.cloud.foreign_vpc(name, "10.123.0.0/20")
    found = await call(
        discovery.discover_networks,
        deps,
        {
            "workspace_id": setup.workspace,
            "provider": setup.provider_name,
            "credential_id": setup.credential_id,
            "region": setup.cloud.region,
        },
    )
    made = next(v for v in found["items"] if v["cloud_id"] == cloud_id)
    assert (made["name"], made["managed"]) == (name, False)
    assert "10.123.0.0/20" in made["address_space"]
    with pytest.raises(SkyclustError) as info:
        await call(
            vpcs.create_vpc,
            deps,
            {
                "workspace_id": setup.workspace,
                "actor_id": "a",
                "provider": setup.provider_name,
                "credential_id": setup.credential_id,
                "name": "planned",
                "region": setup.cloud.region,
                "cidr_block": "10.123.0.0/16",
            },
        )
    assert info.value.code == "CIDR_OVERLAP"
    assert f"unmanaged network '{name}'" in info.value.message
