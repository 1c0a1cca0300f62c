"""API keys for other systems: shown once, stored as a hash, listed by prefix."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from skyclust_common.messages.rpc import CreateApiKey, ListApiKeys, RevokeApiKey, VerifyApiKey
from skyclust_common.messaging import RpcContext

from ..domain.errors import ApiKeyExpired, ApiKeyNotFound, InvalidApiKey, InvalidExpiry
from ..domain.ports import ApiKeyRecord
from .base import IdentityDeps, identity_event, now

PREFIX = "sk_"
log = logging.getLogger(__name__)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _view(key: ApiKeyRecord) -> dict[str, Any]:
    return {
        "id": str(key.id),
        "name": key.name,
        "prefix": key.prefix,
        "role": key.role,
        "created_by": str(key.created_by) if key.created_by else None,
        "created_at": key.created_at.isoformat(),
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


async def create_api_key(
    deps: IdentityDeps, req: CreateApiKey.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    expires_at = req.expires_at
    if expires_at is not None and expires_at <= now():
        raise InvalidExpiry("expires_at must be in the future", details={"field": "expires_at"})
    secret = PREFIX + secrets.token_urlsafe(32)
    async with deps.uow() as uow:
        key = await uow.api_keys.add(
            workspace_id=req.workspace_id,
            name=req.name,
            prefix=secret[:10],
            key_hash=key_hash(secret),
            role=req.role,
            created_by=req.actor_id,
            expires_at=expires_at,
        )
        uow.emit(
            identity_event(
                "ApiKeyCreated",
                {
                    "api_key_id": str(key.id),
                    "name": key.name,
                    "role": key.role,
                    "prefix": key.prefix,
                },
                subject=str(key.id),
                workspace_id=str(req.workspace_id),
                actor=str(req.actor_id),
            )
        )
        await uow.commit()
        return {**_view(key), "key": secret}


async def list_api_keys(
    deps: IdentityDeps, req: ListApiKeys.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        keys = await uow.api_keys.of_workspace(req.workspace_id)
        return {"items": [_view(key) for key in keys]}


async def revoke_api_key(
    deps: IdentityDeps, req: RevokeApiKey.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        key = await uow.api_keys.get_for_update(req.api_key_id)
        if key is None or key.workspace_id != req.workspace_id:
            raise ApiKeyNotFound("API key not found")
        if key.revoked_at is None:
            key.revoked_at = now()
            uow.emit(
                identity_event(
                    "ApiKeyRevoked",
                    {"api_key_id": str(key.id), "name": key.name},
                    subject=str(key.id),
                    workspace_id=str(req.workspace_id),
                    actor=req.actor_id,
                )
            )
            await uow.commit()
        # Read while the unit of work holds the row: leaving it without a commit (the key
        # was revoked already) rolls back, which expires the row's attributes.
        answer = _view(key)
    await _cut_nats_sessions(deps, answer["id"])
    return answer


async def _cut_nats_sessions(deps: IdentityDeps, api_key_id: str) -> None:
    """After the commit: a connection that reconnects at once is refused by the callout."""
    if deps.cut_nats_sessions is None:
        return
    try:
        await deps.cut_nats_sessions(api_key_id)
    except Exception as exc:
        # The key is revoked either way; its connections then last until they close.
        log.error(
            "a revoked key's NATS connections were not cut",
            extra={"api_key_id": api_key_id, "error": str(exc)},
        )


async def verify_api_key(
    deps: IdentityDeps, req: VerifyApiKey.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        key = await uow.api_keys.by_hash(key_hash(req.key))
        if key is None or key.revoked_at is not None:
            raise InvalidApiKey("invalid API key")
        if key.expires_at is not None and key.expires_at <= now():
            raise ApiKeyExpired("API key expired")
        # last use is kept to the minute: no write on every request
        if key.last_used_at is None or key.last_used_at < now() - timedelta(minutes=1):
            key.last_used_at = now()
            await uow.commit()
        return {"api_key_id": str(key.id), "workspace_id": str(key.workspace_id), "role": key.role}
