"""Workspaces and their members. The gateway has checked the caller's permission for
the workspace in their token; these handlers keep the rules that need the data
(the last admin stays, members leave themselves)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from skyclust_common.errors import Conflict, Forbidden, NotFound
from skyclust_common.messaging import RpcContext

from ..adapters.db import Membership, User, Users, Workspace
from ..domain.model import Role, check_admins_remain, normalize_email
from .auth import IdentityDeps, _event, revoke_sessions, workspace_view


def _member_view(user: User, membership: Membership) -> dict[str, Any]:
    return {
        "user_id": str(user.id),
        "email": user.email,
        "name": user.name,
        "role": membership.role,
        "joined_at": membership.created_at.isoformat(),
    }


def _ws_not_found() -> NotFound:
    return NotFound("workspace not found", code="WORKSPACE_NOT_FOUND")


async def list_workspaces(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        rows = await uow.session.execute(
            select(Workspace, Membership)
            .join(Membership, Membership.workspace_id == Workspace.id)
            .where(Membership.user_id == uuid.UUID(data["user_id"]))
            .order_by(Membership.created_at)
        )
        return {"items": [workspace_view(ws, m.role) for ws, m in rows]}


async def create_workspace(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        user_id = uuid.UUID(data["user_id"])
        workspace = Workspace(id=uuid.uuid4(), name=data["name"])
        uow.session.add(workspace)
        await uow.session.flush()
        uow.session.add(Membership(workspace_id=workspace.id, user_id=user_id, role=Role.ADMIN))
        ws = str(workspace.id)
        uow.emit(
            _event(
                "WorkspaceCreated",
                {"workspace_id": ws, "name": workspace.name, "owner_id": data["user_id"]},
                subject=ws,
                workspace_id=ws,
                actor=data["user_id"],
            )
        )
        await uow.commit()
        return workspace_view(workspace, Role.ADMIN)


async def get_workspace(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        found = await Users(uow.session).membership(
            uuid.UUID(data["user_id"]), uuid.UUID(data["workspace_id"])
        )
        if found is None:
            raise _ws_not_found()
        count = await uow.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.workspace_id == found[0].id)
        )
        return {**workspace_view(found[0], found[1].role), "member_count": int(count or 0)}


async def update_workspace(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        found = await Users(uow.session).membership(
            uuid.UUID(data["user_id"]), uuid.UUID(data["workspace_id"])
        )
        if found is None:
            raise _ws_not_found()
        workspace, membership = found
        workspace.name = data["name"]
        uow.emit(
            _event(
                "WorkspaceUpdated",
                {"workspace_id": str(workspace.id), "name": workspace.name},
                subject=str(workspace.id),
                workspace_id=str(workspace.id),
                actor=data["user_id"],
            )
        )
        await uow.commit()
        return workspace_view(workspace, membership.role)


async def _members(uow: Any, workspace_id: uuid.UUID) -> list[tuple[User, Membership]]:
    rows = await uow.session.execute(
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id)
        .order_by(Membership.created_at)
    )
    return [(u, m) for u, m in rows]


async def list_members(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    limit, offset = int(data.get("limit", 50)), int(data.get("offset", 0))
    async with deps.uow() as uow:
        members = await _members(uow, uuid.UUID(data["workspace_id"]))
        page = members[offset : offset + limit]
        return {"items": [_member_view(u, m) for u, m in page], "total": len(members)}


async def add_member(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    workspace_id = uuid.UUID(data["workspace_id"])
    email = normalize_email(data["email"])
    async with deps.uow() as uow:
        user = await Users(uow.session).by_email(email)
        if user is None:
            raise NotFound(
                "no SkyClust user with this email; they must sign up first",
                code="USER_NOT_FOUND",
            )
        if await Users(uow.session).membership(user.id, workspace_id) is not None:
            raise Conflict("already a member", code="ALREADY_MEMBER")
        membership = Membership(workspace_id=workspace_id, user_id=user.id, role=data["role"])
        uow.session.add(membership)
        uow.emit(
            _event(
                "MemberAdded",
                {"workspace_id": str(workspace_id), "user_id": str(user.id), "role": data["role"]},
                subject=str(user.id),
                workspace_id=str(workspace_id),
                actor=data["actor_id"],
            )
        )
        try:
            await uow.commit()
        except IntegrityError:
            raise Conflict("already a member", code="ALREADY_MEMBER") from None
        await uow.session.refresh(membership)
        return _member_view(user, membership)


async def _admins(uow: Any, workspace_id: uuid.UUID) -> int:
    count = await uow.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.workspace_id == workspace_id, Membership.role == Role.ADMIN)
    )
    return int(count or 0)


async def update_member(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    workspace_id, user_id = uuid.UUID(data["workspace_id"]), uuid.UUID(data["user_id"])
    async with deps.uow() as uow:
        found = await Users(uow.session).membership(user_id, workspace_id)
        if found is None:
            raise NotFound("member not found", code="MEMBER_NOT_FOUND")
        _, membership = found
        # Locks the workspace's admin rows so two demotions cannot both pass the check.
        await uow.session.execute(
            select(Membership)
            .where(Membership.workspace_id == workspace_id, Membership.role == Role.ADMIN)
            .with_for_update()
        )
        if membership.role == Role.ADMIN and data["role"] != Role.ADMIN:
            check_admins_remain(await _admins(uow, workspace_id) - 1)
        if membership.role != data["role"]:
            old = membership.role
            membership.role = data["role"]
            uow.emit(
                _event(
                    "MemberRoleChanged",
                    {
                        "workspace_id": str(workspace_id),
                        "user_id": str(user_id),
                        "role": data["role"],
                        "previous_role": old,
                    },
                    subject=str(user_id),
                    workspace_id=str(workspace_id),
                    actor=data["actor_id"],
                )
            )
            # Tokens carry the role: end the member's sessions so the new role applies now.
            await revoke_sessions(uow, user_id, workspace_id, "role_changed", data["actor_id"])
        await uow.commit()
        user = await Users(uow.session).get(user_id)
        assert user is not None
        return _member_view(user, membership)


async def remove_member(
    deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext | None = None
) -> dict[str, Any]:
    """Admins remove members; anyone may remove themselves (leave)."""
    workspace_id, user_id = uuid.UUID(data["workspace_id"]), uuid.UUID(data["user_id"])
    if data["actor_id"] != data["user_id"] and data["actor_role"] != Role.ADMIN:
        raise Forbidden("only admins remove other members", code="FORBIDDEN")
    async with deps.uow() as uow:
        found = await Users(uow.session).membership(user_id, workspace_id)
        if found is None:
            raise NotFound("member not found", code="MEMBER_NOT_FOUND")
        _, membership = found
        await uow.session.execute(
            select(Membership)
            .where(Membership.workspace_id == workspace_id, Membership.role == Role.ADMIN)
            .with_for_update()
        )
        if membership.role == Role.ADMIN:
            check_admins_remain(await _admins(uow, workspace_id) - 1)
        await uow.session.delete(membership)
        await revoke_sessions(uow, user_id, workspace_id, "member_removed", data["actor_id"])
        uow.emit(
            _event(
                "MemberRemoved",
                {"workspace_id": str(workspace_id), "user_id": str(user_id)},
                subject=str(user_id),
                workspace_id=str(workspace_id),
                actor=data["actor_id"],
            )
        )
        await uow.commit()
    return {"removed": True}
