"""Which clusters and networks use each credential, learnt from their events. The
inbox makes a redelivered event a no-op; tombstones make the order of a resource's
"requested" and "deleted" events irrelevant."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import Delivery

from ..domain.errors import InvalidMessage
from .credentials import VaultDeps

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UsageEvent:
    """How to read one kind of event: the resource kind and the field holding its id;
    `claims` says whether it starts or ends the use."""

    kind: str
    id_field: str
    claims: bool


CLAIMS_AND_RELEASES: dict[str, UsageEvent] = {
    "ClusterRequested": UsageEvent("cluster", "cluster_id", claims=True),
    "ClusterDeleted": UsageEvent("cluster", "cluster_id", claims=False),
    # A cluster SkyClust did not create, adopted read-only with this credential, and no
    # longer tracked.
    "ClusterImported": UsageEvent("cluster", "cluster_id", claims=True),
    "ClusterForgotten": UsageEvent("cluster", "cluster_id", claims=False),
    "VpcRequested": UsageEvent("network", "vpc_id", claims=True),
    # A network SkyClust did not create, taken under management with this credential.
    "VpcAdopted": UsageEvent("network", "vpc_id", claims=True),
    "VpcDeleted": UsageEvent("network", "vpc_id", claims=False),
}


def _uuid(value: object, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidMessage(f"{what} is not a UUID") from None


async def on_usage_event(
    deps: VaultDeps, consumer: str, event: CloudEvent, delivery: Delivery
) -> None:
    usage = CLAIMS_AND_RELEASES[event.name]
    resource_id = _uuid(event.data[usage.id_field], usage.id_field)
    name = str(event.data.get("name") or resource_id)[:100]
    async with deps.uow() as uow:
        if await uow.seen(consumer, event.id):
            return
        users = uow.credential_users
        if usage.claims:
            workspace_id = _uuid(event.workspaceid, "workspaceid")
            credential_id = _uuid(event.data["credential_id"], "credential_id")
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
