"""The token-signing keys: the newest unretired one signs; retired ones stay published
until every token they signed has expired."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from skyclust_common.messages.rpc import GetJwks, RotateSigningKey
from skyclust_common.messaging import RpcContext

from ..adapters.tokens import ALGORITHM, TokenSigner, generate_signing_key
from ..domain.ports import IdentityUow
from .base import IdentityDeps, now


async def signer(uow: IdentityUow, issuer: str) -> TokenSigner:
    """The newest unretired key signs; the first call ever creates one."""
    keys = await uow.signing_keys.active()
    if keys:
        key = keys[0]
    else:
        kid, pem, jwk = generate_signing_key()
        key = await uow.signing_keys.add(
            kid=kid, algorithm=ALGORITHM, private_pem=pem, public_jwk=jwk
        )
    return TokenSigner(key.kid, key.private_pem, issuer)


async def rotate_signing_key(
    deps: IdentityDeps, req: RotateSigningKey.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    """A new key signs from now on; the old ones stay in the JWKS until every token
    they signed has expired."""
    async with deps.uow() as uow:
        kid, pem, jwk = generate_signing_key()
        await uow.signing_keys.retire_active(now())
        await uow.signing_keys.add(kid=kid, algorithm=ALGORITHM, private_pem=pem, public_jwk=jwk)
        await uow.commit()
    return {"kid": kid}


async def jwks(
    deps: IdentityDeps, req: GetJwks.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    grace = timedelta(seconds=deps.settings.access_token_ttl_seconds + 60)
    async with deps.uow() as uow:
        if not await uow.signing_keys.active():
            await signer(uow, deps.settings.token_issuer)
            await uow.commit()
        keys = await uow.signing_keys.published(retired_after=now() - grace)
        return {"keys": [json.loads(key.public_jwk) for key in keys]}
