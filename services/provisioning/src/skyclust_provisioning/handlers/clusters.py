"""Cluster use cases: the requests the gateway sends. What they start (create, delete,
upgrade) is carried out by the saga (saga.py) from the event each one commits."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeGuard

from sqlalchemy.exc import IntegrityError

from skyclust_common.db import UnitOfWork
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import (
    Conflict,
    NotFound,
    ProviderError,
    ValidationFailed,
)
from skyclust_common.messaging import RpcContext

from ..adapters.db import Cluster, Clusters, NodeGroup
from ..adapters.providers.base import ClusterProvider
from ..domain import conditions
from ..domain.cluster import DELETABLE, REGIONS, ClusterSpec, Status
from ..domain.node_group import check_name, check_sizes, check_taints, taints_from

SOURCE = "provisioning"

CredentialLookup = Callable[[str, str], Awaitable[dict[str, Any]]]
CredentialDecrypt = Callable[[str, str, str, str], Awaitable[dict[str, Any]]]


@dataclass
class ProvisioningDeps:
    uow: Callable[[], UnitOfWork]
    providers: Mapping[str, ClusterProvider]
    lookup_credential: CredentialLookup
    decrypt_credential: CredentialDecrypt
    poll_interval: float
    create_timeout: float
    delete_timeout: float
    max_attempts: int
    # The longest each saga step may take (saga.py's step names); see settings.
    step_timeouts: Mapping[str, float] = field(default_factory=dict)
    # How many saga runs may go at once: each holds a database connection for its lock
    # and needs another for its work, so this stays well under the pool's size.
    saga_runs: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(8))


def view(cluster: Cluster) -> dict[str, Any]:
    return {
        "id": str(cluster.id),
        "workspace_id": str(cluster.workspace_id),
        "provider": cluster.provider,
        "name": cluster.name,
        "version": cluster.version,
        "region": cluster.region,
        "credential_id": str(cluster.credential_id),
        "status": cluster.status,
        "status_reason": cluster.status_reason,
        "status_message": cluster.status_message,
        "endpoint": cluster.endpoint,
        "cloud_id": cluster.cloud_id,
        "tags": dict(cluster.tags or {}),
        "aws_config": cluster.aws_config,
        "gcp_config": cluster.gcp_config,
        "azure_config": cluster.azure_config,
        "conditions": cluster.conditions
        # Clusters from before conditions existed: derived from their status.
        or conditions.for_cluster_status(
            None, cluster.status, cluster.status_reason, cluster.status_message, cluster.updated_at
        ),
        "step": cluster.step,
        "progress": cluster.progress or 0,
        "network": cluster.network,
        "managed": cluster.managed if cluster.managed is not None else True,
        "target_version": cluster.target_version,
        "drift": list(cluster.drift or []),
        "drift_checked_at": cluster.drift_checked_at.isoformat()
        if cluster.drift_checked_at
        else None,
        "created_by": cluster.created_by,
        "created_at": cluster.created_at.isoformat(),
        "updated_at": cluster.updated_at.isoformat(),
    }


def _event(
    name: str, cluster: Cluster | ClusterSpec, data: dict[str, Any], **kw: Any
) -> CloudEvent:
    cluster_id = str(cluster.id) if isinstance(cluster, Cluster) else cluster.cluster_id
    workspace_id = str(cluster.workspace_id)
    return new_event(
        name,
        {"cluster_id": cluster_id, "provider": cluster.provider, "name": cluster.name, **data},
        source=SOURCE,
        subject=cluster_id,
        workspace_id=workspace_id,
        correlation_id=cluster_id,
        **kw,
    )


def _not_found() -> NotFound:
    return NotFound("cluster not found", code="CLUSTER_NOT_FOUND")


def found(cluster: Cluster | None, data: dict[str, Any]) -> TypeGuard[Cluster]:
    """The request's cluster: in its workspace, not deleted, and of the provider the
    request names (the gateway's path) if it names one."""
    return (
        cluster is not None
        and cluster.status != Status.DELETED
        and data.get("provider", cluster.provider) == cluster.provider
    )


def read_only() -> Conflict:
    return Conflict(
        "this cluster was adopted read-only; promote it to let SkyClust change it, "
        "or forget it to stop tracking it",
        code="CLUSTER_READ_ONLY",
    )


def _initial_node_groups(provider: str, requested: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The node groups to create with the cluster, checked as one by one they would be."""
    names = [g["name"] for g in requested]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationFailed(
            f"node group names must differ: {', '.join(duplicates)}",
            code="NODE_GROUP_NAME_TAKEN",
            details={"field": "node_groups"},
        )
    groups = []
    for g in requested:
        check_name(provider, g["name"])
        check_sizes(g["min_size"], g["max_size"], g["desired_size"])
        taints = taints_from(g.get("taints"))
        check_taints(taints)
        groups.append(
            {
                "name": g["name"],
                "instance_type": g.get("instance_type"),
                "min_size": g["min_size"],
                "max_size": g["max_size"],
                "desired_size": g["desired_size"],
                "labels": dict(g.get("labels") or {}),
                "taints": [t.as_dict() for t in taints],
            }
        )
    return groups


# requests ------------------------------------------------------------------------


async def create_cluster(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    provider = data["provider"]
    if provider not in deps.providers:
        raise ValidationFailed(
            f"{provider} clusters are not supported yet", code="PROVIDER_NOT_SUPPORTED"
        )
    if not REGIONS[provider].match(data["region"]):
        raise ValidationFailed(
            f"{data['region']!r} is not a {provider} region name",
            code="INVALID_REGION",
            details={"field": "region"},
        )
    credential = await deps.lookup_credential(data["workspace_id"], data["credential_id"])
    if credential["provider"] != provider:
        raise ValidationFailed(
            f"credential is for {credential['provider']}, not {provider}",
            code="CREDENTIAL_PROVIDER_MISMATCH",
            details={"field": "credential_id"},
        )
    groups = _initial_node_groups(provider, data.get("node_groups") or [])
    workspace_id = uuid.UUID(data["workspace_id"])
    async with deps.uow() as uow:
        clusters = Clusters(uow.session)
        if await clusters.live_by_name(workspace_id, provider, data["region"], data["name"]):
            raise Conflict(
                f"a cluster named {data['name']} exists in {data['region']}",
                code="CLUSTER_NAME_TAKEN",
            )
        cluster = Cluster(
            id=uuid.uuid4(),
            workspace_id=workspace_id,
            provider=provider,
            name=data["name"],
            version=data["version"],
            region=data["region"],
            credential_id=uuid.UUID(data["credential_id"]),
            status=Status.PENDING,
            tags=data.get("tags") or {},
            aws_config=data.get("aws_config"),
            gcp_config=data.get("gcp_config"),
            azure_config=data.get("azure_config"),
            conditions=conditions.for_node_groups(
                conditions.initial(datetime.now(UTC)),
                [(g["name"], Status.PENDING) for g in groups],
                datetime.now(UTC),
            ),
            network_request=data.get("network"),
            step=None,
            progress=0,
            managed=True,
            drift=[],
            created_by=data["actor_id"],
        )
        uow.session.add(cluster)
        await uow.session.flush()
        for group in groups:
            uow.session.add(
                NodeGroup(
                    id=uuid.uuid4(),
                    workspace_id=workspace_id,
                    cluster_id=cluster.id,
                    status=Status.PENDING,
                    created_by=data["actor_id"],
                    **group,
                )
            )
        uow.emit(
            _event(
                "ClusterRequested",
                cluster,
                {
                    "version": cluster.version,
                    "region": cluster.region,
                    "credential_id": str(cluster.credential_id),
                    "tags": cluster.tags,
                    "aws_config": cluster.aws_config,
                    "gcp_config": cluster.gcp_config,
                    "azure_config": cluster.azure_config,
                },
                actor_id=data["actor_id"],
            )
        )
        return await commit_new(uow, cluster)


async def commit_new(uow: UnitOfWork, cluster: Cluster) -> dict[str, Any]:
    """Commit a cluster just added (and its events); its name is unique per workspace,
    provider and region."""
    try:
        await uow.commit()
    except IntegrityError:
        raise Conflict(
            f"a cluster named {cluster.name} exists in {cluster.region}",
            code="CLUSTER_NAME_TAKEN",
        ) from None
    await uow.session.refresh(cluster)
    return view(cluster)


async def list_clusters(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow().read_only() as uow:
        items = await Clusters(uow.session).list(
            uuid.UUID(data["workspace_id"]), data.get("provider")
        )
        return {"items": [view(c) for c in items]}


async def get_cluster(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow().read_only() as uow:
        cluster = await Clusters(uow.session).get(
            uuid.UUID(data["workspace_id"]), uuid.UUID(data["cluster_id"])
        )
        if not found(cluster, data):
            raise _not_found()
        return view(cluster)


async def delete_cluster(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        cluster = await Clusters(uow.session).get(
            uuid.UUID(data["workspace_id"]), uuid.UUID(data["cluster_id"]), for_update=True
        )
        if not found(cluster, data):
            raise _not_found()
        if cluster.status == Status.DELETING:
            return view(cluster)
        if not cluster.managed:
            raise read_only()
        if cluster.status not in DELETABLE:
            raise Conflict(
                f"a cluster that is {cluster.status} cannot be deleted now",
                code="CLUSTER_BUSY",
            )
        cluster.status = Status.DELETING
        cluster.status_reason = None
        cluster.status_message = None
        if cluster.failure is None:
            # A create being rolled back goes on from where it is; anything else starts
            # its teardown from the node groups.
            cluster.step = None
        cluster.conditions = conditions.for_cluster_status(
            cluster.conditions, Status.DELETING, None, None, datetime.now(UTC)
        )
        uow.emit(_event("ClusterDeleteRequested", cluster, {}, actor_id=data["actor_id"]))
        await uow.commit()
        await uow.session.refresh(cluster)
        return view(cluster)


async def upgrade_cluster(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    """Refused up front: a version the cloud does not offer, a downgrade, a skipped minor
    version. The saga then upgrades the control plane, then each node group."""
    async with deps.uow() as uow:
        cluster = await Clusters(uow.session).get(
            uuid.UUID(data["workspace_id"]), uuid.UUID(data["cluster_id"])
        )
        if not found(cluster, data):
            raise _not_found()
        spec = cluster.spec()
        current, managed, status = cluster.version, cluster.managed, cluster.status
    if not managed:
        raise read_only()
    if status != Status.READY:
        raise Conflict(f"a cluster that is {status} cannot be upgraded now", code="CLUSTER_BUSY")
    wanted = data["version"]
    check_upgrade(current, wanted)
    provider = deps.providers.get(spec.provider)
    if provider is None:
        raise ValidationFailed(f"{spec.provider} is not supported", code="PROVIDER_NOT_SUPPORTED")
    credential = await _credential(deps, spec, "list versions")
    offered = await provider.versions(spec.region, credential)
    if wanted not in offered:
        raise ValidationFailed(
            f"{spec.provider} does not offer Kubernetes {wanted} in {spec.region}; "
            f"it offers {', '.join(offered) or 'none'}",
            code="VERSION_NOT_OFFERED",
            details={"field": "version", "offered": offered},
        )
    async with deps.uow() as uow:
        cluster = await Clusters(uow.session).get(
            uuid.UUID(data["workspace_id"]), uuid.UUID(data["cluster_id"]), for_update=True
        )
        if cluster is None or cluster.status != Status.READY or cluster.version != current:
            raise Conflict("the cluster changed meanwhile; try again", code="CLUSTER_BUSY")
        cluster.status = Status.UPDATING
        cluster.status_reason = None
        cluster.status_message = None
        cluster.target_version = wanted
        cluster.step = "upgrade-control-plane"
        cluster.progress = 0
        cluster.step_deadline = datetime.now(UTC) + timedelta(
            seconds=deps.step_timeouts.get("upgrade-control-plane", deps.create_timeout)
        )
        uow.emit(
            _event(
                "ClusterUpgradeRequested",
                cluster,
                {"from_version": current, "to_version": wanted},
                actor_id=data["actor_id"],
            )
        )
        await uow.commit()
        await uow.session.refresh(cluster)
        return view(cluster)


def check_upgrade(current: str, wanted: str) -> None:
    """One minor version up at a time, never down: what EKS, GKE and AKS all require."""
    have = tuple(int(p) for p in current.split(".")[:2])
    want = tuple(int(p) for p in wanted.split(".")[:2])
    if want == have:
        raise Conflict(f"the cluster runs {current} already", code="VERSION_UNCHANGED")
    if want < have:
        raise ValidationFailed(
            f"Kubernetes cannot be downgraded ({current} → {wanted})",
            code="VERSION_DOWNGRADE",
            details={"field": "version"},
        )
    if want[0] != have[0] or want[1] != have[1] + 1:
        raise ValidationFailed(
            f"upgrade one minor version at a time: {current} → {have[0]}.{have[1] + 1} first",
            code="VERSION_SKIP",
            details={"field": "version"},
        )


# shared with the saga steps ----------------------------------------------------


async def _credential(deps: ProvisioningDeps, spec: ClusterSpec, reason: str) -> dict[str, Any]:
    secret = await deps.decrypt_credential(
        spec.workspace_id, spec.credential_id, reason, spec.cluster_id
    )
    return dict(secret["data"])


async def _poll(
    deps: ProvisioningDeps,
    done: Callable[[], Awaitable[bool]],
    timeout: float,
    what: str,
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        await asyncio.sleep(deps.poll_interval)
        if await done():
            return
        if time.monotonic() > deadline:
            raise ProviderError(
                f"{what} did not finish within {int(timeout)} s",
                code="PROVIDER_TIMEOUT",
                retryable=False,
            )
