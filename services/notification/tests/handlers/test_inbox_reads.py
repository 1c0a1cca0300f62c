"""Each user lists and marks their own inbox: newest first, keyset pages, unread."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from skyclust_common.messages.rpc import (
    ListNotifications,
    MarkAllNotificationsRead,
    MarkNotificationRead,
)
from skyclust_notification.domain.errors import InvalidNotificationCursor, NotificationNotFound
from skyclust_notification.handlers.inbox import (
    list_notifications,
    mark_all_read,
    mark_read,
    on_platform_event,
)

pytestmark = pytest.mark.unit


async def fill(world: Any, deliver: Any, count: int) -> list[str]:
    names = []
    for i in range(count):
        event = world.cluster_failed(name=f"c{i}")
        await on_platform_event(world.deps, event, deliver(event))
        names.append(f"Cluster c{i} could not be created")
        world.clock.tick()
    return names


def listing(world: Any, member: Any, **extra: Any) -> ListNotifications.Request:
    return ListNotifications.request(
        {"workspace_id": world.workspace_id, "user_id": str(member.user_id), **extra}
    )


async def test_pages_are_newest_first_and_join_without_gap_or_overlap(world, deliver):
    titles = await fill(world, deliver, 5)
    first = await list_notifications(world.deps, listing(world, world.admin, limit=2))
    assert [n["title"] for n in first["items"]] == titles[::-1][:2]
    assert first["unread_count"] == 5 and first["next_cursor"]
    seen = [n["title"] for n in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = await list_notifications(
            world.deps, listing(world, world.admin, limit=2, cursor=cursor)
        )
        seen += [n["title"] for n in page["items"]]
        cursor = page["next_cursor"]
    assert seen == titles[::-1]


async def test_a_user_sees_only_their_own_notifications(world, deliver):
    await fill(world, deliver, 2)
    mine = await list_notifications(world.deps, listing(world, world.user))
    assert mine == {"items": [], "next_cursor": None, "unread_count": 0}
    elsewhere = ListNotifications.request(
        {"workspace_id": str(uuid.uuid4()), "user_id": str(world.admin.user_id)}
    )
    assert (await list_notifications(world.deps, elsewhere))["items"] == []


async def test_reading_one_drops_the_unread_count_and_the_unread_filter_hides_it(world, deliver):
    await fill(world, deliver, 3)
    newest = (await list_notifications(world.deps, listing(world, world.admin)))["items"][0]
    request = MarkNotificationRead.request(
        {
            "workspace_id": world.workspace_id,
            "user_id": str(world.admin.user_id),
            "notification_id": newest["id"],
        }
    )
    read = await mark_read(world.deps, request)
    assert read["unread_count"] == 2
    assert read["notification"]["read_at"] == world.clock.now.isoformat()
    world.clock.tick(60)
    again = await mark_read(world.deps, request)
    assert again["notification"]["read_at"] == read["notification"]["read_at"]
    unread = await list_notifications(world.deps, listing(world, world.admin, unread=True))
    assert newest["id"] not in [n["id"] for n in unread["items"]]
    assert len(unread["items"]) == 2


async def test_another_users_notification_cannot_be_marked(world, deliver):
    await fill(world, deliver, 1)
    theirs = (await list_notifications(world.deps, listing(world, world.admin)))["items"][0]
    request = MarkNotificationRead.request(
        {
            "workspace_id": world.workspace_id,
            "user_id": str(world.user.user_id),
            "notification_id": theirs["id"],
        }
    )
    with pytest.raises(NotificationNotFound):
        await mark_read(world.deps, request)


async def test_read_all_marks_every_unread_one(world, deliver):
    await fill(world, deliver, 3)
    request = MarkAllNotificationsRead.request(
        {"workspace_id": world.workspace_id, "user_id": str(world.admin.user_id)}
    )
    assert await mark_all_read(world.deps, request) == {"marked": 3, "unread_count": 0}
    assert await mark_all_read(world.deps, request) == {"marked": 0, "unread_count": 0}


@pytest.mark.parametrize("cursor", ["nonsense", "bm90IGEgY3Vyc29y", "MjAyNi0xMi0wMXxub3Q"])
async def test_a_made_up_cursor_is_a_clear_error(world, cursor):
    with pytest.raises(InvalidNotificationCursor):
        await list_notifications(world.deps, listing(world, world.admin, cursor=cursor))
