"""The vault's use cases. Secrets leave only through `decrypt`, to allowed services,
after the decryption has been recorded."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from skyclust_common.db import UnitOfWork, utcnow
from skyclust_common.envelope import new_event
from skyclust_common.errors import Conflict, Forbidden, NotFound
from skyclust_common.messaging import RpcContext

from ..adapters.db import Credential, Credentials
from ..domain import providers
from ..domain.crypto import KeyEncryptionKeys, Sealed, open_sealed, seal

SOURCE = "credential-vault"


@dataclass
class VaultDeps:
    uow: Callable[[], UnitOfWork]
    keys: KeyEncryptionKeys
    decrypt_callers: frozenset[str]


def view(credential: Credential) -> dict[str, Any]:
    return {
        "id": str(credential.id),
        "workspace_id": str(credential.workspace_id),
        "provider": credential.provider,
        "name": credential.name,
        "masked": dict(credential.masked),
        "created_by": credential.created_by,
        "created_at": credential.created_at.isoformat(),
        "updated_at": credential.updated_at.isoformat(),
    }


def _not_found() -> NotFound:
    return NotFound("credential not found", code="CREDENTIAL_NOT_FOUND")


async def create(deps: VaultDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    secret = providers.parse(data["provider"], data["data"])
    workspace_id = uuid.UUID(data["workspace_id"])
    credential_id = uuid.uuid4()
    sealed = seal(
        deps.keys,
        secret.model_dump_json(exclude_none=True).encode(),
        workspace_id=str(workspace_id),
        credential_id=str(credential_id),
    )
    async with deps.uow() as uow:
        repo = Credentials(uow.session)
        if await repo.by_name(workspace_id, data["name"]) is not None:
            raise Conflict("a credential with this name exists", code="CREDENTIAL_NAME_TAKEN")
        credential = Credential(
            id=credential_id,
            workspace_id=workspace_id,
            provider=data["provider"],
            name=data["name"],
            masked=secret.masked(),
            ciphertext=sealed.ciphertext,
            nonce=sealed.nonce,
            wrapped_key=sealed.wrapped_key,
            key_nonce=sealed.key_nonce,
            key_version=sealed.key_version,
            created_by=data["actor_id"],
        )
        uow.session.add(credential)
        uow.emit(
            new_event(
                "CredentialCreated",
                {
                    "credential_id": str(credential_id),
                    "provider": credential.provider,
                    "name": credential.name,
                    "masked": secret.masked(),
                },
                source=SOURCE,
                subject=str(credential_id),
                workspace_id=str(workspace_id),
                actor_id=data["actor_id"],
            )
        )
        try:
            await uow.commit()
        except IntegrityError:
            raise Conflict(
                "a credential with this name exists", code="CREDENTIAL_NAME_TAKEN"
            ) from None
        await uow.session.refresh(credential)
        return view(credential)


async def list_(deps: VaultDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    async with deps.uow() as uow:
        items = await Credentials(uow.session).list(uuid.UUID(data["workspace_id"]))
        return {"items": [view(c) for c in items]}


async def get(deps: VaultDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    async with deps.uow() as uow:
        credential = await Credentials(uow.session).get(
            uuid.UUID(data["workspace_id"]), uuid.UUID(data["credential_id"])
        )
        if credential is None:
            raise _not_found()
        return view(credential)


async def delete(deps: VaultDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    async with deps.uow() as uow:
        credential = await Credentials(uow.session).get(
            uuid.UUID(data["workspace_id"]), uuid.UUID(data["credential_id"])
        )
        if credential is None:
            raise _not_found()
        await uow.session.delete(credential)
        uow.emit(
            new_event(
                "CredentialDeleted",
                {
                    "credential_id": str(credential.id),
                    "provider": credential.provider,
                    "name": credential.name,
                },
                source=SOURCE,
                subject=str(credential.id),
                workspace_id=str(credential.workspace_id),
                actor_id=data["actor_id"],
            )
        )
        await uow.commit()
    return {"deleted": True}


async def decrypt(deps: VaultDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
    caller = ctx.caller or ""
    if caller not in deps.decrypt_callers:
        raise Forbidden("this service may not decrypt credentials", code="DECRYPT_NOT_ALLOWED")
    workspace_id = uuid.UUID(data["workspace_id"])
    async with deps.uow() as uow:
        credential = await Credentials(uow.session).get(
            workspace_id, uuid.UUID(data["credential_id"])
        )
        if credential is None:
            raise _not_found()
        plaintext = open_sealed(
            deps.keys,
            Sealed(
                credential.ciphertext,
                credential.nonce,
                credential.wrapped_key,
                credential.key_nonce,
                credential.key_version,
            ),
            workspace_id=str(workspace_id),
            credential_id=str(credential.id),
        )
        credential.last_used_at = utcnow()
        uow.emit(
            new_event(
                "CredentialDecrypted",
                {
                    "credential_id": str(credential.id),
                    "service": caller,
                    "reason": data["reason"],
                    "correlation_id": data.get("correlation_id"),
                },
                source=SOURCE,
                subject=str(credential.id),
                workspace_id=str(workspace_id),
                correlation_id=data.get("correlation_id"),
            )
        )
        # The record of this decryption is committed before the secret is returned;
        # if it cannot be written the commit raises and nothing is returned.
        await uow.commit()
        return {"provider": credential.provider, "data": json.loads(plaintext)}
