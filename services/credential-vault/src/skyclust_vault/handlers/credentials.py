"""The vault's use cases. Secrets leave only through `decrypt`, to allowed services,
after the audit trail has confirmed the decryption is recorded."""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from skyclust_common.db import utcnow
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import ProviderError, SkyclustError
from skyclust_common.logs import register_secret
from skyclust_common.messages.rpc import (
    CreateCredential,
    DecryptCredential,
    DeleteCredential,
    GetCredential,
    ListCredentials,
    RotateCredential,
    ValidateCredential,
)
from skyclust_common.messaging import RpcContext

from ..adapters.audit import AuditEntry, AuditTrail
from ..adapters.clouds.base import CredentialChecker
from ..domain import providers
from ..domain.crypto import KeyEncryptionKeys, Sealed
from ..domain.errors import (
    AccountMismatch,
    CloudUnreachable,
    CredentialInUse,
    CredentialInvalid,
    CredentialNameTaken,
    CredentialNotFound,
    DecryptionFailed,
    DecryptNotAllowed,
    KeyVersionRetired,
)
from ..domain.ports import CredentialRecord, CredentialUserRecord, DuplicateKey, VaultUow
from ..domain.validation import CheckResult, Status
from .sealing import open_sealed, seal

SOURCE = "credential-vault"
log = logging.getLogger(__name__)


@dataclass
class VaultDeps:
    uow: Callable[[], VaultUow]
    keys: KeyEncryptionKeys
    decrypt_callers: frozenset[str]
    checker: CredentialChecker
    audit: AuditTrail


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def view(
    credential: CredentialRecord, users: Sequence[CredentialUserRecord] = ()
) -> dict[str, Any]:
    return {
        "id": str(credential.id),
        "workspace_id": str(credential.workspace_id),
        "provider": credential.provider,
        "name": credential.name,
        "masked": dict(credential.masked),
        "status": credential.status,
        "status_reason": credential.status_reason,
        "status_message": credential.status_message,
        "account_id": credential.account_id,
        "in_use": [{"kind": u.kind, "id": str(u.resource_id), "name": u.name} for u in users],
        "created_by": credential.created_by,
        "created_at": credential.created_at.isoformat(),
        "updated_at": credential.updated_at.isoformat(),
        "last_used_at": _iso(credential.last_used_at),
        "last_validated_at": _iso(credential.last_validated_at),
    }


def _not_found() -> CredentialNotFound:
    return CredentialNotFound("credential not found")


def _name_taken() -> CredentialNameTaken:
    return CredentialNameTaken("a credential with this name exists")


def sealed_of(credential: CredentialRecord) -> Sealed:
    return Sealed(
        credential.ciphertext,
        credential.nonce,
        credential.wrapped_key,
        credential.key_nonce,
        credential.key_version,
    )


def store_sealed(credential: CredentialRecord, sealed: Sealed) -> None:
    credential.ciphertext = sealed.ciphertext
    credential.nonce = sealed.nonce
    credential.wrapped_key = sealed.wrapped_key
    credential.key_nonce = sealed.key_nonce
    credential.key_version = sealed.key_version


def parse_secret(provider: str, data: dict[str, Any]) -> providers.CloudSecret:
    secret = providers.parse(provider, data)
    for value in secret.secret_values():
        register_secret(value)
    return secret


async def ensure_writable(uow: VaultUow, version: str) -> None:
    """Nothing is ever written under a retired key version, whatever a process's
    settings say (a stale instance could still name it active)."""
    if await uow.retired_keys.is_retired(version):
        raise KeyVersionRetired(
            f"the active key version {version} has been retired; configure a newer one"
        )


async def check_secret(deps: VaultDeps, secret: providers.CloudSecret) -> CheckResult | None:
    """The cloud's verdict, or None when the cloud could not be reached."""
    try:
        return await deps.checker.check(secret)
    except ProviderError as exc:
        if exc.code != "PROVIDER_UNAVAILABLE":
            raise
        log.warning(
            "credential check inconclusive",
            extra={"provider": secret.provider, "error": exc.message},
        )
        return None


def _record_check(credential: CredentialRecord, result: CheckResult | None) -> None:
    if result is None:
        credential.status = Status.UNVERIFIED
        credential.status_reason = "PROVIDER_UNAVAILABLE"
        credential.status_message = "the cloud could not be reached to check the credential"
        return
    credential.status = result.status
    credential.status_reason = result.reason
    credential.status_message = result.message
    credential.last_validated_at = result.checked_at
    if result.account_id:
        credential.account_id = result.account_id


def _check_event(
    credential: CredentialRecord, result: CheckResult, actor_id: str | None
) -> CloudEvent:
    base = {
        "credential_id": str(credential.id),
        "provider": credential.provider,
        "name": credential.name,
        "checked_at": result.checked_at.isoformat(),
    }
    if result.valid:
        name, data = "CredentialValidated", {**base, "account_id": result.account_id}
    else:
        name = "CredentialInvalid"
        data = {**base, "reason": result.reason or "UNKNOWN", "message": result.message}
    return new_event(
        name,
        data,
        source=SOURCE,
        subject=str(credential.id),
        workspace_id=str(credential.workspace_id),
        actor_id=actor_id,
    )


async def _users(uow: VaultUow, credential_id: uuid.UUID) -> Sequence[CredentialUserRecord]:
    return (await uow.credential_users.active([credential_id])).get(credential_id, [])


# requests ------------------------------------------------------------------------


async def create(deps: VaultDeps, req: CreateCredential.Request, ctx: RpcContext) -> dict[str, Any]:
    secret = parse_secret(req.provider, req.data)
    workspace_id = req.workspace_id
    async with deps.uow() as uow:
        # Before asking the cloud: a taken name needs no round trip.
        if await uow.credentials.by_name(workspace_id, req.name) is not None:
            raise _name_taken()
    result = await check_secret(deps, secret)
    credential_id = uuid.uuid4()
    sealed = await seal(
        deps.keys,
        secret.plaintext(),
        workspace_id=str(workspace_id),
        credential_id=str(credential_id),
    )
    try:
        async with deps.uow() as uow:
            await ensure_writable(uow, sealed.key_version)
            credential = await uow.credentials.add(
                credential_id=credential_id,
                workspace_id=workspace_id,
                provider=req.provider,
                name=req.name,
                masked=secret.masked(),
                created_by=req.actor_id,
                sealed=sealed,
            )
            _record_check(credential, result)
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
                    actor_id=req.actor_id,
                )
            )
            if result is not None:
                uow.emit(_check_event(credential, result, req.actor_id))
            await uow.commit()
            await uow.credentials.reload(credential)
            return view(credential)
    except DuplicateKey:
        raise _name_taken() from None


async def list_(deps: VaultDeps, req: ListCredentials.Request, ctx: RpcContext) -> dict[str, Any]:
    async with deps.uow() as uow:
        items = await uow.credentials.of_workspace(req.workspace_id)
        users = await uow.credential_users.active([c.id for c in items])
        return {"items": [view(c, users.get(c.id, [])) for c in items]}


async def get(deps: VaultDeps, req: GetCredential.Request, ctx: RpcContext) -> dict[str, Any]:
    async with deps.uow() as uow:
        credential = await uow.credentials.get(req.workspace_id, req.credential_id)
        if credential is None:
            raise _not_found()
        return view(credential, await _users(uow, credential.id))


async def rotate(deps: VaultDeps, req: RotateCredential.Request, ctx: RpcContext) -> dict[str, Any]:
    """Replace the cloud secret. The new one must be valid for the same account, so the
    clusters and networks using the credential keep working; they read it by id."""
    workspace_id, credential_id = req.workspace_id, req.credential_id
    async with deps.uow() as uow:
        current = await uow.credentials.get(workspace_id, credential_id)
        if current is None:
            raise _not_found()
        provider, known_account = current.provider, current.account_id
    secret = parse_secret(provider, req.data)
    result = await check_secret(deps, secret)
    if result is None:
        raise CloudUnreachable(
            "the cloud could not be reached to check the new secret; nothing was changed",
            provider=provider,
        )
    if not result.valid:
        raise CredentialInvalid(
            "the cloud refused the new secret; nothing was changed",
            details={"reason": result.reason, "provider_message": result.message},
        )
    if known_account and result.account_id and result.account_id != known_account:
        raise AccountMismatch(
            "the new secret belongs to another cloud account than this credential; "
            "create a new credential for it",
            details={"account_id": known_account, "new_account_id": result.account_id},
        )
    sealed = await seal(
        deps.keys,
        secret.plaintext(),
        workspace_id=str(workspace_id),
        credential_id=str(credential_id),
    )
    async with deps.uow() as uow:
        await ensure_writable(uow, sealed.key_version)
        credential = await uow.credentials.get(workspace_id, credential_id, for_update=True)
        if credential is None:
            raise _not_found()
        store_sealed(credential, sealed)
        credential.masked = secret.masked()
        credential.updated_at = utcnow()
        _record_check(credential, result)
        uow.emit(
            new_event(
                "CredentialRotated",
                {
                    "credential_id": str(credential.id),
                    "provider": credential.provider,
                    "name": credential.name,
                    "masked": secret.masked(),
                    "rotated_at": credential.updated_at.isoformat(),
                },
                source=SOURCE,
                subject=str(credential.id),
                workspace_id=str(workspace_id),
                actor_id=req.actor_id,
            )
        )
        uow.emit(_check_event(credential, result, req.actor_id))
        await uow.commit()
        await uow.credentials.reload(credential)
        return view(credential, await _users(uow, credential.id))


async def validate(
    deps: VaultDeps, req: ValidateCredential.Request, ctx: RpcContext
) -> dict[str, Any]:
    """Check the stored secret with its cloud now. The secret is used inside the vault
    only; nothing of it leaves."""
    workspace_id, credential_id = req.workspace_id, req.credential_id
    async with deps.uow() as uow:
        credential = await uow.credentials.get(workspace_id, credential_id)
        if credential is None:
            raise _not_found()
        provider = credential.provider
        plaintext = await open_sealed(
            deps.keys,
            sealed_of(credential),
            workspace_id=str(workspace_id),
            credential_id=str(credential_id),
        )
    secret = providers.load(provider, plaintext)
    for value in providers.secret_values_in(json.loads(plaintext)):
        register_secret(value)
    result = await check_secret(deps, secret)
    if result is None:
        raise CloudUnreachable(
            "the cloud could not be reached to check the credential; try again later",
            provider=provider,
        )
    async with deps.uow() as uow:
        credential = await uow.credentials.get(workspace_id, credential_id, for_update=True)
        if credential is None:
            raise _not_found()
        _record_check(credential, result)
        uow.emit(_check_event(credential, result, req.actor_id))
        await uow.commit()
        await uow.credentials.reload(credential)
        return view(credential, await _users(uow, credential.id))


async def delete(deps: VaultDeps, req: DeleteCredential.Request, ctx: RpcContext) -> dict[str, Any]:
    async with deps.uow() as uow:
        credential = await uow.credentials.get(req.workspace_id, req.credential_id, for_update=True)
        if credential is None:
            raise _not_found()
        users = await _users(uow, credential.id)
        if users:
            names = ", ".join(f"{u.kind} {u.name}" for u in users)
            raise CredentialInUse(
                f"the credential is in use by {names}; delete those first",
                details={
                    "users": [
                        {"kind": u.kind, "id": str(u.resource_id), "name": u.name} for u in users
                    ]
                },
            )
        await uow.credentials.remove(credential)
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
                actor_id=req.actor_id,
            )
        )
        await uow.commit()
    return {"deleted": True}


async def decrypt(
    deps: VaultDeps, req: DecryptCredential.Request, ctx: RpcContext
) -> dict[str, Any]:
    caller = ctx.caller or ""
    workspace_id, credential_id = str(req.workspace_id), str(req.credential_id)
    correlation_id = req.correlation_id
    # Services call without an HTTP request behind them; the decryption request itself
    # then gets an id, so every audit record can be quoted by one.
    request_id = ctx.request_id or uuid.uuid4().hex

    def entry(outcome: str, **details: Any) -> AuditEntry:
        return AuditEntry(
            workspace_id=workspace_id,
            service=caller or "unknown",
            action="credential.decrypt",
            credential_id=credential_id,
            outcome=outcome,
            occurred_at=utcnow(),
            correlation_id=correlation_id,
            request_id=request_id,
            details={"reason": req.reason, **details},
        )

    if caller not in deps.decrypt_callers:
        # NATS permissions already keep other services off this subject; this is the
        # second lock. The refusal is recorded when the trail can take it.
        with contextlib.suppress(SkyclustError):
            await deps.audit.record(entry("denied", code=DecryptNotAllowed.code))
        raise DecryptNotAllowed("this service may not decrypt credentials")

    async with deps.uow() as uow:
        credential = await uow.credentials.get(req.workspace_id, req.credential_id)
        if credential is None:
            raise _not_found()
        provider, sealed = credential.provider, sealed_of(credential)
    try:
        plaintext = await open_sealed(
            deps.keys, sealed, workspace_id=workspace_id, credential_id=credential_id
        )
    except DecryptionFailed as exc:
        # A row that does not open has been moved or tampered with: worth a record.
        with contextlib.suppress(SkyclustError):
            await deps.audit.record(entry("failure", code=exc.code, cause=exc.reason))
        raise
    secret: dict[str, Any] = json.loads(plaintext)
    for value in providers.secret_values_in(secret):
        register_secret(value)
    # The audit trail confirms the record before anything is returned; if it cannot,
    # the caller gets AUDIT_UNAVAILABLE and no secret.
    await deps.audit.record(entry("success", provider=provider))
    async with deps.uow() as uow:
        credential = await uow.credentials.get(req.workspace_id, req.credential_id)
        if credential is None:
            raise _not_found()
        credential.last_used_at = utcnow()
        uow.emit(
            new_event(
                "CredentialDecrypted",
                {
                    "credential_id": credential_id,
                    "service": caller,
                    "reason": req.reason,
                    "correlation_id": correlation_id,
                },
                source=SOURCE,
                subject=credential_id,
                workspace_id=workspace_id,
                correlation_id=correlation_id,
            )
        )
        await uow.commit()
    return {"provider": provider, "data": secret}
