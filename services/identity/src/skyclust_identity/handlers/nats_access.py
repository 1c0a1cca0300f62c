"""nats-server's auth callout: a connection that is no service's user presents an API
key as its token; identity answers who it is and what nats-server must let it do (its
workspace's public subjects, as its key's role allows; `skyclust_common.public_api`)."""

from __future__ import annotations

import logging
from typing import Any

from skyclust_common import public_api
from skyclust_common.errors import SkyclustError
from skyclust_common.messages.rpc import VerifyApiKey

from ..adapters.nats_jwt import AuthRequest, CalloutSigner, NatsJwtError
from .api_keys import PREFIX, key_hash, verify_api_key
from .base import IdentityDeps

log = logging.getLogger(__name__)


async def authorize(deps: IdentityDeps, signer: CalloutSigner, payload: bytes) -> bytes | None:
    """The signed answer to one authorization request; None for a request too broken
    to answer (nats-server then refuses the connection when its callout times out)."""
    try:
        request = AuthRequest.parse(payload)
    except NatsJwtError as exc:
        log.warning("auth callout request not understood", extra={"error": str(exc)})
        return None
    token = request.token
    if token is None or not token.startswith(PREFIX):
        return signer.refuse(request, "a SkyClust API key is needed as the token")
    try:
        key = await verify_api_key(deps, VerifyApiKey.request({"key": token[:256]}))
    except SkyclustError as exc:
        return signer.refuse(request, f"{exc.code}: {exc}")
    try:
        return await _allow(deps, signer, request, token, key)
    except Exception:
        # Refused at once rather than left to the callout's timeout.
        log.exception("auth callout failed", extra={"client": request.client_host})
        return signer.refuse(request, "INTERNAL_ERROR: the callout failed")


async def _allow(
    deps: IdentityDeps,
    signer: CalloutSigner,
    request: AuthRequest,
    token: str,
    key: dict[str, Any],
) -> bytes:
    workspace_id, key_id = str(key["workspace_id"]), str(key["api_key_id"])
    async with deps.uow() as uow:
        record = await uow.api_keys.by_hash(key_hash(token[:256]))
        # Read inside the unit of work: the row is detached once it ends.
        expires = record.expires_at if record is not None else None
    user = signer.user_jwt(
        request.user_nkey,
        name=f"apikey:{key_id}",
        permissions=public_api.connection_permissions(workspace_id, key_id, str(key["role"])),
        # A key that expires takes its connections with it: nats-server cuts them then.
        expires_at=int(expires.timestamp()) if expires is not None else None,
    )
    log.info(
        "API key connected over NATS",
        extra={"api_key_id": key_id, "workspace_id": workspace_id, "client": request.client_host},
    )
    return signer.allow(request, user)
