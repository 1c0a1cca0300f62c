"""docs/permissions.md, generated from the role matrix and the app's route table:
`uv run python -m skyclust_gateway.permission_docs > docs/permissions.md`. Kept out of
`permissions`, which the routers import: this module imports the app and its routers."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

from .app import create_app
from .permissions import ROLE_PERMISSIONS, Permission, Role, public, require
from .settings import GatewaySettings

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
    lines = [
        "# Permissions",
        "",
        "Generated from `skyclust_gateway/permissions.py` by",
        "`uv run python -m skyclust_gateway.permission_docs > docs/permissions.md`;",
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


def main() -> None:
    print(markdown(create_app(GatewaySettings(nats_url="nats://127.0.0.1:1"))), end="")


if __name__ == "__main__":
    main()
