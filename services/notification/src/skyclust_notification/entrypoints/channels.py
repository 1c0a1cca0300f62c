"""The channel and rule endpoints' contracts around their handlers (asked by the gateway
only, which lets admins alone change them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from skyclust_common.messages import rpc as m
from skyclust_common.messaging import RpcContext

from ..handlers import rules, webhooks
from ..handlers import webhook_delivery as sending
from ..handlers.common import NotificationDeps

Served = Callable[[NotificationDeps, dict[str, Any], RpcContext], Awaitable[dict[str, Any]]]


async def create(
    deps: NotificationDeps, r: m.CreateNotificationChannel.Request, ctx: RpcContext
) -> dict[str, Any]:
    return await webhooks.create_channel(
        deps,
        r.workspace_id,
        name=r.name,
        type=r.type or "webhook",
        url=r.url,
        recipients=list(r.recipients) if r.recipients is not None else None,
        recipient_roles=list(r.recipient_roles) if r.recipient_roles is not None else None,
        event_types=list(r.event_types or []),
        actor_id=r.actor_id,
    )


async def listing(
    deps: NotificationDeps, r: m.ListNotificationChannels.Request, ctx: RpcContext
) -> dict[str, Any]:
    return await webhooks.list_channels(deps, r.workspace_id)


async def get(
    deps: NotificationDeps, r: m.GetNotificationChannel.Request, ctx: RpcContext
) -> dict[str, Any]:
    return await webhooks.get_channel(deps, r.workspace_id, r.channel_id)


async def update(
    deps: NotificationDeps, r: m.UpdateNotificationChannel.Request, ctx: RpcContext
) -> dict[str, Any]:
    return await webhooks.update_channel(
        deps,
        r.workspace_id,
        r.channel_id,
        name=r.name,
        url=r.url,
        event_types=list(r.event_types) if r.event_types is not None else None,
        enabled=r.enabled,
        recipients=list(r.recipients) if r.recipients is not None else None,
        recipient_roles=list(r.recipient_roles) if r.recipient_roles is not None else None,
    )


async def delete(
    deps: NotificationDeps, r: m.DeleteNotificationChannel.Request, ctx: RpcContext
) -> dict[str, Any]:
    return await webhooks.delete_channel(deps, r.workspace_id, r.channel_id)


async def rotate(
    deps: NotificationDeps, r: m.RotateNotificationChannelSecret.Request, ctx: RpcContext
) -> dict[str, Any]:
    return await webhooks.rotate_secret(deps, r.workspace_id, r.channel_id)


async def test(
    deps: NotificationDeps, r: m.TestNotificationChannel.Request, ctx: RpcContext
) -> dict[str, Any]:
    return await sending.test_channel(deps, r.workspace_id, r.channel_id)


async def deliveries(
    deps: NotificationDeps, r: m.ListWebhookDeliveries.Request, ctx: RpcContext
) -> dict[str, Any]:
    return await sending.list_deliveries(
        deps, r.workspace_id, r.channel_id, r.limit or sending.DEFAULT_PAGE
    )


async def retry(
    deps: NotificationDeps, r: m.RetryWebhookDelivery.Request, ctx: RpcContext
) -> dict[str, Any]:
    return await sending.retry_delivery(deps, r.workspace_id, r.delivery_id)


def _list(values: Any) -> Any:
    return list(values) if values is not None else None


async def create_rule(
    deps: NotificationDeps, r: m.CreateNotificationRule.Request, ctx: RpcContext
) -> dict[str, Any]:
    return await rules.create_rule(
        deps,
        r.workspace_id,
        name=r.name,
        event_types=list(r.event_types),
        min_severity=r.min_severity or "info",
        resource_ids=_list(r.resource_ids),
        channel_ids=_list(r.channel_ids),
        in_app_roles=_list(r.in_app_roles),
        in_app_user_ids=_list(r.in_app_user_ids),
        enabled=r.enabled if r.enabled is not None else True,
        tags=dict(r.tags) if r.tags is not None else None,
        actor_id=r.actor_id,
    )


async def list_rules(
    deps: NotificationDeps, r: m.ListNotificationRules.Request, ctx: RpcContext
) -> dict[str, Any]:
    return await rules.list_rules(deps, r.workspace_id)


async def get_rule(
    deps: NotificationDeps, r: m.GetNotificationRule.Request, ctx: RpcContext
) -> dict[str, Any]:
    return await rules.get_rule(deps, r.workspace_id, r.rule_id)


async def update_rule(
    deps: NotificationDeps, r: m.UpdateNotificationRule.Request, ctx: RpcContext
) -> dict[str, Any]:
    return await rules.update_rule(
        deps,
        r.workspace_id,
        r.rule_id,
        name=r.name,
        event_types=_list(r.event_types),
        min_severity=r.min_severity,
        resource_ids=_list(r.resource_ids),
        channel_ids=_list(r.channel_ids),
        in_app_roles=_list(r.in_app_roles),
        in_app_user_ids=_list(r.in_app_user_ids),
        enabled=r.enabled,
        tags=dict(r.tags) if r.tags is not None else None,
    )


async def delete_rule(
    deps: NotificationDeps, r: m.DeleteNotificationRule.Request, ctx: RpcContext
) -> dict[str, Any]:
    return await rules.delete_rule(deps, r.workspace_id, r.rule_id)


HANDLERS: dict[str, Served] = {
    m.CreateNotificationRule.CONTRACT: m.CreateNotificationRule.served(create_rule),
    m.ListNotificationRules.CONTRACT: m.ListNotificationRules.served(list_rules),
    m.GetNotificationRule.CONTRACT: m.GetNotificationRule.served(get_rule),
    m.UpdateNotificationRule.CONTRACT: m.UpdateNotificationRule.served(update_rule),
    m.DeleteNotificationRule.CONTRACT: m.DeleteNotificationRule.served(delete_rule),
    m.CreateNotificationChannel.CONTRACT: m.CreateNotificationChannel.served(create),
    m.ListNotificationChannels.CONTRACT: m.ListNotificationChannels.served(listing),
    m.GetNotificationChannel.CONTRACT: m.GetNotificationChannel.served(get),
    m.UpdateNotificationChannel.CONTRACT: m.UpdateNotificationChannel.served(update),
    m.DeleteNotificationChannel.CONTRACT: m.DeleteNotificationChannel.served(delete),
    m.RotateNotificationChannelSecret.CONTRACT: m.RotateNotificationChannelSecret.served(rotate),
    m.TestNotificationChannel.CONTRACT: m.TestNotificationChannel.served(test),
    m.ListWebhookDeliveries.CONTRACT: m.ListWebhookDeliveries.served(deliveries),
    m.RetryWebhookDelivery.CONTRACT: m.RetryWebhookDelivery.served(retry),
}
