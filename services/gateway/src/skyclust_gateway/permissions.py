"""Who may do what: the one permission matrix. Every route declares its permission with
`require(...)` (through the aliases in `routers.deps`) or `Depends(public)`; a test over
the route table fails for a route that declares neither. docs/permissions.md is
generated from this table by `permission_docs`."""

from __future__ import annotations

import enum

from fastapi import Request

from skyclust_common.errors import Forbidden

from .auth import STREAM_AUDIENCE, Principal, TokenVerifier, bearer, current_principal
from .rate_limits import workspace_rate_limit


class Role(enum.StrEnum):
    ADMIN = "admin"
    USER = "user"
    VIEWER = "viewer"


class Permission(enum.StrEnum):
    READ = "read"  # see the workspace's resources (masked credentials included)
    CLUSTERS_WRITE = "clusters:write"  # create, change, delete clusters and node groups
    KUBECONFIG = "clusters:kubeconfig"  # download a cluster's kubeconfig
    NETWORKS_WRITE = "networks:write"  # create, change, delete networks
    CREDENTIALS_MANAGE = "credentials:manage"  # create, rotate, delete credentials
    MEMBERS_MANAGE = "members:manage"  # add, change, remove members; API keys
    WORKSPACE_MANAGE = "workspace:manage"  # rename the workspace
    AUDIT_READ = "audit:read"  # read the audit log
    BUDGETS_MANAGE = "budgets:manage"
    NOTIFICATIONS_MANAGE = "notifications:manage"


_VIEWER = {Permission.READ}
_USER = _VIEWER | {Permission.CLUSTERS_WRITE, Permission.KUBECONFIG, Permission.NETWORKS_WRITE}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.USER: frozenset(_USER),
    Role.ADMIN: frozenset(Permission),
}


def allowed(role: str, permission: Permission) -> bool:
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


class require:
    """`allow_ticket`: a stream ticket in `?ticket=` is accepted instead of a bearer
    token (for EventSource clients, which cannot send headers). `rate_limited`: an
    allowed caller is counted against its workspace's rate limit (refused ones are not).

    One dependency for all of it: FastAPI's cost grows with each dependency a route has,
    and on a cached read it was a third of the gateway's CPU."""

    def __init__(
        self, permission: Permission, *, allow_ticket: bool = False, rate_limited: bool = False
    ) -> None:
        self.permission = permission
        self.allow_ticket = allow_ticket
        self.rate_limited = rate_limited

    async def __call__(self, request: Request) -> Principal:
        ticket = request.query_params.get("ticket")
        if self.allow_ticket and ticket and bearer(request) is None:
            verifier: TokenVerifier = request.app.state.verifier
            principal = await verifier.verify(ticket, audience=STREAM_AUDIENCE, typ="stream")
        else:
            principal = await current_principal(request)
        if not allowed(principal.role, self.permission):
            raise Forbidden(
                f"your role ({principal.role}) may not do this ({self.permission})",
                details={"required": self.permission.value},
            )
        request.state.principal = principal
        if self.rate_limited:
            await workspace_rate_limit(request, principal)
        return principal


async def public() -> None:
    """Marks a route that needs no token (sign-up, login, the JWKS)."""
