"""ReleaseClusterNetwork: delete the network generated for the cluster, or let go of the
one it brought, and reply ClusterNetworkReleased; a teardown that fails for good leaves
the network READY and replies ClusterNetworkFailed."""

from __future__ import annotations

import uuid

from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import SkyclustError
from skyclust_common.messages.commands import ReleaseClusterNetwork
from skyclust_common.messaging import Delivery

from ...domain.cluster_network import Release, State, release
from ...domain.errors import InvalidMessage
from ...domain.model import Status
from ..common import NetworkDeps, ride_out, secret, transient
from .engine import exclusive, failed_reply, load, record, reply, should_retry, tear_down


async def on_release_cluster_network(
    deps: NetworkDeps, command: CloudEvent, delivery: Delivery
) -> None:
    if not command.workspaceid:
        raise InvalidMessage("the command carries no workspaceid")
    try:
        request = ReleaseClusterNetwork.parse(command.data)
    except SkyclustError as exc:
        raise InvalidMessage(f"invalid command: {exc}") from None
    await ride_out(deps, command, lambda: _run(deps, command, request.cluster_id, delivery))


async def _run(
    deps: NetworkDeps, command: CloudEvent, cluster_id: uuid.UUID, delivery: Delivery
) -> None:
    workspace_id = command.workspaceid
    assert workspace_id is not None
    cluster = str(cluster_id)
    async with exclusive(deps, cluster_id):
        snapshot = await load(deps, cluster_id)
        row, vpc = snapshot.row, snapshot.vpc
        decision = release(
            snapshot.record(),
            workspace_id,
            generated=row is not None and row.generated,
            network_live=vpc is not None and vpc.status != Status.DELETED,
        )
        if decision is Release.UNKNOWN or row is None:
            released = reply(
                "ClusterNetworkReleased", command, cluster, {"vpc_id": None, "deleted": False}
            )
            async with deps.uow() as uow:
                uow.emit(released)
                await uow.commit()
            return
        vpc_id = str(row.vpc_id) if row.vpc_id else None
        if decision is Release.ANSWER:
            data = {"vpc_id": vpc_id, "deleted": row.generated}
            await record(
                deps, cluster_id, [reply("ClusterNetworkReleased", command, cluster, data)]
            )
            return
        delete = decision is Release.TEAR_DOWN
        if delete:
            await record(deps, cluster_id, [], status=State.RELEASING)
            try:
                credential = await secret(
                    deps, workspace_id, str(row.credential_id), "delete cluster network", cluster
                )
                await tear_down(deps, cluster_id, credential, None)
            except SkyclustError as exc:
                if should_retry(deps, command, delivery, exc):
                    raise
                failed = failed_reply(
                    command,
                    row,
                    exc.code[:64],
                    exc.message[:2000],
                    retryable=transient(exc),
                    operation="release",
                )
                await record(
                    deps,
                    cluster_id,
                    [failed],
                    status=State.READY,
                    status_reason=exc.code[:64],
                    status_message=exc.message[:2000],
                )
                return
        released = reply(
            "ClusterNetworkReleased", command, cluster, {"vpc_id": vpc_id, "deleted": delete}
        )
        async with deps.uow() as uow:
            await uow.cluster_links.unlink(cluster_id)
            row_now = await uow.cluster_networks.get(cluster_id, for_update=True)
            assert row_now is not None
            row_now.status = State.RELEASED
            uow.emit(released)
            await uow.commit()
