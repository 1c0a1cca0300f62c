"""Tag filters as they run, on a real nats-server and PostgreSQL: the resources' tags are
indexed from the events that announce them (the newest announcement winning, a deletion
forgetting them), and a rule with tags sends only the events about resources that carry
them."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from skyclust_common.contracts import load_registry
from skyclust_common.envelope import new_event
from skyclust_common.errors import SkyclustError
from skyclust_common.messaging import Bus, BusConfig, connect_nats

from .test_rules_and_email_on_nats import platform, until  # noqa: F401

pytestmark = pytest.mark.integration


async def indexed(runtime: Any, workspace: str) -> dict[str, dict[str, str]]:
    async with runtime.db.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT resource_id, tags FROM notification.resource_tags "
                    "WHERE workspace_id = :ws"
                ),
                {"ws": workspace},
            )
        ).all()
    return {r.resource_id: r.tags for r in rows}


def requested(workspace: str, cluster_id: str, tags: dict[str, str]) -> Any:
    return new_event(
        "ClusterRequested",
        {
            "cluster_id": cluster_id,
            "provider": "aws",
            "name": "c",
            "version": "1.31",
            "region": "eu-west-1",
            "credential_id": str(uuid.uuid4()),
            "tags": tags,
            "aws_config": None,
        },
        source="provisioning",
        workspace_id=workspace,
    )


def failed(workspace: str, cluster_id: str) -> Any:
    return new_event(
        "ClusterFailed",
        {
            "cluster_id": cluster_id,
            "provider": "aws",
            "name": "c",
            "code": "QUOTA_EXCEEDED",
            "message": "no capacity",
            "retryable": False,
            "operation": "create",
        },
        source="provisioning",
        workspace_id=workspace,
    )


async def test_a_tagged_rule_sends_only_events_about_resources_with_its_tags(
    platform: Any,  # noqa: F811
    receiver: Any,
) -> None:
    runtime, _, client, _ = platform
    workspace = str(uuid.uuid4())
    hook = await client.request(
        "notification",
        "CreateNotificationChannel",
        {"workspace_id": workspace, "name": "hook", "url": receiver.url},
    )
    with pytest.raises(SkyclustError) as refused:
        await client.request(
            "notification",
            "CreateNotificationRule",
            {
                "workspace_id": workspace,
                "name": "bad",
                "event_types": ["ClusterFailed"],
                "tags": {"": "prod"},
                "channel_ids": [hook["channel"]["id"]],
            },
        )
    assert (refused.value.status, refused.value.code) == (422, "NOTIFICATION_RULE_TAGS_INVALID")
    rule = await client.request(
        "notification",
        "CreateNotificationRule",
        {
            "workspace_id": workspace,
            "name": "prod failures",
            "event_types": ["ClusterFailed"],
            "tags": {"env": "prod"},
            "channel_ids": [hook["channel"]["id"]],
        },
    )
    assert rule["rule"]["tags"] == {"env": "prod"}
    prod, dev = str(uuid.uuid4()), str(uuid.uuid4())
    announced = requested(workspace, prod, {"env": "prod", "team": "pay"})
    # Published twice: the redelivery changes nothing.
    for event in (announced, announced, requested(workspace, dev, {"env": "dev"})):
        await client.publish(event)

    async def both() -> bool:
        return len(await indexed(runtime, workspace)) == 2

    await until(both)
    assert await indexed(runtime, workspace) == {
        prod: {"env": "prod", "team": "pay"},
        dev: {"env": "dev"},
    }
    for cluster_id in (dev, prod):
        await client.publish(failed(workspace, cluster_id))

    async def delivered() -> bool:
        return len(receiver.requests) >= 1

    await until(delivered)
    await asyncio.sleep(1.0)
    assert len(receiver.requests) == 1
    assert json.loads(receiver.requests[0][1])["data"]["cluster_id"] == prod


async def test_the_index_keeps_the_newest_tags_and_forgets_deleted_resources(
    platform: Any,  # noqa: F811
    nats_server: Any,
) -> None:
    runtime, _, client, _ = platform
    network = Bus(
        await connect_nats(nats_server.url, name="test-network"),
        load_registry(),
        BusConfig(service="network"),
    )
    try:
        workspace, vpc_id = str(uuid.uuid4()), str(uuid.uuid4())
        now = datetime.now(UTC)

        def updated(tags: dict[str, str], at: datetime) -> Any:
            event = new_event(
                "VpcUpdated",
                {"vpc_id": vpc_id, "provider": "gcp", "name": "v", "tags": tags},
                source="network",
                workspace_id=workspace,
            )
            return event.model_copy(update={"time": at})

        await network.publish(updated({"env": "prod"}, now))

        async def newest() -> bool:
            return (await indexed(runtime, workspace)).get(vpc_id) == {"env": "prod"}

        await until(newest)
        # An older announcement arriving late does not win.
        await network.publish(updated({"env": "old"}, now - timedelta(hours=1)))
        marker = str(uuid.uuid4())
        await client.publish(requested(workspace, marker, {}))

        async def caught_up() -> bool:
            return marker in await indexed(runtime, workspace)

        await until(caught_up)
        assert (await indexed(runtime, workspace))[vpc_id] == {"env": "prod"}
        await network.publish(
            new_event(
                "VpcDeleted",
                {"vpc_id": vpc_id, "provider": "gcp", "name": "v", "credential_id": marker},
                source="network",
                workspace_id=workspace,
            )
        )

        async def forgotten() -> bool:
            return vpc_id not in await indexed(runtime, workspace)

        await until(forgotten)
    finally:
        await network.close()
