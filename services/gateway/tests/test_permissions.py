"""Every route declares its permission, and docs/permissions.md says what the code does."""

from __future__ import annotations

from pathlib import Path

import pytest

from skyclust_gateway import permission_docs
from skyclust_gateway.app import create_app
from skyclust_gateway.permission_docs import route_table
from skyclust_gateway.permissions import ROLE_PERMISSIONS, Permission, Role, allowed
from skyclust_gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit
DOC = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"


def app():
    return create_app(GatewaySettings(nats_url="nats://127.0.0.1:1"))


def test_every_route_declares_a_permission():
    table = route_table(app())
    assert len(table) > 20
    assert [(m, p) for m, p, declared in table if declared is None] == []


def test_a_route_without_a_permission_is_caught():
    from fastapi import APIRouter

    bare = app()
    router = APIRouter()

    @router.get("/api/v1/forgotten")
    async def forgotten() -> dict[str, str]:
        return {}

    bare.include_router(router)
    assert ("GET", "/api/v1/forgotten", None) in route_table(bare)


def test_the_permissions_page_is_generated_from_the_code():
    assert DOC.read_text() == permission_docs.markdown(app())


def test_role_matrix():
    assert allowed("viewer", Permission.READ)
    assert not allowed("viewer", Permission.CLUSTERS_WRITE)
    assert allowed("user", Permission.CLUSTERS_WRITE)
    assert allowed("user", Permission.NETWORKS_WRITE)
    assert not allowed("user", Permission.CREDENTIALS_MANAGE)
    assert not allowed("user", Permission.AUDIT_READ)
    assert ROLE_PERMISSIONS[Role.ADMIN] == frozenset(Permission)
    assert not allowed("owner", Permission.READ)
