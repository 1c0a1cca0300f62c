"""Workspaces and members. Routes act on the workspace of the caller's token: another
workspace id is 404 (switch workspace first), so a role always means this workspace."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from ..auth import Principal
from ..envelope import ok
from ..errors import UserLoginRequired, WorkspaceNotFound
from ..paging import NamedList, paged
from .deps import MemberManager, Reader, Svc, UserReader, WorkspaceManager
from .models import MemberBody, MemberUpdateBody, WorkspaceBody

router = APIRouter(prefix="/api/v1/workspaces", tags=["workspaces"])


def _same(principal: Principal, workspace_id: uuid.UUID) -> None:
    if str(workspace_id) != principal.workspace_id:
        raise WorkspaceNotFound()


@router.get("")
async def list_workspaces(principal: UserReader, svc: Svc, query: NamedList) -> JSONResponse:
    """The workspaces the caller belongs to, with their role in each."""
    result = await svc.call("identity", "ListWorkspaces", {"user_id": principal.user_id})
    return paged(result["items"], query)


@router.post("", status_code=201)
async def create_workspace(
    body: WorkspaceBody,
    principal: UserReader,
    svc: Svc,
) -> JSONResponse:
    """Anyone may start a workspace of their own (they become its admin)."""
    result = await svc.call(
        "identity", "CreateWorkspace", {"user_id": principal.user_id, "name": body.name}
    )
    return ok(result, 201)


@router.get("/{workspace_id}")
async def get_workspace(
    workspace_id: uuid.UUID,
    principal: UserReader,
    svc: Svc,
) -> JSONResponse:
    """The caller's current workspace; another id answers 404 (switch to it first)."""
    _same(principal, workspace_id)
    result = await svc.call(
        "identity",
        "GetWorkspace",
        {"user_id": principal.user_id, "workspace_id": str(workspace_id)},
    )
    return ok(result)


@router.patch("/{workspace_id}")
async def update_workspace(
    workspace_id: uuid.UUID,
    body: WorkspaceBody,
    principal: WorkspaceManager,
    svc: Svc,
) -> JSONResponse:
    """Rename the caller's current workspace."""
    _same(principal, workspace_id)
    if principal.actor_type == "api_key":
        raise UserLoginRequired()
    result = await svc.call(
        "identity",
        "UpdateWorkspace",
        {"user_id": principal.user_id, "workspace_id": str(workspace_id), "name": body.name},
    )
    return ok(result)


@router.get("/{workspace_id}/members")
async def list_members(
    workspace_id: uuid.UUID,
    principal: Reader,
    svc: Svc,
    limit: int = Query(50, ge=1, le=100),
    offset: int = Query(0, ge=0),
) -> JSONResponse:
    """The workspace's members with their roles (`limit`, `offset`)."""
    _same(principal, workspace_id)
    result = await svc.call(
        "identity",
        "ListMembers",
        {"workspace_id": str(workspace_id), "limit": limit, "offset": offset},
    )
    return ok(result["items"], message=f"{result['total']} members")


@router.post("/{workspace_id}/members", status_code=201)
async def add_member(
    workspace_id: uuid.UUID,
    body: MemberBody,
    principal: MemberManager,
    svc: Svc,
) -> JSONResponse:
    """Add an existing, verified user to the workspace by email, with a role."""
    _same(principal, workspace_id)
    result = await svc.call(
        "identity",
        "AddMember",
        {
            "workspace_id": str(workspace_id),
            "actor_id": principal.actor_id,
            "email": body.email,
            "role": body.role.value,
        },
    )
    return ok(result, 201)


@router.patch("/{workspace_id}/members/{user_id}")
async def update_member(
    workspace_id: uuid.UUID,
    user_id: uuid.UUID,
    body: MemberUpdateBody,
    principal: MemberManager,
    svc: Svc,
) -> JSONResponse:
    """Change a member's role; their sessions end at once. The last admin cannot be
    downgraded."""
    _same(principal, workspace_id)
    result = await svc.call(
        "identity",
        "UpdateMember",
        {
            "workspace_id": str(workspace_id),
            "actor_id": principal.actor_id,
            "user_id": str(user_id),
            "role": body.role.value,
        },
    )
    return ok(result)


@router.delete("/{workspace_id}/members/{user_id}")
async def remove_member(
    workspace_id: uuid.UUID,
    user_id: uuid.UUID,
    request: Request,
    principal: Reader,
    svc: Svc,
) -> JSONResponse:
    """Admins remove members; any member may remove themselves (leave). The last admin
    can do neither."""
    _same(principal, workspace_id)
    result = await svc.call(
        "identity",
        "RemoveMember",
        {
            "workspace_id": str(workspace_id),
            "actor_id": principal.actor_id,
            "actor_role": principal.role,
            "user_id": str(user_id),
        },
    )
    return ok(result)
