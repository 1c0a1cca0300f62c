"""Workspaces and members on the in-memory unit of work: the last admin stays, a role
change or a removal ends the member's sessions, members may leave."""

from __future__ import annotations

from typing import Any

import pytest

from skyclust_common.messages.rpc import (
    AddMember,
    CheckSession,
    GetWorkspace,
    ListMembers,
    ListWorkspaces,
    RemoveMember,
    SwitchWorkspace,
    UpdateMember,
)
from skyclust_identity.domain.errors import (
    AlreadyMember,
    LastAdmin,
    MemberNotFound,
    NotWorkspaceAdmin,
    UserNotFound,
)
from skyclust_identity.handlers import sessions, workspaces

from .fakes import Identity

pytestmark = pytest.mark.unit


async def team(identity: Identity) -> tuple[str, str, str]:
    """A workspace, its admin and a second member with the user role: their ids."""
    admin = await identity.register("admin@example.com")
    member = await identity.register("member@example.com")
    ws, admin_id = admin["workspace"]["id"], admin["user"]["id"]
    await workspaces.add_member(
        identity.deps,
        AddMember.request(
            {
                "workspace_id": ws,
                "email": "member@example.com",
                "role": "user",
                "actor_id": admin_id,
            }
        ),
    )
    return ws, admin_id, member["user"]["id"]


def change(ws: str, user_id: str, role: str, actor: str) -> dict[str, Any]:
    return {"workspace_id": ws, "user_id": user_id, "role": role, "actor_id": actor}


async def test_members_are_added_once_and_must_have_signed_up() -> None:
    identity = Identity()
    ws, admin_id, member_id = await team(identity)
    listed = await workspaces.list_members(identity.deps, ListMembers.request({"workspace_id": ws}))
    assert [(m["email"], m["role"]) for m in listed["items"]] == [
        ("admin@example.com", "admin"),
        ("member@example.com", "user"),
    ]
    assert listed["total"] == 2
    body = {"workspace_id": ws, "email": "member@example.com", "role": "user", "actor_id": admin_id}
    with pytest.raises(AlreadyMember):
        await workspaces.add_member(identity.deps, AddMember.request(body))
    with pytest.raises(UserNotFound):
        await workspaces.add_member(
            identity.deps, AddMember.request({**body, "email": "stranger@example.com"})
        )
    got = await workspaces.get_workspace(
        identity.deps, GetWorkspace.request({"user_id": member_id, "workspace_id": ws})
    )
    assert (got["role"], got["member_count"]) == ("user", 2)


async def test_a_role_change_ends_the_members_sessions_so_the_new_role_applies() -> None:
    identity = Identity()
    ws, admin_id, member_id = await team(identity)
    await sessions.switch_workspace(
        identity.deps, SwitchWorkspace.request({"user_id": member_id, "workspace_id": ws})
    )
    changed = await workspaces.update_member(
        identity.deps, UpdateMember.request(change(ws, member_id, "viewer", admin_id))
    )
    assert changed["role"] == "viewer"
    [event] = identity.events("MemberRoleChanged")
    assert (event["role"], event["previous_role"]) == ("viewer", "user")
    [revoked] = identity.events("SessionsRevoked")
    assert (revoked["user_id"], revoked["reason"]) == (member_id, "role_changed")
    assert len(revoked["session_ids"]) == 1
    assert await sessions.check_session(
        identity.deps, CheckSession.request({"session_id": revoked["session_ids"][0]})
    ) == {"live": False}
    # Setting the role it has changes nothing and ends nothing.
    await workspaces.update_member(
        identity.deps, UpdateMember.request(change(ws, member_id, "viewer", admin_id))
    )
    assert len(identity.events("MemberRoleChanged")) == 1
    assert len(identity.events("SessionsRevoked")) == 1


async def test_the_last_admin_can_be_neither_demoted_nor_removed() -> None:
    identity = Identity()
    ws, admin_id, member_id = await team(identity)
    with pytest.raises(LastAdmin) as info:
        await workspaces.update_member(
            identity.deps, UpdateMember.request(change(ws, admin_id, "user", admin_id))
        )
    assert info.value.status == 409
    leave = {"workspace_id": ws, "user_id": admin_id, "actor_id": admin_id, "actor_role": "admin"}
    with pytest.raises(LastAdmin):
        await workspaces.remove_member(identity.deps, RemoveMember.request(leave))
    await workspaces.update_member(
        identity.deps, UpdateMember.request(change(ws, member_id, "admin", admin_id))
    )
    demoted = await workspaces.update_member(
        identity.deps, UpdateMember.request(change(ws, admin_id, "user", admin_id))
    )
    assert demoted["role"] == "user"


async def test_admins_remove_members_and_anyone_may_leave() -> None:
    identity = Identity()
    ws, admin_id, member_id = await team(identity)
    other = await identity.register("other@example.com")
    other_id = other["user"]["id"]
    await workspaces.add_member(
        identity.deps,
        AddMember.request(
            {"workspace_id": ws, "email": "other@example.com", "role": "user", "actor_id": admin_id}
        ),
    )
    by_member = {"workspace_id": ws, "user_id": other_id, "actor_id": member_id}
    with pytest.raises(NotWorkspaceAdmin) as info:
        await workspaces.remove_member(
            identity.deps, RemoveMember.request({**by_member, "actor_role": "user"})
        )
    assert (info.value.code, info.value.status) == ("FORBIDDEN", 403)
    leave = {"workspace_id": ws, "user_id": member_id, "actor_id": member_id, "actor_role": "user"}
    assert await workspaces.remove_member(identity.deps, RemoveMember.request(leave)) == {
        "removed": True
    }
    kick = {"workspace_id": ws, "user_id": other_id, "actor_id": admin_id, "actor_role": "admin"}
    assert await workspaces.remove_member(identity.deps, RemoveMember.request(kick)) == {
        "removed": True
    }
    assert [e["user_id"] for e in identity.events("MemberRemoved")] == [member_id, other_id]
    with pytest.raises(MemberNotFound):
        await workspaces.remove_member(identity.deps, RemoveMember.request(kick))
    listed = await workspaces.list_workspaces(
        identity.deps, ListWorkspaces.request({"user_id": member_id})
    )
    assert [w["name"] for w in listed["items"]] == ["w"]  # only their own workspace is left
