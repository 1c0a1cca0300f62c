"""The network service's JetStream consumers: its own resources' saga, and what it
tracks from other services."""

from __future__ import annotations

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import Bus, Delivery

from ..handlers import security_groups, subnets, tracking, vpcs
from ..handlers.common import NetworkDeps

SAGA_STEPS = {
    "VpcRequested": vpcs.on_vpc_requested,
    "VpcUpdateRequested": vpcs.on_vpc_update_requested,
    "VpcDeleteRequested": vpcs.on_vpc_delete_requested,
    "SubnetRequested": subnets.on_subnet_requested,
    "SubnetUpdateRequested": subnets.on_subnet_update_requested,
    "SubnetDeleteRequested": subnets.on_subnet_delete_requested,
    "SecurityGroupRequested": security_groups.on_security_group_requested,
    "SecurityGroupUpdateRequested": security_groups.on_security_group_update_requested,
    "SecurityGroupDeleteRequested": security_groups.on_security_group_delete_requested,
}

TRACKED = {
    "CredentialCreated": tracking.on_credential_created,
    "CredentialDeleted": tracking.on_credential_deleted,
    "ClusterRequested": tracking.on_cluster_requested,
    "ClusterDeleted": tracking.on_cluster_gone,
    "ClusterFailed": tracking.on_cluster_gone,
}


async def register(bus: Bus, deps: NetworkDeps) -> None:
    async def step(event: CloudEvent, delivery: Delivery) -> None:
        await SAGA_STEPS[event.name](deps, event, delivery)

    async def track(event: CloudEvent, delivery: Delivery) -> None:
        await TRACKED[event.name](deps, event, delivery)

    await bus.consume(
        "network-saga",
        [f"skyclust.evt.*.{name}" for name in SAGA_STEPS],
        step,
        concurrency=16,
    )
    await bus.consume(
        tracking.CONSUMER,
        [f"skyclust.evt.*.{name}" for name in TRACKED],
        track,
    )
