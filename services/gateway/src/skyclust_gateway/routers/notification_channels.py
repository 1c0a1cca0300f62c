"""The workspace's notification channels (webhooks and email), for its admins. A
webhook's signing secret is in the answer to its creation and to a rotation, and
nowhere else.

The routes are served at `/api/v1/notifications/channels` and, the same handlers and
permissions, at the deprecated alias `/api/v1/notification-channels` (marked deprecated in
the OpenAPI; its answers carry `Deprecation: true` and a `Link` to the successor)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ..envelope import ok
from .deps import NotificationManager, Svc
from .models import ChannelBody, ChannelPatch

PREFIX = "/api/v1/notifications/channels"
LEGACY_PREFIX = "/api/v1/notification-channels"
router = APIRouter(prefix=PREFIX, tags=["notifications"])
legacy_router = APIRouter(prefix=LEGACY_PREFIX, tags=["notifications"], deprecated=True)
SERVICE = "notification"

Endpoint = Callable[..., Awaitable[JSONResponse]]


def _route(method: str, path: str, status_code: int = 200) -> Callable[[Endpoint], Endpoint]:
    """Registers the handler at `PREFIX + path` and, deprecated, at `LEGACY_PREFIX + path`."""

    def register(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(path, endpoint, methods=[method], status_code=status_code)

        @functools.wraps(endpoint)
        async def legacy(*args: Any, **kwargs: Any) -> JSONResponse:
            response = await endpoint(*args, **kwargs)
            response.headers["Deprecation"] = "true"
            successor = PREFIX + path.format(**{k: kwargs[k] for k in _params(path)})
            response.headers["Link"] = f'<{successor}>; rel="successor-version"'
            return response

        legacy_router.add_api_route(
            path,
            legacy,
            methods=[method],
            status_code=status_code,
            name=f"legacy_{endpoint.__name__}",
        )
        return endpoint

    return register


def _params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _actor(user_id: str) -> dict[str, str]:
    # An API key's "user" is apikey:<id>: no user created the channel then.
    try:
        return {"actor_id": str(uuid.UUID(user_id))}
    except ValueError:
        return {}


@_route("POST", "", status_code=201)
async def create_channel(
    body: ChannelBody, principal: NotificationManager, svc: Svc
) -> JSONResponse:
    """A webhook's `secret` (`whsec_...`) is shown here once: store it to verify
    signatures. An email channel has `recipients` instead of a `url`, and no secret."""
    request = {
        "workspace_id": principal.workspace_id,
        **_actor(principal.user_id),
        **body.model_dump(exclude_none=True),
    }
    return ok(await svc.call(SERVICE, "CreateNotificationChannel", request), status=201)


@_route("GET", "")
async def list_channels(principal: NotificationManager, svc: Svc) -> JSONResponse:
    """The workspace's notification channels (webhooks and email), without their secrets,
    with whether each is enabled and why not."""
    query = {"workspace_id": principal.workspace_id}
    return ok(await svc.call(SERVICE, "ListNotificationChannels", query))


@_route("GET", "/{channel_id}")
async def get_channel(
    channel_id: uuid.UUID, principal: NotificationManager, svc: Svc
) -> JSONResponse:
    """One channel, without its secret."""
    query = {"workspace_id": principal.workspace_id, "channel_id": str(channel_id)}
    return ok(await svc.call(SERVICE, "GetNotificationChannel", query))


@_route("PATCH", "/{channel_id}")
async def update_channel(
    channel_id: uuid.UUID, body: ChannelPatch, principal: NotificationManager, svc: Svc
) -> JSONResponse:
    """Change a channel: its name, URL or addresses, or enable it again after it was
    disabled for failing."""
    request = {
        "workspace_id": principal.workspace_id,
        "channel_id": str(channel_id),
        **body.model_dump(exclude_none=True),
    }
    return ok(await svc.call(SERVICE, "UpdateNotificationChannel", request))


@_route("DELETE", "/{channel_id}")
async def delete_channel(
    channel_id: uuid.UUID, principal: NotificationManager, svc: Svc
) -> JSONResponse:
    """Delete a channel; rules that name it stop sending to it."""
    request = {"workspace_id": principal.workspace_id, "channel_id": str(channel_id)}
    return ok(await svc.call(SERVICE, "DeleteNotificationChannel", request))


@_route("POST", "/{channel_id}/rotate-secret")
async def rotate_secret(
    channel_id: uuid.UUID, principal: NotificationManager, svc: Svc
) -> JSONResponse:
    """A new `secret`, shown once; deliveries carry both signatures until
    `previous_secret_until`."""
    request = {"workspace_id": principal.workspace_id, "channel_id": str(channel_id)}
    return ok(await svc.call(SERVICE, "RotateNotificationChannelSecret", request))


@_route("POST", "/{channel_id}/test")
async def test_channel(
    channel_id: uuid.UUID, principal: NotificationManager, svc: Svc
) -> JSONResponse:
    """Send a signed test event (`WebhookTest`) to the channel now, once (for email, a test
    mail), and answer the delivery."""
    request = {"workspace_id": principal.workspace_id, "channel_id": str(channel_id)}
    return ok(await svc.call(SERVICE, "TestNotificationChannel", request))


@_route("GET", "/{channel_id}/deliveries")
async def list_deliveries(
    channel_id: uuid.UUID,
    principal: NotificationManager,
    svc: Svc,
    limit: int = Query(50, ge=1, le=200),
) -> JSONResponse:
    """The channel's delivery log, newest first: each event's status, attempts, the
    receiver's response code and latency."""
    query = {"workspace_id": principal.workspace_id, "channel_id": str(channel_id), "limit": limit}
    return ok(await svc.call(SERVICE, "ListWebhookDeliveries", query))


@_route("POST", "/deliveries/{delivery_id}/retry")
async def retry_delivery(
    delivery_id: uuid.UUID, principal: NotificationManager, svc: Svc
) -> JSONResponse:
    """Send a delivery again now, under the same `webhook-id` (or `Message-ID`), and answer
    its outcome."""
    request = {"workspace_id": principal.workspace_id, "delivery_id": str(delivery_id)}
    return ok(await svc.call(SERVICE, "RetryWebhookDelivery", request))
