"""The workspace's notification channels (webhooks and email), for its admins. A
webhook's signing secret is in the answer to its creation and to a rotation, and
nowhere else."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ..envelope import ok
from .deps import NotificationManager, Svc
from .models import ChannelBody, ChannelPatch

router = APIRouter(prefix="/api/v1/notification-channels", tags=["notifications"])
SERVICE = "notification"


def _actor(user_id: str) -> dict[str, str]:
    # An API key's "user" is apikey:<id>: no user created the channel then.
    try:
        return {"actor_id": str(uuid.UUID(user_id))}
    except ValueError:
        return {}


@router.post("", status_code=201)
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


@router.get("")
async def list_channels(principal: NotificationManager, svc: Svc) -> JSONResponse:
    query = {"workspace_id": principal.workspace_id}
    return ok(await svc.call(SERVICE, "ListNotificationChannels", query))


@router.get("/{channel_id}")
async def get_channel(
    channel_id: uuid.UUID, principal: NotificationManager, svc: Svc
) -> JSONResponse:
    query = {"workspace_id": principal.workspace_id, "channel_id": str(channel_id)}
    return ok(await svc.call(SERVICE, "GetNotificationChannel", query))


@router.patch("/{channel_id}")
async def update_channel(
    channel_id: uuid.UUID, body: ChannelPatch, principal: NotificationManager, svc: Svc
) -> JSONResponse:
    request = {
        "workspace_id": principal.workspace_id,
        "channel_id": str(channel_id),
        **body.model_dump(exclude_none=True),
    }
    return ok(await svc.call(SERVICE, "UpdateNotificationChannel", request))


@router.delete("/{channel_id}")
async def delete_channel(
    channel_id: uuid.UUID, principal: NotificationManager, svc: Svc
) -> JSONResponse:
    request = {"workspace_id": principal.workspace_id, "channel_id": str(channel_id)}
    return ok(await svc.call(SERVICE, "DeleteNotificationChannel", request))


@router.post("/{channel_id}/rotate-secret")
async def rotate_secret(
    channel_id: uuid.UUID, principal: NotificationManager, svc: Svc
) -> JSONResponse:
    """A new `secret`, shown once; deliveries carry both signatures until
    `previous_secret_until`."""
    request = {"workspace_id": principal.workspace_id, "channel_id": str(channel_id)}
    return ok(await svc.call(SERVICE, "RotateNotificationChannelSecret", request))


@router.post("/{channel_id}/test")
async def test_channel(
    channel_id: uuid.UUID, principal: NotificationManager, svc: Svc
) -> JSONResponse:
    request = {"workspace_id": principal.workspace_id, "channel_id": str(channel_id)}
    return ok(await svc.call(SERVICE, "TestNotificationChannel", request))


@router.get("/{channel_id}/deliveries")
async def list_deliveries(
    channel_id: uuid.UUID,
    principal: NotificationManager,
    svc: Svc,
    limit: int = Query(50, ge=1, le=200),
) -> JSONResponse:
    query = {"workspace_id": principal.workspace_id, "channel_id": str(channel_id), "limit": limit}
    return ok(await svc.call(SERVICE, "ListWebhookDeliveries", query))


@router.post("/deliveries/{delivery_id}/retry")
async def retry_delivery(
    delivery_id: uuid.UUID, principal: NotificationManager, svc: Svc
) -> JSONResponse:
    request = {"workspace_id": principal.workspace_id, "delivery_id": str(delivery_id)}
    return ok(await svc.call(SERVICE, "RetryWebhookDelivery", request))
