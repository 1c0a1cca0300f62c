"""API keys for the caller's workspace, for CI pipelines and scripts."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..envelope import ok
from ..paging import NamedList, paged
from .deps import MemberManager, Svc
from .models import ApiKeyBody

router = APIRouter(prefix="/api/v1/api-keys", tags=["api-keys"])


@router.post("", status_code=201)
async def create_api_key(
    body: ApiKeyBody,
    principal: MemberManager,
    svc: Svc,
) -> JSONResponse:
    """The `key` field is shown this once; use it as `Authorization: Bearer <key>`."""
    result = await svc.call(
        "identity",
        "CreateApiKey",
        {
            "workspace_id": principal.workspace_id,
            "actor_id": principal.user_id,
            "name": body.name,
            "role": body.role.value,
            "expires_at": body.expires_at.isoformat() if body.expires_at else None,
        },
    )
    return ok(result, 201)


@router.get("")
async def list_api_keys(
    principal: MemberManager,
    svc: Svc,
    query: NamedList,
) -> JSONResponse:
    """The workspace's API keys, by prefix, with role, expiry and last use; never the key
    itself."""
    result = await svc.call("identity", "ListApiKeys", {"workspace_id": principal.workspace_id})
    return paged(result["items"], query)


@router.delete("/{api_key_id}")
async def revoke_api_key(
    api_key_id: uuid.UUID,
    principal: MemberManager,
    svc: Svc,
) -> JSONResponse:
    """Revoke an API key: it stops working at once (REST and NATS), and its open NATS
    connections are cut. Revoking a revoked key answers it again."""
    result = await svc.call(
        "identity",
        "RevokeApiKey",
        {
            "workspace_id": principal.workspace_id,
            "actor_id": principal.actor_id,
            "api_key_id": str(api_key_id),
        },
    )
    return ok(result)
