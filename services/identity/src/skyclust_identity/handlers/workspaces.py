"""Workspaces and their members. The gateway has checked the caller's permission for
the workspace in their token; these handlers keep the rules that need the data
(the last admin stays, members leave themselves)."""

from __future__ import annotations

import uuid
from typing import Any

from skyclust_common.envelope import CloudEvent
from skyclust_common.messages.rpc import (
    AddMember,
    CreateWorkspace,
    GetWorkspace,
    ListMembers,
    ListWorkspaces,
    RemoveMember,
    UpdateMember,
    UpdateWorkspace,
)
from skyclust_common.messaging import RpcContext

from ..domain.errors import (
    AlreadyMember,
    EmailUnverified,
    MemberNotFound,
    NotWorkspaceAdmin,
    UserNotFound,
    WorkspaceNotFound,
)
from ..domain.model import Role, check_admins_remain, normalize_email
from ..domain.ports import DuplicateKey, IdentityUow, MembershipRecord, UserRecord
from .base import IdentityDeps, identity_event, workspace_view
from .sessions import revoke_sessions


def _member_view(user: UserRecord, membership: MembershipRecord) -> dict[str, Any]:
    return {
        "user_id": str(user.id),
        "email": user.email,
        "name": user.name,
        "role": membership.role,
        "joined_at": membership.created_at.isoformat(),
    }


def _ws_not_found() -> WorkspaceNotFound:
    return WorkspaceNotFound("workspace not found")


def _member_event(
    name: str, data: dict[str, Any], workspace_id: uuid.UUID, actor: str
) -> CloudEvent:
    return identity_event(
        name,
        {"workspace_id": str(workspace_id), **data},
        subject=str(data.get("user_id", workspace_id)),
        workspace_id=str(workspace_id),
        actor=actor,
    )


async def list_workspaces(
    deps: IdentityDeps, req: ListWorkspaces.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        rows = await uow.memberships.of_user(req.user_id)
        return {"items": [workspace_view(ws, m.role) for ws, m in rows]}


async def create_workspace(
    deps: IdentityDeps, req: CreateWorkspace.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    owner = str(req.user_id)
    async with deps.uow() as uow:
        workspace = await uow.workspaces.add(req.name)
        await uow.memberships.add(workspace.id, req.user_id, Role.ADMIN)
        uow.emit(
            _member_event(
                "WorkspaceCreated", {"name": workspace.name, "owner_id": owner}, workspace.id, owner
            )
        )
        await uow.commit()
        return workspace_view(workspace, Role.ADMIN)


async def get_workspace(
    deps: IdentityDeps, req: GetWorkspace.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        found = await uow.memberships.of(req.user_id, req.workspace_id)
        if found is None:
            raise _ws_not_found()
        count = await uow.memberships.count(found[0].id)
        return {**workspace_view(found[0], found[1].role), "member_count": count}


async def update_workspace(
    deps: IdentityDeps, req: UpdateWorkspace.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        found = await uow.memberships.of(req.user_id, req.workspace_id)
        if found is None:
            raise _ws_not_found()
        workspace, membership = found
        workspace.name = req.name
        uow.emit(
            _member_event(
                "WorkspaceUpdated", {"name": workspace.name}, workspace.id, str(req.user_id)
            )
        )
        await uow.commit()
        return workspace_view(workspace, membership.role)


async def list_members(
    deps: IdentityDeps, req: ListMembers.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    limit, offset = req.limit or 50, req.offset or 0
    async with deps.uow() as uow:
        members = await uow.memberships.members(req.workspace_id)
        page = members[offset : offset + limit]
        return {"items": [_member_view(u, m) for u, m in page], "total": len(members)}


async def add_member(
    deps: IdentityDeps, req: AddMember.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    workspace_id = req.workspace_id
    email = normalize_email(req.email)
    already = AlreadyMember("already a member")
    try:
        async with deps.uow() as uow:
            user = await uow.users.by_email(email)
            if user is None:
                raise UserNotFound("no SkyClust user with this email; they must sign up first")
            if user.email_verified_at is None:
                # Else a sign-up with someone else's address would receive their invites.
                raise EmailUnverified("this user has not verified their email address yet")
            if await uow.memberships.of(user.id, workspace_id) is not None:
                raise already
            membership = await uow.memberships.add(workspace_id, user.id, req.role)
            uow.emit(
                _member_event(
                    "MemberAdded",
                    {"user_id": str(user.id), "role": req.role},
                    workspace_id,
                    req.actor_id,
                )
            )
            await uow.commit()
            return _member_view(user, membership)
    except DuplicateKey:
        raise already from None


async def _member(
    uow: IdentityUow, user_id: uuid.UUID, workspace_id: uuid.UUID
) -> MembershipRecord:
    """The membership to change, with the workspace's admins held until commit so that
    two demotions or removals cannot both pass the last-admin check."""
    found = await uow.memberships.of(user_id, workspace_id)
    if found is None:
        raise MemberNotFound("member not found")
    await uow.memberships.lock_admins(workspace_id)
    return found[1]


async def update_member(
    deps: IdentityDeps, req: UpdateMember.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    workspace_id, user_id = req.workspace_id, req.user_id
    async with deps.uow() as uow:
        membership = await _member(uow, user_id, workspace_id)
        if membership.role == Role.ADMIN and req.role != Role.ADMIN:
            check_admins_remain(await uow.memberships.count(workspace_id, role=Role.ADMIN) - 1)
        if membership.role != req.role:
            old = membership.role
            membership.role = req.role
            uow.emit(
                _member_event(
                    "MemberRoleChanged",
                    {"user_id": str(user_id), "role": req.role, "previous_role": old},
                    workspace_id,
                    req.actor_id,
                )
            )
            # Tokens carry the role: end the member's sessions so the new role applies now.
            await revoke_sessions(uow, user_id, workspace_id, "role_changed", req.actor_id)
        await uow.commit()
        user = await uow.users.get(user_id)
        assert user is not None
        return _member_view(user, membership)


async def remove_member(
    deps: IdentityDeps, req: RemoveMember.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    """Admins remove members; anyone may remove themselves (leave)."""
    workspace_id, user_id = req.workspace_id, req.user_id
    if req.actor_id != str(user_id) and req.actor_role != Role.ADMIN:
        raise NotWorkspaceAdmin("only admins remove other members")
    async with deps.uow() as uow:
        membership = await _member(uow, user_id, workspace_id)
        if membership.role == Role.ADMIN:
            check_admins_remain(await uow.memberships.count(workspace_id, role=Role.ADMIN) - 1)
        await uow.memberships.remove(membership)
        await revoke_sessions(uow, user_id, workspace_id, "member_removed", req.actor_id)
        uow.emit(
            _member_event("MemberRemoved", {"user_id": str(user_id)}, workspace_id, req.actor_id)
        )
        await uow.commit()
    return {"removed": True}
