"""Identity's composition root: everything is built here from settings; tests pass fakes."""

from __future__ import annotations

from pathlib import Path

from skyclust_common.runtime import Runtime

from .adapters.passwords import Passwords
from .entrypoints import rpc
from .handlers.auth import IdentityDeps
from .settings import IdentitySettings

SERVICE = "identity"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def bootstrap(
    runtime: Runtime, settings: IdentitySettings, *, passwords: Passwords | None = None
) -> IdentityDeps:
    return IdentityDeps(uow=runtime.uow, passwords=passwords or Passwords(), settings=settings)


async def wire(runtime: Runtime, settings: IdentitySettings) -> None:
    await rpc.register(runtime.bus, bootstrap(runtime, settings))
