"""Email channels whose recipients are chosen by role ("the admins of the workspace"):
the addresses are identity's members with those roles when each event is handled, so a
member who joins or changes role is counted from the next event; an address both listed
and chosen by role is mailed once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from skyclust_common.errors import ServiceUnavailable, ValidationFailed
from skyclust_notification.domain.errors import ChannelTypeMismatch
from skyclust_notification.domain.model import Member
from skyclust_notification.handlers import rules, webhooks
from skyclust_notification.handlers import webhook_delivery as sending

from .test_channels_and_rules import FakeMailer, rows, wired, ws

pytestmark = pytest.mark.unit


def staffed(world: Any, deps: Any, members: list[Member]) -> list[str]:
    """Identity answers with `members` (changeable in place); the workspaces it was
    asked about, in order."""
    asked: list[str] = []

    async def lookup(workspace_id: str) -> list[Member]:
        asked.append(workspace_id)
        return list(members) if workspace_id == world.workspace_id else []

    deps.members = lookup
    return asked


async def by_role(deps: Any, world: Any, *roles: str, addresses: tuple[str, ...] = ()) -> Any:
    made = await webhooks.create_channel(
        deps,
        ws(world),
        name="admins",
        type="email",
        recipients=list(addresses) or None,
        recipient_roles=list(roles),
        event_types=["ClusterFailed"],
    )
    return made["channel"]


async def test_the_admins_of_the_moment_are_mailed_each_event(world, deliver):
    mailer = FakeMailer()
    deps = wired(world, mailer)
    members = list(world.members)
    staffed(world, deps, members)
    view = await by_role(deps, world, "admin")
    assert (view["recipients"], view["recipient_roles"]) == ([], ["admin"])
    first = world.cluster_failed()
    await webhooks.on_platform_event(deps, first, deliver(first))
    await sending.deliver_due(deps)
    assert [m.to for m in mailer.sent] == [world.admin.email]
    # A second admin joins, and the user is made admin: both are mailed from the next event.
    members.append(Member(uuid.uuid4(), "admin", "new@x.io", "N"))
    members[1] = Member(world.user.user_id, "admin", world.user.email, "U")
    second = world.cluster_failed()
    await webhooks.on_platform_event(deps, second, deliver(second))
    await sending.deliver_due(deps)
    to_second = sorted(d.recipient for d in rows(world, "deliveries") if d.event_id == second.id)
    assert to_second == sorted([world.admin.email, world.user.email, "new@x.io"])
    # The viewer is never an admin's recipient; the first event stays as it was sent.
    assert world.viewer.email not in {m.to for m in mailer.sent}
    assert [d.recipient for d in rows(world, "deliveries") if d.event_id == first.id] == [
        world.admin.email
    ]


async def test_an_address_listed_and_chosen_by_role_is_mailed_once(world, deliver):
    mailer = FakeMailer()
    deps = wired(world, mailer)
    staffed(world, deps, list(world.members))
    await by_role(deps, world, "admin", "viewer", addresses=(world.admin.email, "ops@x.io"))
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    await webhooks.on_platform_event(deps, event, deliver(event, attempt=2))
    await sending.deliver_due(deps)
    assert sorted(m.to for m in mailer.sent) == sorted(
        [world.admin.email, "ops@x.io", world.viewer.email]
    )


async def test_a_rule_routes_to_a_role_channel_and_a_member_without_address_is_skipped(
    world, deliver
):
    mailer = FakeMailer()
    deps = wired(world, mailer)
    staffed(world, deps, [*world.members, Member(uuid.uuid4(), "admin", "", "no mail")])
    made = await webhooks.create_channel(
        deps, ws(world), name="admins", type="email", recipient_roles=["admin"]
    )
    await rules.create_rule(
        deps,
        ws(world),
        name="failures",
        event_types=["ClusterFailed"],
        channel_ids=[uuid.UUID(made["channel"]["id"])],
    )
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    await sending.deliver_due(deps)
    assert [m.to for m in mailer.sent] == [world.admin.email]


async def test_identity_failing_leaves_the_event_to_be_delivered_again(world, deliver):
    mailer = FakeMailer()
    deps = wired(world, mailer)
    await by_role(deps, world, "admin")
    down = True

    async def lookup(workspace_id: str) -> list[Member]:
        if down:
            raise ServiceUnavailable("identity did not answer")
        return list(world.members)

    deps.members = lookup
    event = world.cluster_failed()
    with pytest.raises(ServiceUnavailable):
        await webhooks.on_platform_event(deps, event, deliver(event))
    assert rows(world, "deliveries") == []
    down = False
    await webhooks.on_platform_event(deps, event, deliver(event, attempt=2))
    assert [d.recipient for d in rows(world, "deliveries")] == [world.admin.email]


async def test_identity_is_not_asked_when_no_channel_mails_by_role(world, deliver):
    deps = wired(world)
    asked = staffed(world, deps, list(world.members))
    await webhooks.create_channel(
        deps, ws(world), name="m", type="email", recipients=["ops@x.io"], event_types=["*"]
    )
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    assert asked == [] and len(rows(world, "deliveries")) == 1


async def test_roles_are_validated_and_an_email_channel_must_mail_someone(world):
    deps = wired(world)
    staffed(world, deps, list(world.members))
    with pytest.raises(ValidationFailed):
        await webhooks.create_channel(deps, ws(world), name="m", type="email")
    with pytest.raises(ValidationFailed) as bad:
        await webhooks.create_channel(
            deps, ws(world), name="m", type="email", recipient_roles=["owner"]
        )
    assert bad.value.details["invalid"] == ["owner"]
    with pytest.raises(ChannelTypeMismatch):
        await webhooks.create_channel(
            deps, ws(world), name="w", url="http://127.0.0.1/x", recipient_roles=["admin"]
        )
    view = await by_role(deps, world, "admin", addresses=("ops@x.io",))
    channel_id = uuid.UUID(view["id"])
    cleared = await webhooks.update_channel(deps, ws(world), channel_id, recipients=[])
    assert (cleared["channel"]["recipients"], cleared["channel"]["recipient_roles"]) == (
        [],
        ["admin"],
    )
    with pytest.raises(ValidationFailed):
        # Would leave the channel mailing no one.
        await webhooks.update_channel(deps, ws(world), channel_id, recipient_roles=[])
    both = await webhooks.update_channel(
        deps, ws(world), channel_id, recipients=["a@x.io"], recipient_roles=[]
    )
    assert (both["channel"]["recipients"], both["channel"]["recipient_roles"]) == (["a@x.io"], [])


async def test_a_test_mail_of_a_role_channel_goes_to_its_first_member(world):
    mailer = FakeMailer()
    deps = wired(world, mailer)
    members = list(world.members)
    staffed(world, deps, members)
    view = await by_role(deps, world, "admin")
    sent = await sending.test_channel(deps, ws(world), uuid.UUID(view["id"]))
    assert sent["delivery"]["recipient"] == world.admin.email
    assert [m.to for m in mailer.sent] == [world.admin.email]
    members[0] = Member(world.admin.user_id, "user", world.admin.email, "A")
    with pytest.raises(ChannelTypeMismatch):
        await sending.test_channel(deps, ws(world), uuid.UUID(view["id"]))
