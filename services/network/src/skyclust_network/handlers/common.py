"""What every network use case shares: its dependencies, the views it answers with, the
events it emits, credentials from the vault, and waiting out retryable failures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import (
    SkyclustError,
)
from skyclust_common.messages.base import Part

from ..adapters.db import SecurityGroup, Subnet, Vpc
from ..adapters.providers.base import NetworkProvider
from ..adapters.repositories import NetworkUnitOfWork
from ..domain import cluster_network
from ..domain.errors import (
    CredentialProviderMismatch,
    ProviderNotSupported,
)
from ..domain.model import GCP_GLOBAL

SOURCE = "network"
# What subnets and security groups are listed by.
LISTED_BY = ("provider", "vpc_id", "region", "credential_id")
RETRY_FIRST_SECONDS = 0.2
# At most this long between tries: a dependency that comes back is used soon after.
RETRY_CAP_SECONDS = 5.0
log = logging.getLogger(__name__)

CredentialLookup = Callable[[str, str], Awaitable[dict[str, Any]]]
CredentialDecrypt = Callable[[str, str, str, str], Awaitable[dict[str, Any]]]


@dataclass
class NetworkDeps:
    uow: Callable[[], NetworkUnitOfWork]
    providers: Mapping[str, NetworkProvider]
    lookup_credential: CredentialLookup
    decrypt_credential: CredentialDecrypt
    max_attempts: int = 5
    # How long after a cluster-network command was sent its run waits out retryable
    # failures (a paused vault, a throttled cloud) in place; past it, redelivery is
    # bounded by max_attempts. 0: redelivery only.
    retry_window: float = 0.0
    discovery_aws_regions: Sequence[str] = field(default_factory=list)


def wire(part: Part) -> dict[str, Any]:
    """A part of a request as it came on the wire (what it left out stays out), for the
    domain's checks that read plain data: a rule, a layout's network."""
    return part.model_dump(mode="json", by_alias=True, exclude_unset=True)


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


async def vpc_views(uow: NetworkUnitOfWork, vpcs: Sequence[Vpc]) -> list[dict[str, Any]]:
    gcp_ids = [v.id for v in vpcs if v.provider == "gcp"]
    counts = await uow.security_groups.rule_counts(gcp_ids)
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
        raise ProviderNotSupported(f"{name} networks are not supported")
    return provider


async def check_credential(
    deps: NetworkDeps, workspace_id: str, credential_id: str, provider: str
) -> dict[str, Any]:
    credential = await deps.lookup_credential(workspace_id, credential_id)
    if credential["provider"] != provider:
        raise CredentialProviderMismatch(
            f"credential is for {credential['provider']}, not {provider}",
            details={"field": "credential_id"},
        )
    return credential


async def secret(
    deps: NetworkDeps, workspace_id: str, credential_id: str, reason: str, correlation_id: str
) -> dict[str, Any]:
    decrypted = await deps.decrypt_credential(workspace_id, credential_id, reason, correlation_id)
    return dict(decrypted["data"])


def subnet_region(vpc: Vpc, requested: str | None) -> str | None:
    if vpc.provider == "gcp":
        return requested or (vpc.region if vpc.region != GCP_GLOBAL else None)
    return vpc.region


# retries -------------------------------------------------------------------------------------


def transient(error: SkyclustError) -> bool:
    """The same call may succeed later: a throttled or unavailable cloud, another
    service's 5xx, a request that timed out or found nobody to answer it."""
    return error.retryable


def retry_left(deps: NetworkDeps, command: CloudEvent) -> float:
    """Seconds the command's run may still wait out retryable failures."""
    return cluster_network.retry_left(command.time, datetime.now(UTC), deps.retry_window)


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
