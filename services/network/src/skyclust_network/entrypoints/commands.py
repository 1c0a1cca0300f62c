"""The commands other services send the network service, on the work-queue stream."""

from __future__ import annotations

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import COMMANDS_STREAM, Bus, Delivery, command_subject

from ..handlers import cluster_network
from ..handlers.common import SOURCE, NetworkDeps

COMMANDS = {
    "ProvisionClusterNetwork": cluster_network.on_provision_cluster_network,
    "ReleaseClusterNetwork": cluster_network.on_release_cluster_network,
}


async def register(bus: Bus, deps: NetworkDeps, concurrency: int = 2) -> None:
    async def handle(command: CloudEvent, delivery: Delivery) -> None:
        await COMMANDS[command.name](deps, command, delivery)

    await bus.consume(
        "network-commands",
        [command_subject(SOURCE, name) for name in COMMANDS],
        handle,
        stream=COMMANDS_STREAM,
        # Each run holds a database connection for its lock while it waits on the cloud.
        concurrency=concurrency,
    )
