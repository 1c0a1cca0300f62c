"""Workspaces and their members. The gateway has checked the caller's permission for
the workspace in their token; these handlers keep the rules that need the data
(the last admin stays, members leave themselves)."""

from __future__ import annotations

import uuid
from typing import Any

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import RpcContext

from ..domain.errors import (
    AlreadyMember,
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
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        rows = await uow.memberships.of_user(uuid.UUID(data["user_id"]))
        return {"items": [workspace_view(ws, m.role) for ws, m in rows]}


async def create_workspace(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        workspace = await uow.workspaces.add(data["name"])
        await uow.memberships.add(workspace.id, uuid.UUID(data["user_id"]), Role.ADMIN)
        uow.emit(
            _member_event(
                "WorkspaceCreated",
                {"name": workspace.name, "owner_id": data["user_id"]},
                workspace.id,
                data["user_id"],
            )
        )
        await uow.commit()
        return workspace_view(workspace, Role.ADMIN)


async def get_workspace(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        found = await uow.memberships.of(
            uuid.UUID(data["user_id"]), uuid.UUID(data["workspace_id"])
        )
        if found is None:
            raise _ws_not_found()
        count = await uow.memberships.count(found[0].id)
        return {**workspace_view(found[0], found[1].role), "member_count": count}


async def update_workspace(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        found = await uow.memberships.of(
            uuid.UUID(data["user_id"]), uuid.UUID(data["workspace_id"])
        )
        if found is None:
            raise _ws_not_found()
        workspace, membership = found
        workspace.name = data["name"]
        uow.emit(
            _member_event(
                "WorkspaceUpdated", {"name": workspace.name}, workspace.id, data["user_id"]
            )
        )
        await uow.commit()
        return workspace_view(workspace, membership.role)


async def list_members(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    limit, offset = int(data.get("limit", 50)), int(data.get("offset", 0))
    async with deps.uow() as uow:
        members = await uow.memberships.members(uuid.UUID(data["workspace_id"]))
        page = members[offset : offset + limit]
        return {"items": [_member_view(u, m) for u, m in page], "total": len(members)}


async def add_member(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    workspace_id = uuid.UUID(data["workspace_id"])
    email = normalize_email(data["email"])
    already = AlreadyMember("already a member")
    try:
        async with deps.uow() as uow:
            user = await uow.users.by_email(email)
            if user is None:
                raise UserNotFound("no SkyClust user with this email; they must sign up first")
            if await uow.memberships.of(user.id, workspace_id) is not None:
                raise already
            membership = await uow.memberships.add(workspace_id, user.id, data["role"])
            uow.emit(
                _member_event(
                    "MemberAdded",
                    {"user_id": str(user.id), "role": data["role"]},
                    workspace_id,
                    data["actor_id"],
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
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    workspace_id, user_id = uuid.UUID(data["workspace_id"]), uuid.UUID(data["user_id"])
    async with deps.uow() as uow:
        membership = await _member(uow, user_id, workspace_id)
        if membership.role == Role.ADMIN and data["role"] != Role.ADMIN:
            check_admins_remain(await uow.memberships.count(workspace_id, role=Role.ADMIN) - 1)
        if membership.role != data["role"]:
            old = membership.role
            membership.role = data["role"]
            uow.emit(
                _member_event(
                    "MemberRoleChanged",
                    {"user_id": str(user_id), "role": data["role"], "previous_role": old},
                    workspace_id,
                    data["actor_id"],
                )
            )
            # Tokens carry the role: end the member's sessions so the new role applies now.
            await revoke_sessions(uow, user_id, workspace_id, "role_changed", data["actor_id"])
        await uow.commit()
        user = await uow.users.get(user_id)
        assert user is not None
        return _member_view(user, membership)


async def remove_member(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    """Admins remove members; anyone may remove themselves (leave)."""
    workspace_id, user_id = uuid.UUID(data["workspace_id"]), uuid.UUID(data["user_id"])
    if data["actor_id"] != data["user_id"] and data["actor_role"] != Role.ADMIN:
        raise NotWorkspaceAdmin("only admins remove other members")
    async with deps.uow() as uow:
        membership = await _member(uow, user_id, workspace_id)
        if membership.role == Role.ADMIN:
            check_admins_remain(await uow.memberships.count(workspace_id, role=Role.ADMIN) - 1)
        await uow.memberships.remove(membership)
        await revoke_sessions(uow, user_id, workspace_id, "member_removed", data["actor_id"])
        uow.emit(
            _member_event(
                "MemberRemoved", {"user_id": str(user_id)}, workspace_id, data["actor_id"]
            )
        )
        await uow.commit()
    return {"removed": True}
