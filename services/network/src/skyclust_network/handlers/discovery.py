"""Discovery: the networks a credential sees in the cloud that SkyClust did not create are
recorded as unmanaged (read-only), so users see their whole estate and the planner counts
every range. A network that is gone from a listing that succeeded is marked deleted; a
listing that fails changes nothing."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from skyclust_common.errors import NotFound, SkyclustError
from skyclust_common.messages.rpc import DiscoverNetworks
from skyclust_common.messaging import RpcContext

from ..adapters.db import Vpc
from ..adapters.providers.base import CloudVpc
from ..adapters.repositories import Filter
from ..domain.model import GCP_GLOBAL, Status
from .common import NetworkDeps, check_credential, provider_of, resource_event, secret, vpc_views

log = logging.getLogger(__name__)


def _scope_region(provider: str, region: str | None, credential: dict[str, Any]) -> str | None:
    """The region a listing covers; None when it covers every region (GCP, Azure)."""
    if provider == "aws":
        return region or credential.get("region") or "us-east-1"
    return None


def _refresh_row(row: Vpc, cloud: CloudVpc) -> None:
    row.address_space = list(cloud.cidr_blocks)
    if not row.managed:
        row.name = cloud.name[:100]
        row.cidr_block = cloud.cidr_blocks[0] if cloud.cidr_blocks else None
        row.tags = dict(cloud.tags)
        row.is_default = cloud.is_default
        row.network_mode = cloud.network_mode
        row.routing_mode = cloud.routing_mode
        row.mtu = cloud.mtu
        row.auto_subnets = cloud.auto_subnets


async def refresh(
    deps: NetworkDeps,
    workspace_id: str,
    provider_name: str,
    credential_id: str,
    region: str | None,
    credential: dict[str, Any] | None = None,
) -> tuple[int, int]:
    """Bring the workspace's record of one credential's networks in line with the cloud.
    Returns (networks newly discovered, networks gone)."""
    provider = provider_of(deps, provider_name)
    if credential is None:
        credential = await secret(
            deps, workspace_id, credential_id, "discover networks", credential_id
        )
    scope = _scope_region(provider_name, region, credential)
    listed = await provider.list_vpcs(credential, scope)
    workspace = uuid.UUID(workspace_id)
    found, gone = 0, 0
    async with deps.uow() as uow:
        await uow.lock_plan(workspace)
        rows = await uow.vpcs.search(
            workspace, Filter(provider=provider_name, credential_id=uuid.UUID(credential_id))
        )
        ours = {str(r.id) for r in rows}
        by_cloud_id = {r.cloud_id: r for r in rows if r.cloud_id}
        seen: set[str] = set()
        for cloud in listed:
            seen.add(cloud.cloud_id)
            if cloud.owner in ours:
                continue  # SkyClust's own; its saga keeps it current
            row = by_cloud_id.get(cloud.cloud_id)
            if row is not None:
                _refresh_row(row, cloud)
                continue
            row = Vpc(
                id=uuid.uuid4(),
                workspace_id=workspace,
                provider=provider_name,
                credential_id=uuid.UUID(credential_id),
                name=cloud.name[:100],
                region=cloud.region or GCP_GLOBAL,
                cidr_block=None,
                resource_group=cloud.resource_group,
                managed=False,
                status=Status.READY,
                cloud_id=cloud.cloud_id,
                tags={},
            )
            _refresh_row(row, cloud)
            uow.vpcs.add(row)
            await uow.flush()
            uow.emit(
                resource_event(
                    "VpcDiscovered",
                    row,
                    {
                        "credential_id": credential_id,
                        "region": row.region,
                        "cidr": row.cidr_block,
                        "address_space": list(row.address_space),
                        "cloud_id": cloud.cloud_id,
                    },
                )
            )
            found += 1
        for row in rows:
            in_scope = scope is None or row.region == scope
            if row.managed or not in_scope or row.cloud_id in seen:
                continue
            row.status = Status.DELETED
            uow.emit(
                resource_event(
                    "VpcVanished",
                    row,
                    {"credential_id": credential_id, "cloud_id": row.cloud_id},
                )
            )
            gone += 1
        await uow.commit()
    return found, gone


async def discover_networks(
    deps: NetworkDeps, req: DiscoverNetworks.Request, ctx: RpcContext
) -> dict[str, Any]:
    workspace_id, provider = str(req.workspace_id), req.provider
    credential_id = str(req.credential_id)
    provider_of(deps, provider)
    credential = await check_credential(deps, workspace_id, credential_id, provider)
    region = req.region or credential.get("masked", {}).get("region")
    found, gone = await refresh(deps, workspace_id, provider, credential_id, region)
    async with deps.uow() as uow:
        scope = Filter(provider=provider, credential_id=req.credential_id)
        rows = await uow.vpcs.search(req.workspace_id, scope)
        items = await vpc_views(uow, rows)
    return {"items": items, "discovered": found, "vanished": gone}


async def discover_everything(deps: NetworkDeps) -> None:
    """One pass over every credential SkyClust knows of, in every region it uses."""
    scopes: dict[tuple[str, str, str], set[str | None]] = {}
    async with deps.uow() as uow:
        for known in await uow.credentials.all():
            key = (str(known.workspace_id), known.provider, str(known.credential_id))
            scopes.setdefault(key, set()).add(known.region)
        for ws_id, provider, cred_id, region in await uow.vpcs.discoverable_scopes():
            key = (str(ws_id), provider, str(cred_id))
            scopes.setdefault(key, set()).add(region if provider == "aws" else None)
    for (workspace, provider, credential_id), regions in scopes.items():
        if provider not in deps.providers:
            continue
        if provider == "aws":
            regions |= set(deps.discovery_aws_regions)
        else:
            regions = {None}
        try:
            credential = await secret(
                deps, workspace, credential_id, "discover networks", credential_id
            )
            for scope in sorted(regions, key=lambda r: r or ""):
                await refresh(deps, workspace, provider, credential_id, scope, credential)
        except NotFound:
            async with deps.uow() as uow:
                await uow.credentials.forget(uuid.UUID(credential_id))
                await uow.commit()
        except SkyclustError as exc:
            log.warning(
                "discovery failed",
                extra={"credential_id": credential_id, "code": exc.code, "error": exc.message},
            )
