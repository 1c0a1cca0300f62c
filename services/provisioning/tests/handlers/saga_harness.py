"""The cluster saga's test harness: its deps on real PostgreSQL with the in-memory cloud,
its requests, the replies of the network service, and what it published."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from sqlalchemy import select, update

from skyclust_common.contracts import load_registry
from skyclust_common.db import outbox_table, session_of
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import (
    SkyclustError,
)
from skyclust_common.messaging import Delivery, RpcContext
from skyclust_provisioning.adapters.db import Cluster, metadata
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.adapters.uow import ProvisioningUnitOfWork
from skyclust_provisioning.handlers import clusters, saga

from .rpc_calls import call

CTX = RpcContext({})
CREDENTIAL = {"access_key_id": "AKIA", "secret_access_key": "s"}
STEPS = {
    "network": 5,
    "control-plane": 5,
    "node-groups": 5,
    "upgrade-control-plane": 5,
    "upgrade-node-groups": 5,
    "delete-node-groups": 5,
    "delete-control-plane": 5,
    "release-network": 5,
}


def make_deps(
    sessions, cloud: FakeClusterProvider, steps: dict[str, float] | None = None, **overrides: Any
) -> clusters.ProvisioningDeps:
    async def lookup(workspace_id: str, credential_id: str) -> dict[str, Any]:
        return {"id": credential_id, "provider": "aws"}

    async def decrypt(ws: str, cred: str, reason: str, correlation: str) -> dict[str, Any]:
        return {"provider": "aws", "data": CREDENTIAL}

    values: dict[str, Any] = {
        "uow": lambda: ProvisioningUnitOfWork(sessions, metadata, load_registry()),
        "providers": {"aws": cloud},
        "lookup_credential": lookup,
        "decrypt_credential": decrypt,
        "poll_interval": 0.01,
        "create_timeout": 5,
        "delete_timeout": 5,
        "max_attempts": 3,
        "step_timeouts": {**STEPS, **(steps or {})},
    }
    values.update(overrides)
    return clusters.ProvisioningDeps(**values)


NODE_GROUP = {"name": "workers", "min_size": 1, "max_size": 3, "desired_size": 2}


async def request(deps: clusters.ProvisioningDeps, **body: Any) -> dict[str, Any]:
    return await call(
        clusters.create_cluster,
        deps,
        {
            "workspace_id": str(uuid.uuid4()),
            "actor_id": str(uuid.uuid4()),
            "provider": "aws",
            "name": f"c{uuid.uuid4().hex[:8]}",
            "version": "1.29",
            "region": "us-east-1",
            "credential_id": str(uuid.uuid4()),
            **body,
        },
        CTX,
    )


async def published(
    deps: clusters.ProvisioningDeps, cluster_id: str
) -> list[tuple[str, CloudEvent]]:
    """(subject, message) of everything the cluster's saga queued, in order."""
    table = outbox_table(metadata)
    async with deps.uow() as uow:
        rows = await session_of(uow).execute(
            select(table.c.subject, table.c.payload).order_by(table.c.created_at, table.c.id)
        )
        found = [(row[0], CloudEvent.model_validate(row[1])) for row in rows]
    return [(s, e) for s, e in found if e.data.get("cluster_id") == cluster_id]


async def names(deps: clusters.ProvisioningDeps, cluster_id: str) -> list[str]:
    return [e.name for _, e in await published(deps, cluster_id)]


async def status(deps: clusters.ProvisioningDeps, cluster: dict[str, Any]) -> dict[str, Any]:
    return await call(
        clusters.get_cluster,
        deps,
        {"workspace_id": cluster["workspace_id"], "cluster_id": cluster["id"]},
        CTX,
    )


async def advance(deps: clusters.ProvisioningDeps, cluster: dict[str, Any]) -> None:
    await saga.advance(deps, cluster["workspace_id"], cluster["id"])


def reply(cluster: dict[str, Any], name: str, data: dict[str, Any]) -> CloudEvent:
    return new_event(
        name,
        {"cluster_id": cluster["id"], **data},
        source="network",
        subject=cluster["id"],
        workspace_id=cluster["workspace_id"],
    )


def network_ready(cluster: dict[str, Any], generated: bool = True) -> CloudEvent:
    subnets = [
        {
            "id": str(uuid.uuid4()),
            "name": f"s{i}",
            "cloud_id": f"subnet-{i}",
            "cidr_block": f"10.0.{i}.0/24",
            "region": "us-east-1",
            "availability_zone": f"us-east-1{'ab'[i]}",
        }
        for i in range(2)
    ]
    return reply(
        cluster,
        "ClusterNetworkReady",
        {
            "request_id": f"provision-{cluster['id']}",
            "provider": "aws",
            "credential_id": cluster["credential_id"],
            "region": "us-east-1",
            "generated": generated,
            "vpc": {
                "id": str(uuid.uuid4()),
                "name": "net",
                "cloud_id": "vpc-1",
                "cidr_block": "10.0.0.0/16",
                "resource_group": None,
            },
            "subnets": subnets,
            "security_groups": [{"id": str(uuid.uuid4()), "name": "sg", "cloud_id": "sg-1"}],
        },
    )


def released(cluster: dict[str, Any]) -> CloudEvent:
    return reply(
        cluster,
        "ClusterNetworkReleased",
        {"request_id": "r", "vpc_id": None, "deleted": True},
    )


def delivery(n: int = 1) -> Delivery:
    return Delivery("saga", "subject", n, 1)


async def through_network(deps: clusters.ProvisioningDeps, cluster: dict[str, Any]) -> None:
    await advance(deps, cluster)
    await saga.on_network_ready(deps, network_ready(cluster), delivery())


async def _set(deps: clusters.ProvisioningDeps, cluster: dict[str, Any], **values: Any) -> None:
    async with deps.uow() as uow:
        await session_of(uow).execute(
            update(Cluster).where(Cluster.id == uuid.UUID(cluster["id"])).values(**values)
        )
        await uow.commit()


def wire(error: SkyclustError | dict[str, Any]) -> SkyclustError:
    """The error as a request over the bus delivers it: encoded by the answering
    service, decoded here, where that service's own classes are not imported."""
    data = error.to_dict() if isinstance(error, SkyclustError) else error
    return SkyclustError.from_dict(orjson.loads(orjson.dumps(data)))


async def _groups(deps: clusters.ProvisioningDeps, cluster: dict[str, Any]) -> list[dict[str, Any]]:
    from skyclust_provisioning.handlers import node_groups

    result = await call(
        node_groups.list_node_groups,
        deps,
        {"workspace_id": cluster["workspace_id"], "cluster_id": cluster["id"]},
        CTX,
    )
    return list(result["items"])
