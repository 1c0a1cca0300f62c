"""Identity's composition root: everything is built here from settings; tests pass fakes."""

from __future__ import annotations

from pathlib import Path

from skyclust_common.runtime import Runtime, ServiceSpec

from .adapters.db import metadata
from .adapters.oidc import OidcProviders, OidcSettings
from .adapters.passwords import Passwords
from .adapters.uow import IdentityUnitOfWork
from .entrypoints import auth_callout, events, rpc
from .handlers.base import IdentityDeps
from .settings import IdentitySettings

SERVICE = "identity"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def passwords_from(settings: IdentitySettings) -> Passwords:
    return Passwords(memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost)


def bootstrap(
    runtime: Runtime, settings: IdentitySettings, *, passwords: Passwords | None = None
) -> IdentityDeps:
    def uow() -> IdentityUnitOfWork:
        db = runtime.db
        return IdentityUnitOfWork(db.sessions, db.metadata, runtime.registry, db.relay.wake)

    return IdentityDeps(
        uow=uow,
        passwords=passwords or passwords_from(settings),
        settings=settings,
        # Read at start, so a bad SKYCLUST_OIDC_PROVIDERS stops the service with the field named.
        oidc=OidcProviders(OidcSettings()),
    )


async def wire(runtime: Runtime, settings: IdentitySettings) -> IdentityDeps:
    deps = bootstrap(runtime, settings)
    await rpc.register(runtime.bus, deps)
    await events.register(runtime.bus, deps)
    await auth_callout.register(runtime.bus, deps)
    return deps


SPEC = ServiceSpec(
    name=SERVICE,
    settings=IdentitySettings,
    wire=wire,
    metadata=metadata,
    migrations=MIGRATIONS,
)
