"""Key rotation: moving every credential to the active key-encryption key (online, in
batches, resumable: each row says which version it is under), and retiring versions no
credential uses any more."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..domain.errors import DecryptionFailed, InvalidKeyVersion, KeyVersionActive, KeyVersionInUse
from .credentials import VaultDeps, ensure_writable, sealed_of, store_sealed
from .sealing import reseal

log = logging.getLogger(__name__)
_VERSION = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


@dataclass
class RewrapReport:
    rewrapped: int = 0
    failed: list[str] = field(default_factory=list)  # credential ids that would not open


async def rewrap_batch(deps: VaultDeps, batch_size: int, skip: list[uuid.UUID]) -> RewrapReport:
    """One transaction: up to `batch_size` credentials moved to the active version."""
    report = RewrapReport()
    active = deps.keys.active_version
    async with deps.uow() as uow:
        await ensure_writable(uow, active)
        batch = await uow.credentials.not_on_version(active, deps.keys.versions, skip, batch_size)
        for credential in batch:
            try:
                sealed = await reseal(
                    deps.keys,
                    sealed_of(credential),
                    workspace_id=str(credential.workspace_id),
                    credential_id=str(credential.id),
                )
            except DecryptionFailed as exc:
                log.error(
                    "credential cannot be rewrapped",
                    extra={"credential_id": str(credential.id), "reason": exc.reason},
                )
                report.failed.append(str(credential.id))
                continue
            store_sealed(credential, sealed)
            report.rewrapped += 1
        await uow.commit()
    return report


async def rewrap_all(deps: VaultDeps, batch_size: int, pause: float = 0.0) -> RewrapReport:
    """Batches until no readable credential is left on an older version. Safe to run
    in several processes at once and to stop at any point."""
    total = RewrapReport()
    while True:
        skip = [uuid.UUID(i) for i in total.failed]
        report = await rewrap_batch(deps, batch_size, skip)
        total.rewrapped += report.rewrapped
        total.failed += report.failed
        if report.rewrapped == 0 and not report.failed:
            return total
        if pause:
            await asyncio.sleep(pause)


async def is_rewrap_target(deps: VaultDeps) -> bool:
    async with deps.uow() as uow:
        return await uow.key_activations.latest() == deps.keys.active_version


async def rewrap_pass(deps: VaultDeps, batch_size: int) -> None:
    """One pass of the vault's background rewrapper, a periodic job: it does anything only
    while this process's active version is the latest one activated."""
    if not await is_rewrap_target(deps):
        return
    report = await rewrap_all(deps, batch_size, pause=0.05)
    if report.rewrapped or report.failed:
        log.info(
            "rewrapped credentials to the active key version",
            extra={
                "version": deps.keys.active_version,
                "rewrapped": report.rewrapped,
                "failed": len(report.failed),
            },
        )


async def activate(deps: VaultDeps) -> None:
    """Make this process's active version the rewrap target, even if another was
    activated since (moving back to an older version on purpose)."""
    async with deps.uow() as uow:
        await ensure_writable(uow, deps.keys.active_version)
        await uow.key_activations.record(deps.keys.active_version, again=True)
        await uow.commit()


async def key_status(deps: VaultDeps) -> dict[str, Any]:
    async with deps.uow() as uow:
        counts = await uow.credentials.count_by_version()
        activations = await uow.key_activations.all()
        target = await uow.key_activations.latest()
        retired = [
            {"version": r.version, "retired_at": r.retired_at.isoformat(), "by": r.retired_by}
            for r in await uow.retired_keys.all()
        ]
    return {
        "active": deps.keys.active_version,
        "configured": sorted(deps.keys.versions),
        "rewrap_target": target,
        "activated": [{"version": v, "activated_at": at.isoformat()} for v, at in activations],
        "retired": retired,
        "credentials_by_version": dict(sorted(counts.items())),
        "pending_rewrap": sum(n for v, n in counts.items() if v != deps.keys.active_version),
        "unreadable": sum(n for v, n in counts.items() if v not in deps.keys.versions),
    }


async def retire(deps: VaultDeps, version: str, retired_by: str | None) -> dict[str, Any]:
    """Record that `version` will never be used again, so it can leave the keyring.
    Refused while it is the active version or any credential is still under it."""
    if not _VERSION.match(version):
        raise InvalidKeyVersion("not a key version name")
    if version == deps.keys.active_version:
        raise KeyVersionActive(
            f"key version {version} is the active one; activate another version first"
        )
    async with deps.uow() as uow:
        repo = uow.credentials
        await repo.lock_against_writes()
        in_use = (await repo.count_by_version()).get(version, 0)
        if in_use:
            raise KeyVersionInUse(
                f"key version {version} still protects {in_use} credential(s); "
                "run the rewrap first",
                details={"version": version, "credentials": in_use},
            )
        await uow.retired_keys.add(version, retired_by)
        await uow.commit()
    log.info("key version retired", extra={"version": version, "by": retired_by})
    return {"version": version, "retired": True}
