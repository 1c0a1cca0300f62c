"""What every network use case shares: its dependencies, the views it answers with, the
events it emits, credentials from the vault, and the saga's state transitions."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from skyclust_common.db import UnitOfWork
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import (
    Conflict,
    NotFound,
    SkyclustError,
    ValidationFailed,
)
from skyclust_common.messaging import Delivery

from ..adapters.db import SecurityGroup, SecurityGroups, Subnet, Subnets, Vpc, Vpcs
from ..adapters.providers.base import NetworkProvider
from ..domain.model import GCP_GLOBAL, Status

SOURCE = "network"
RETRY_FIRST_SECONDS = 0.2
# At most this long between tries: a dependency that comes back is used soon after.
RETRY_CAP_SECONDS = 5.0
log = logging.getLogger(__name__)

CredentialLookup = Callable[[str, str], Awaitable[dict[str, Any]]]
CredentialDecrypt = Callable[[str, str, str, str], Awaitable[dict[str, Any]]]


@dataclass
class NetworkDeps:
    uow: Callable[[], UnitOfWork]
    providers: Mapping[str, NetworkProvider]
    lookup_credential: CredentialLookup
    decrypt_credential: CredentialDecrypt
    max_attempts: int = 5
    # How long after a cluster-network command was sent its run waits out retryable
    # failures (a paused vault, a throttled cloud) in place; past it, redelivery is
    # bounded by max_attempts. 0: redelivery only.
    retry_window: float = 0.0
    discovery_aws_regions: Sequence[str] = field(default_factory=list)


# views -----------------------------------------------------------------------------------


def _lifecycle(row: Vpc | Subnet | SecurityGroup) -> dict[str, Any]:
    return {
        "status": row.status,
        # The seed design's DTOs call it `state`.
        "state": row.status,
        "status_reason": row.status_reason,
        "status_message": row.status_message,
        "cloud_id": row.cloud_id,
        "tags": dict(row.tags or {}),
        "cluster_id": str(row.cluster_id) if row.cluster_id else None,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def vpc_view(vpc: Vpc, rule_count: int | None = None) -> dict[str, Any]:
    gcp = vpc.provider == "gcp"
    return {
        "id": str(vpc.id),
        "workspace_id": str(vpc.workspace_id),
        "provider": vpc.provider,
        "credential_id": str(vpc.credential_id),
        "name": vpc.name,
        "cidr_block": vpc.cidr_block,
        "address_space": list(vpc.address_space or []),
        "is_default": vpc.is_default,
        "region": vpc.region,
        "resource_group": vpc.resource_group,
        "managed": vpc.managed,
        "allow_overlap": vpc.allow_overlap,
        "network_mode": vpc.network_mode if gcp else None,
        "routing_mode": vpc.routing_mode if gcp else None,
        "mtu": vpc.mtu if gcp else None,
        "auto_subnets": vpc.auto_subnets if gcp else None,
        "firewall_rule_count": (rule_count or 0) if gcp else None,
        **_lifecycle(vpc),
    }


def subnet_view(subnet: Subnet) -> dict[str, Any]:
    return {
        "id": str(subnet.id),
        "workspace_id": str(subnet.workspace_id),
        "provider": subnet.provider,
        "credential_id": str(subnet.credential_id),
        "vpc_id": str(subnet.vpc_id),
        "name": subnet.name,
        "cidr_block": subnet.cidr_block,
        "availability_zone": subnet.availability_zone,
        "is_public": subnet.is_public,
        "region": subnet.region,
        **_lifecycle(subnet),
    }


def group_view(group: SecurityGroup) -> dict[str, Any]:
    return {
        "id": str(group.id),
        "workspace_id": str(group.workspace_id),
        "provider": group.provider,
        "credential_id": str(group.credential_id),
        "vpc_id": str(group.vpc_id),
        "name": group.name,
        "description": group.description,
        "rules": list(group.rules or []),
        "region": group.region,
        **_lifecycle(group),
    }


async def vpc_views(session: AsyncSession, vpcs: Sequence[Vpc]) -> list[dict[str, Any]]:
    gcp_ids = [v.id for v in vpcs if v.provider == "gcp"]
    counts = await SecurityGroups(session).rule_counts(gcp_ids)
    return [vpc_view(v, counts.get(v.id, 0)) for v in vpcs]


# events -----------------------------------------------------------------------------------


def resource_event(
    name: str,
    row: Vpc | Subnet | SecurityGroup,
    data: dict[str, Any],
    **kw: Any,
) -> CloudEvent:
    """An event about one resource: subject = its id, in its workspace, correlated with
    the cluster it was made for, if any."""
    if isinstance(row, Vpc):
        head: dict[str, Any] = {"vpc_id": str(row.id)}
    elif isinstance(row, Subnet):
        head = {"subnet_id": str(row.id), "vpc_id": str(row.vpc_id)}
    else:
        head = {"security_group_id": str(row.id), "vpc_id": str(row.vpc_id)}
    kw.setdefault("correlation_id", str(row.cluster_id) if row.cluster_id else str(row.id))
    return new_event(
        name,
        {**head, "provider": row.provider, "name": row.name, **data},
        source=SOURCE,
        subject=str(row.id),
        workspace_id=str(row.workspace_id),
        **kw,
    )


def failed_event(
    prefix: str, row: Vpc | Subnet | SecurityGroup, error: SkyclustError, operation: str
) -> CloudEvent:
    return resource_event(
        f"{prefix}Failed",
        row,
        {
            "code": error.code,
            "message": (error.message or error.code)[:2000],
            "retryable": error.retryable,
            "operation": operation,
        },
    )


# lookups ----------------------------------------------------------------------------------


def provider_of(deps: NetworkDeps, name: str) -> NetworkProvider:
    provider = deps.providers.get(name)
    if provider is None:
        raise ValidationFailed(f"{name} networks are not supported", code="PROVIDER_NOT_SUPPORTED")
    return provider


async def check_credential(
    deps: NetworkDeps, workspace_id: str, credential_id: str, provider: str
) -> dict[str, Any]:
    credential = await deps.lookup_credential(workspace_id, credential_id)
    if credential["provider"] != provider:
        raise ValidationFailed(
            f"credential is for {credential['provider']}, not {provider}",
            code="CREDENTIAL_PROVIDER_MISMATCH",
            details={"field": "credential_id"},
        )
    return credential


async def secret(
    deps: NetworkDeps, workspace_id: str, credential_id: str, reason: str, correlation_id: str
) -> dict[str, Any]:
    decrypted = await deps.decrypt_credential(workspace_id, credential_id, reason, correlation_id)
    return dict(decrypted["data"])


def detached(session: AsyncSession, row: Any) -> Any:
    """A row usable after its unit of work ends (the closing rollback would expire it)."""
    session.expunge(row)
    return row


def not_found(kind: str) -> NotFound:
    codes = {"vpc": "VPC_NOT_FOUND", "subnet": "SUBNET_NOT_FOUND"}
    code = codes.get(kind, "SECURITY_GROUP_NOT_FOUND")
    return NotFound(f"{kind.replace('_', ' ')} not found", code=code)


def _of_provider(row: Vpc | Subnet | SecurityGroup, provider: str | None) -> bool:
    """Whether the row is of the provider a request names (the gateway's path)."""
    return provider is None or row.provider == provider


async def vpc_or_404(
    session: AsyncSession,
    workspace_id: str,
    vpc_id: str,
    *,
    for_update: bool = False,
    provider: str | None = None,
) -> Vpc:
    vpc = await Vpcs(session).get(uuid.UUID(workspace_id), uuid.UUID(vpc_id), for_update=for_update)
    if vpc is None or vpc.status == Status.DELETED or not _of_provider(vpc, provider):
        raise not_found("vpc")
    return vpc


async def subnet_or_404(
    session: AsyncSession,
    workspace_id: str,
    subnet_id: str,
    *,
    for_update: bool = False,
    provider: str | None = None,
) -> Subnet:
    subnet = await Subnets(session).get(
        uuid.UUID(workspace_id), uuid.UUID(subnet_id), for_update=for_update
    )
    if subnet is None or subnet.status == Status.DELETED or not _of_provider(subnet, provider):
        raise not_found("subnet")
    return subnet


async def group_or_404(
    session: AsyncSession,
    workspace_id: str,
    group_id: str,
    *,
    for_update: bool = False,
    provider: str | None = None,
) -> SecurityGroup:
    group = await SecurityGroups(session).get(
        uuid.UUID(workspace_id), uuid.UUID(group_id), for_update=for_update
    )
    if group is None or group.status == Status.DELETED or not _of_provider(group, provider):
        raise not_found("security_group")
    return group


def require_changeable(
    row: Vpc | Subnet | SecurityGroup, kind: str, allowed: frozenset[Status]
) -> None:
    if isinstance(row, Vpc) and not row.managed:
        raise Conflict(
            f"network '{row.name}' was not created by SkyClust; an admin can adopt it first",
            code="NETWORK_NOT_MANAGED",
        )
    if row.cluster_id is not None:
        raise Conflict(
            f"{kind} '{row.name}' belongs to the network of cluster {row.cluster_id}; "
            "release the cluster's network instead",
            code="GENERATED_FOR_CLUSTER",
            details={"cluster_id": str(row.cluster_id)},
        )
    if row.status not in allowed:
        raise Conflict(
            f"a {kind.replace('_', ' ')} that is {row.status} cannot be changed now",
            code=f"{kind.upper()}_BUSY",
        )


def subnet_region(vpc: Vpc, requested: str | None) -> str | None:
    if vpc.provider == "gcp":
        return requested or (vpc.region if vpc.region != GCP_GLOBAL else None)
    return vpc.region


# saga -------------------------------------------------------------------------------------

Row = Vpc | Subnet | SecurityGroup


async def transition(
    deps: NetworkDeps,
    model: type[Row],
    workspace_id: str,
    row_id: str,
    allowed: frozenset[Status],
    status: Status,
    make_events: Callable[[Any], Sequence[CloudEvent]] = lambda row: (),
    **fields: Any,
) -> bool:
    """Move a row to `status` if it is still in one of `allowed`; its events commit with
    the change."""
    async with deps.uow() as uow:
        repo: Any = {Vpc: Vpcs, Subnet: Subnets, SecurityGroup: SecurityGroups}[model]
        row = await repo(uow.session).get(
            uuid.UUID(workspace_id), uuid.UUID(row_id), for_update=True
        )
        if row is None or row.status not in allowed:
            return False
        row.status = status
        for key, value in fields.items():
            setattr(row, key, value)
        for event in make_events(row):
            uow.emit(event)
        await uow.commit()
        return True


def transient(error: SkyclustError) -> bool:
    """The same call may succeed later: a throttled or unavailable cloud, another
    service's 5xx, a request that timed out or found nobody to answer it."""
    return error.retryable


def retry_left(deps: NetworkDeps, command: CloudEvent) -> float:
    """Seconds the command's run may still wait out retryable failures."""
    return deps.retry_window - (datetime.now(UTC) - command.time).total_seconds()


async def ride_out(
    deps: NetworkDeps, command: CloudEvent, run: Callable[[], Awaitable[None]]
) -> None:
    """`run`, run again after a retryable failure, with backoff, while the command is
    younger than the retry window; what still fails goes back to redelivery."""
    delay = RETRY_FIRST_SECONDS
    while True:
        try:
            return await run()
        except SkyclustError as exc:
            left = retry_left(deps, command)
            if not transient(exc) or left <= 0:
                raise
            log.info(
                "retryable failure, the run waits and tries again",
                extra={"command": command.name, "code": exc.code, "retry_in": min(delay, left)},
            )
            await asyncio.sleep(min(delay, left))
            delay = min(delay * 2, RETRY_CAP_SECONDS)


async def fail(
    deps: NetworkDeps,
    prefix: str,
    model: type[Row],
    workspace_id: str,
    row_id: str,
    allowed: frozenset[Status],
    error: SkyclustError,
    operation: str,
) -> None:
    await transition(
        deps,
        model,
        workspace_id,
        row_id,
        allowed,
        Status.FAILED,
        lambda row: [failed_event(prefix, row, error, operation)],
        status_reason=error.code[:64],
        status_message=error.message[:2000],
    )


async def retry_or_fail(
    deps: NetworkDeps,
    prefix: str,
    model: type[Row],
    workspace_id: str,
    row_id: str,
    allowed: frozenset[Status],
    error: SkyclustError,
    delivery: Delivery,
    operation: str,
) -> None:
    """A transient error is raised (the message comes back with backoff) until the last
    attempt; anything else, or the last attempt, fails the resource with its reason."""
    if transient(error) and delivery.num_delivered < deps.max_attempts:
        raise error
    await fail(deps, prefix, model, workspace_id, row_id, allowed, error, operation)
