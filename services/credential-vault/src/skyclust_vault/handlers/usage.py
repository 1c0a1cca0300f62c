"""Which clusters and networks use each credential, learnt from their events. The
inbox makes a redelivered event a no-op; tombstones make the order of a resource's
"requested" and "deleted" events irrelevant."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from skyclust_common.envelope import CloudEvent
from skyclust_common.messages.events import (
    ClusterDeleted,
    ClusterForgotten,
    ClusterImported,
    ClusterRequested,
    VpcAdopted,
    VpcDeleted,
    VpcRequested,
)
from skyclust_common.messaging import Delivery

from ..domain.errors import InvalidMessage
from .credentials import VaultDeps

log = logging.getLogger(__name__)

Claim = ClusterRequested | ClusterImported | VpcRequested | VpcAdopted
Release = ClusterDeleted | ClusterForgotten | VpcDeleted


@dataclass(frozen=True)
class UsageEvent:
    """How to read one kind of event: its model and the kind of resource it is about;
    a claim starts the use, a release ends it."""

    kind: str
    model: type[Claim | Release]


CLAIMS_AND_RELEASES: dict[str, UsageEvent] = {
    "ClusterRequested": UsageEvent("cluster", ClusterRequested),
    "ClusterDeleted": UsageEvent("cluster", ClusterDeleted),
    # A cluster SkyClust did not create, adopted read-only with this credential, and no
    # longer tracked.
    "ClusterImported": UsageEvent("cluster", ClusterImported),
    "ClusterForgotten": UsageEvent("cluster", ClusterForgotten),
    "VpcRequested": UsageEvent("network", VpcRequested),
    # A network SkyClust did not create, taken under management with this credential.
    "VpcAdopted": UsageEvent("network", VpcAdopted),
    "VpcDeleted": UsageEvent("network", VpcDeleted),
}


def _resource_id(data: Claim | Release) -> uuid.UUID:
    # A VPC requested for a cluster names that cluster too: the VPC is the resource.
    if isinstance(data, VpcRequested | VpcAdopted | VpcDeleted):
        return data.vpc_id
    return data.cluster_id


def _workspace_id(event: CloudEvent) -> uuid.UUID:
    try:
        return uuid.UUID(str(event.workspaceid))
    except ValueError:
        raise InvalidMessage("workspaceid is not a UUID") from None


async def on_usage_event(
    deps: VaultDeps, consumer: str, event: CloudEvent, delivery: Delivery
) -> None:
    usage = CLAIMS_AND_RELEASES[event.name]
    data = usage.model.from_event(event)
    resource_id = _resource_id(data)
    name = (data.name or str(resource_id))[:100]
    async with deps.uow() as uow:
        if await uow.seen(consumer, event.id):
            return
        users = uow.credential_users
        if isinstance(data, Claim):
            workspace_id = _workspace_id(event)
            credential_id = data.credential_id
            # Shares the row lock a delete takes: a claim and a delete cannot cross.
            credential = await uow.credentials.get(workspace_id, credential_id, for_share=True)
            if credential is None:
                log.warning(
                    "a resource names a credential that does not exist",
                    extra={"kind": usage.kind, "resource_id": str(resource_id)},
                )
            else:
                await users.claim(usage.kind, resource_id, credential_id, workspace_id, name)
        else:
            await users.release(usage.kind, resource_id, name)
        await uow.commit()
