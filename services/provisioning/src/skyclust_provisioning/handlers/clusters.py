"""Cluster use cases: the requests the gateway sends, and the saga steps that move a
cluster through PENDING → PROVISIONING → READY (or FAILED), and DELETING → DELETED.

Every step re-reads the persisted state, so a redelivered message after a crash picks
up where the dead process stopped; cloud creation is idempotent by name and owner tag."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from skyclust_common.db import UnitOfWork
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import (
    Conflict,
    NotFound,
    ProviderError,
    ServiceUnavailable,
    SkyclustError,
    ValidationFailed,
)
from skyclust_common.messaging import Delivery, RpcContext

from ..adapters.db import Cluster, Clusters
from ..adapters.providers.base import CloudCluster, ClusterProvider
from ..domain import conditions
from ..domain.cluster import CREATING, DELETABLE, REGIONS, ClusterSpec, Status

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
            conditions=conditions.initial(datetime.now(UTC)),
            created_by=data["actor_id"],
        )
        uow.session.add(cluster)
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
        try:
            await uow.commit()
        except IntegrityError:
            raise Conflict(
                f"a cluster named {data['name']} exists in {data['region']}",
                code="CLUSTER_NAME_TAKEN",
            ) from None
        await uow.session.refresh(cluster)
        return view(cluster)


async def list_clusters(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        items = await Clusters(uow.session).list(
            uuid.UUID(data["workspace_id"]), data.get("provider")
        )
        return {"items": [view(c) for c in items]}


async def get_cluster(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        cluster = await Clusters(uow.session).get(
            uuid.UUID(data["workspace_id"]), uuid.UUID(data["cluster_id"])
        )
        if cluster is None or cluster.status == Status.DELETED:
            raise _not_found()
        return view(cluster)


async def delete_cluster(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        cluster = await Clusters(uow.session).get(
            uuid.UUID(data["workspace_id"]), uuid.UUID(data["cluster_id"]), for_update=True
        )
        if cluster is None or cluster.status == Status.DELETED:
            raise _not_found()
        if cluster.status == Status.DELETING:
            return view(cluster)
        if cluster.status not in DELETABLE:
            raise Conflict(
                f"a cluster that is {cluster.status} cannot be deleted now",
                code="CLUSTER_BUSY",
            )
        cluster.status = Status.DELETING
        cluster.status_reason = None
        cluster.status_message = None
        cluster.conditions = conditions.for_cluster_status(
            cluster.conditions, Status.DELETING, None, None, datetime.now(UTC)
        )
        uow.emit(_event("ClusterDeleteRequested", cluster, {}, actor_id=data["actor_id"]))
        await uow.commit()
        await uow.session.refresh(cluster)
        return view(cluster)


# saga steps ----------------------------------------------------------------------


async def _load(deps: ProvisioningDeps, event: CloudEvent) -> tuple[ClusterSpec, Status] | None:
    async with deps.uow() as uow:
        cluster = await Clusters(uow.session).get(
            uuid.UUID(event.workspaceid or ""), uuid.UUID(event.data["cluster_id"])
        )
        return None if cluster is None else (cluster.spec(), Status(cluster.status))


async def _transition(
    deps: ProvisioningDeps,
    spec: ClusterSpec,
    allowed: frozenset[Status],
    status: Status,
    event: CloudEvent | None,
    **fields: Any,
) -> bool:
    """Move the cluster to `status` if it is still in one of `allowed` (a delete may
    have overtaken a create); the event commits with the change."""
    async with deps.uow() as uow:
        cluster = await Clusters(uow.session).get(
            uuid.UUID(spec.workspace_id), uuid.UUID(spec.cluster_id), for_update=True
        )
        if cluster is None or cluster.status not in allowed:
            return False
        cluster.status = status
        for key, value in fields.items():
            setattr(cluster, key, value)
        cluster.conditions = conditions.for_cluster_status(
            cluster.conditions,
            status,
            cluster.status_reason,
            cluster.status_message,
            datetime.now(UTC),
        )
        if event is not None:
            uow.emit(event)
        await uow.commit()
        return True


async def _fail(
    deps: ProvisioningDeps,
    spec: ClusterSpec,
    allowed: frozenset[Status],
    error: SkyclustError,
    operation: str,
) -> None:
    retryable = isinstance(error, ProviderError) and error.retryable
    await _transition(
        deps,
        spec,
        allowed,
        Status.FAILED,
        _event(
            "ClusterFailed",
            spec,
            {
                "code": error.code,
                "message": error.message[:2000],
                "retryable": retryable,
                "operation": operation,
            },
        ),
        status_reason=error.code,
        status_message=error.message[:2000],
    )


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


async def _retry_or_fail(
    deps: ProvisioningDeps,
    spec: ClusterSpec,
    allowed: frozenset[Status],
    error: SkyclustError,
    delivery: Delivery,
    operation: str,
) -> None:
    transient = (isinstance(error, ProviderError) and error.retryable) or isinstance(
        error, ServiceUnavailable
    )
    if transient and delivery.num_delivered < deps.max_attempts:
        raise error  # redelivered with backoff
    await _fail(deps, spec, allowed, error, operation)


async def on_cluster_requested(
    deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery
) -> None:
    loaded = await _load(deps, event)
    if loaded is None or loaded[1] not in CREATING:
        return
    spec, status = loaded
    provider = deps.providers.get(spec.provider)
    if provider is None:
        await _fail(
            deps,
            spec,
            CREATING,
            ProviderError(f"{spec.provider} is not supported", code="PROVIDER_NOT_SUPPORTED"),
            "create",
        )
        return
    try:
        credential = await _credential(deps, spec, "create cluster")
        cloud = await provider.create(spec, credential)
        if status == Status.PENDING:
            await _transition(
                deps,
                spec,
                frozenset({Status.PENDING}),
                Status.PROVISIONING,
                _event(
                    "ClusterProvisioning",
                    spec,
                    {"step": "control-plane", "progress": 30, "cloud_id": cloud.cloud_id},
                ),
                cloud_id=cloud.cloud_id,
            )
        latest: list[CloudCluster] = [cloud]

        async def active() -> bool:
            current = await provider.describe(spec, credential)
            if current is None:
                raise ProviderError(
                    "the cloud lost the cluster while it was being created",
                    code="PROVIDER_RESOURCE_LOST",
                )
            if current.failed:
                raise ProviderError("the cloud reports the cluster failed", code="CLOUD_FAILED")
            latest[0] = current
            return current.active

        await _poll(deps, active, deps.create_timeout, "cluster creation")
        ready = latest[0]
        await _transition(
            deps,
            spec,
            CREATING,
            Status.READY,
            _event(
                "ClusterReady",
                spec,
                {
                    "version": ready.version or spec.version,
                    "region": spec.region,
                    "endpoint": ready.endpoint,
                    "cloud_id": ready.cloud_id,
                },
            ),
            endpoint=ready.endpoint,
            cloud_id=ready.cloud_id,
            status_reason=None,
            status_message=None,
        )
    except NotFound as exc:
        await _fail(deps, spec, CREATING, exc, "create")
    except SkyclustError as exc:
        await _retry_or_fail(deps, spec, CREATING, exc, delivery, "create")


async def on_cluster_delete_requested(
    deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery
) -> None:
    loaded = await _load(deps, event)
    if loaded is None or loaded[1] != Status.DELETING:
        return
    spec = loaded[0]
    deleting = frozenset({Status.DELETING})
    provider = deps.providers.get(spec.provider)
    try:
        if provider is not None:
            credential = await _credential(deps, spec, "delete cluster")
            # EKS refuses to delete a cluster that still has node groups; the others
            # would drop them silently. Either way they go first, each with its event.
            # (Imported here: the node group module builds on this one.)
            from .node_groups import delete_cluster_node_groups

            await delete_cluster_node_groups(deps, provider, spec, credential)
            await provider.delete(spec, credential)

            async def gone() -> bool:
                return await provider.describe(spec, credential) is None

            await _poll(deps, gone, deps.delete_timeout, "cluster deletion")
        await _transition(deps, spec, deleting, Status.DELETED, _event("ClusterDeleted", spec, {}))
    except SkyclustError as exc:
        # A cloud error is never taken to mean the cluster is gone.
        await _retry_or_fail(deps, spec, deleting, exc, delivery, "delete")
