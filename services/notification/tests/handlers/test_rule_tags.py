"""Rules that filter by tag, on the fake store: the resources' tags come from the events
that announce them (ClusterRequested, VpcUpdated, ...), and a rule with tags sends only
the events about resources (or their parts) that carry them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from skyclust_notification.domain.errors import InvalidRuleTags
from skyclust_notification.handlers import inbox, resource_tags, rules, webhooks

from .test_channels_and_rules import mail_channel, rows, wired, ws

pytestmark = pytest.mark.unit


def requested(world: Any, tags: dict[str, str], cluster_id: str | None = None) -> Any:
    return world.event(
        "ClusterRequested",
        {
            "cluster_id": cluster_id or str(uuid.uuid4()),
            "provider": "aws",
            "name": "prod",
            "version": "1.31",
            "region": "eu-west-1",
            "credential_id": str(uuid.uuid4()),
            "tags": tags,
            "aws_config": None,
        },
        source="provisioning",
    )


def failed(world: Any, cluster_id: str) -> Any:
    event = world.cluster_failed()
    event.data["cluster_id"] = cluster_id
    return event


async def announce(deps: Any, event: Any, deliver: Any) -> None:
    await resource_tags.on_tagged_event(deps, event, deliver(event))


async def test_a_rule_with_tags_sends_only_events_about_resources_carrying_them(world, deliver):
    deps = wired(world)
    channel = await mail_channel(deps, world, "ops@example.com")
    await rules.create_rule(
        deps,
        ws(world),
        name="prod clusters",
        event_types=["ClusterFailed"],
        tags={"env": "prod"},
        channel_ids=[uuid.UUID(channel["id"])],
    )
    prod = requested(world, {"env": "prod", "team": "a"})
    dev = requested(world, {"env": "dev"})
    for event in (prod, dev):
        await announce(deps, event, deliver)
    untagged = str(uuid.uuid4())
    events = [failed(world, c) for c in (prod.data["cluster_id"], dev.data["cluster_id"], untagged)]
    for event in events:
        await webhooks.on_platform_event(deps, event, deliver(event))
    assert [d.event_id for d in rows(world, "deliveries")] == [events[0].id]


async def test_tags_in_app_follow_the_newest_announcement_not_a_late_older_one(world, deliver):
    deps = wired(world)
    await rules.create_rule(
        deps,
        ws(world),
        name="viewers hear of prod",
        event_types=["ClusterFailed"],
        tags={"env": "prod"},
        in_app_roles=["viewer"],
    )
    cluster_id = str(uuid.uuid4())
    older = requested(world, {"env": "prod"}, cluster_id)
    newer = world.event(
        "ClusterRequested", {**older.data, "tags": {"env": "dev"}}, source="provisioning"
    )
    # The newer first, then the older redelivered late: the newer's tags stay.
    await announce(deps, newer, deliver)
    await announce(deps, older.model_copy(update={"time": newer.time.replace(year=2020)}), deliver)
    event = failed(world, cluster_id)
    await inbox.on_platform_event(deps, event, deliver(event))
    got = {n.user_id for n in rows(world, "notifications")}
    assert world.viewer.user_id not in got and world.admin.user_id in got


async def test_a_deleted_resource_is_forgotten_and_a_foreign_source_ignored(world, deliver):
    deps = wired(world)
    prod = requested(world, {"env": "prod"})
    await announce(deps, prod, deliver)
    assert len(rows(world, "resource_tags")) == 1
    forged = world.event(
        "ClusterRequested", {**prod.data, "tags": {"env": "dev"}}, source="network"
    )
    await announce(deps, forged, deliver)
    assert [t for _, t, _ in rows(world, "resource_tags")] == [{"env": "prod"}]
    deleted = world.event(
        "ClusterDeleted",
        {"cluster_id": prod.data["cluster_id"], "provider": "aws", "name": "prod"},
        source="provisioning",
    )
    await announce(deps, deleted, deliver)
    assert rows(world, "resource_tags") == []


async def test_a_subnets_event_matches_its_vpcs_tags_overridden_by_its_own(world, deliver):
    deps = wired(world)
    vpc_id, subnet_id = str(uuid.uuid4()), str(uuid.uuid4())
    vpc = world.event(
        "VpcUpdated",
        {"vpc_id": vpc_id, "provider": "aws", "name": "v", "tags": {"env": "prod", "t": "x"}},
        source="network",
    )
    subnet = world.event(
        "SubnetUpdated",
        {
            "subnet_id": subnet_id,
            "vpc_id": vpc_id,
            "provider": "aws",
            "name": "s",
            "tags": {"t": "y"},
        },
        source="network",
    )
    for event in (vpc, subnet):
        await announce(deps, event, deliver)
    async with deps.uow().read_only() as uow:
        tagged = await resource_tags.tags_for(
            uow,
            ws(world),
            [(await _tag_rule(deps, world))],
            {"vpc_id": vpc_id, "subnet_id": subnet_id},
        )
    assert tagged == {"env": "prod", "t": "y"}


async def _tag_rule(deps: Any, world: Any) -> Any:
    made = await rules.create_rule(
        deps, ws(world), name="r", event_types=["*"], tags={"t": "y"}, in_app_roles=["admin"]
    )
    async with deps.uow().read_only() as uow:
        return await uow.rules.get(ws(world), uuid.UUID(made["rule"]["id"]))


async def test_the_rule_api_keeps_validates_and_clears_a_tag_filter(world):
    deps = wired(world)
    made = await rules.create_rule(
        deps,
        ws(world),
        name="r",
        event_types=["Cluster*"],
        tags={"team": "a", "env": "prod"},
        in_app_roles=["user"],
    )
    assert made["rule"]["tags"] == {"env": "prod", "team": "a"}
    rule_id = uuid.UUID(made["rule"]["id"])
    assert (await rules.get_rule(deps, ws(world), rule_id))["rule"]["tags"] == made["rule"]["tags"]
    with pytest.raises(InvalidRuleTags):
        await rules.update_rule(deps, ws(world), rule_id, tags={"": "x"})
    with pytest.raises(InvalidRuleTags):
        await rules.create_rule(
            deps,
            ws(world),
            name="r",
            event_types=["*"],
            tags={"k": "v" * 300},
            in_app_roles=["user"],
        )
    cleared = await rules.update_rule(deps, ws(world), rule_id, tags={})
    assert cleared["rule"]["tags"] == {}
    # Untouched when the update does not name tags.
    kept = await rules.update_rule(deps, ws(world), rule_id, name="renamed")
    assert kept["rule"]["tags"] == {}
