"""Who may do what: the one permission matrix. Every route declares its permission with
`Depends(require(...))` or `Depends(public)`; a test over the route table fails for a
route that declares neither. docs/permissions.md is generated from this table."""

from __future__ import annotations

import enum

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute

from skyclust_common.errors import Forbidden

from .auth import STREAM_AUDIENCE, Principal, TokenVerifier, bearer, current_principal


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
    token (for EventSource clients, which cannot send headers)."""

    def __init__(self, permission: Permission, *, allow_ticket: bool = False) -> None:
        self.permission = permission
        self.allow_ticket = allow_ticket

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
                code="FORBIDDEN",
                details={"required": self.permission.value},
            )
        request.state.principal = principal
        await request.app.state.limiter.hit(
            f"workspace:{principal.workspace_id}",
            request.app.state.settings.rate_limit_per_workspace_per_minute,
        )
        return principal


async def public() -> None:
    """Marks a route that needs no token (sign-up, login, the JWKS)."""


PUBLIC = "public"


def route_table(app: FastAPI) -> list[tuple[str, str, str | None]]:
    """(method, path, permission or "public" or None) for every API route; None means
    the route declares neither, which the tests refuse."""
    rows: list[tuple[str, str, str | None]] = []
    for included in app.router.routes:
        original = getattr(included, "original_router", None)
        routes = original.routes if original is not None else [included]
        for route in routes:
            if not isinstance(route, APIRoute):
                continue
            declared: str | None = None
            for dependency in _dependencies(route):
                if isinstance(dependency, require):
                    declared = dependency.permission.value
                elif dependency is public:
                    declared = PUBLIC
            for method in sorted(route.methods or ()):
                rows.append((method, route.path, declared))
    return sorted(rows, key=lambda row: (row[1], row[0]))


def _dependencies(route: APIRoute) -> list[object]:
    found: list[object] = []
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        found.append(dependant.call)
        stack.extend(dependant.dependencies)
    return found


def markdown(app: FastAPI) -> str:
    """docs/permissions.md, generated from ROLE_PERMISSIONS and the route table."""
    lines = [
        "# Permissions",
        "",
        "Generated from `skyclust_gateway/permissions.py` by",
        "`uv run python -m skyclust_gateway.permissions > docs/permissions.md`;",
        "a test fails when this page and the code differ.",
        "",
        "## Roles",
        "",
        "| permission | viewer | user | admin |",
        "|---|---|---|---|",
    ]
    for permission in Permission:
        marks = [
            "yes" if permission in ROLE_PERMISSIONS[role] else "-"
            for role in (Role.VIEWER, Role.USER, Role.ADMIN)
        ]
        lines.append(f"| `{permission.value}` | " + " | ".join(marks) + " |")
    lines += ["", "## Routes", "", "| method | path | permission |", "|---|---|---|"]
    for method, path, declared in route_table(app):
        lines.append(f"| {method} | `{path}` | `{declared}` |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    # Run as a script this file is `__main__`, a second copy: use the package's module,
    # whose `require` the routes were declared with.
    from skyclust_gateway import permissions
    from skyclust_gateway.app import create_app
    from skyclust_gateway.settings import GatewaySettings

    app = create_app(GatewaySettings(nats_url="nats://127.0.0.1:1"))
    print(permissions.markdown(app), end="")
