"""What routes depend on, as typed aliases: `Svc` (the owning services) and the caller
with a permission (`Reader`, `ClusterWriter`, ...), so a route's signature says what it
needs and nothing else."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from skyclust_common.messaging import Bus

from ..auth import Principal
from ..envelope import request_id_var
from ..errors import UserLoginRequired
from ..permissions import Permission, require
from ..read_cache import ReadCache, fresh_read_var


class Services:
    """Request/reply to the owning services, carrying the request id along. With a read
    cache, its hot reads may be answered from memory (see read_cache.py), and every other
    call for a workspace drops that workspace's cached answers."""

    def __init__(self, bus: Bus, cache: ReadCache | None = None) -> None:
        self.bus = bus
        self.cache = cache

    async def call(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        cache = self.cache
        if cache is None:
            return await self._ask(service, name, data)
        if cache.cacheable(service, name):
            return await cache.read(service, name, data, lambda: self._ask(service, name, data))
        workspace = data.get("workspace_id")
        try:
            return await self._ask(service, name, data)
        finally:
            # After the answer (or a failure, which may still have changed something):
            # a read sent before this call and answered after it is then not stored.
            if isinstance(workspace, str):
                cache.changed(workspace)

    async def _ask(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        headers = {"X-Request-ID": request_id_var.get()}
        return await self.bus.request(service, name, data, headers=headers)


# async: FastAPI runs a plain `def` dependency on its thread pool, a hand-off per request.
async def services(request: Request) -> Services:
    fresh_read_var.set("no-cache" in request.headers.get("cache-control", "").lower())
    svc: Services = request.app.state.services
    return svc


Svc = Annotated[Services, Depends(services)]


def caller(permission: Permission, *, allow_ticket: bool = False) -> require:
    """The caller, if allowed `permission`, counted against its workspace's rate limit
    (refused callers are not counted)."""
    return require(permission, allow_ticket=allow_ticket, rate_limited=True)


Reader = Annotated[Principal, Depends(caller(Permission.READ))]


async def user_reader(principal: Reader) -> Principal:
    """A reader that is a user: the routes on a user's account are not for API keys."""
    if principal.actor_type == "api_key":
        raise UserLoginRequired()
    return principal


UserReader = Annotated[Principal, Depends(user_reader)]
StreamReader = Annotated[Principal, Depends(caller(Permission.READ, allow_ticket=True))]
ClusterWriter = Annotated[Principal, Depends(caller(Permission.CLUSTERS_WRITE))]
KubeconfigReader = Annotated[Principal, Depends(caller(Permission.KUBECONFIG))]
NetworkWriter = Annotated[Principal, Depends(caller(Permission.NETWORKS_WRITE))]
CredentialManager = Annotated[Principal, Depends(caller(Permission.CREDENTIALS_MANAGE))]
MemberManager = Annotated[Principal, Depends(caller(Permission.MEMBERS_MANAGE))]
WorkspaceManager = Annotated[Principal, Depends(caller(Permission.WORKSPACE_MANAGE))]
AuditReader = Annotated[Principal, Depends(caller(Permission.AUDIT_READ))]
NotificationManager = Annotated[Principal, Depends(caller(Permission.NOTIFICATIONS_MANAGE))]
