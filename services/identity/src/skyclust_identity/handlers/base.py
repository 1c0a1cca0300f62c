"""What every identity handler shares: its dependencies, the clock, the events it
emits and the views it answers with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from skyclust_common.envelope import CloudEvent, new_event

from ..adapters.oidc import OidcProviders
from ..adapters.passwords import Passwords
from ..domain.ports import IdentityUow, UserRecord, WorkspaceRecord
from ..settings import IdentitySettings

SOURCE = "identity"


@dataclass
class IdentityDeps:
    uow: Callable[[], IdentityUow]
    passwords: Passwords
    settings: IdentitySettings
    oidc: OidcProviders | None = None
    # Cuts an API key's open NATS connections (adapters.nats_sessions), when identity has
    # nats-server's system account; set by the auth callout's entry point.
    cut_nats_sessions: Callable[[str], Awaitable[int]] | None = None


def now() -> datetime:
    return datetime.now(UTC)


def identity_event(
    name: str, data: dict[str, Any], *, subject: str, workspace_id: str, actor: str | None
) -> CloudEvent:
    return new_event(
        name, data, source=SOURCE, subject=subject, workspace_id=workspace_id, actor_id=actor
    )


def user_view(user: UserRecord) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "created_at": user.created_at.isoformat(),
        "email_verified": user.email_verified_at is not None,
        "mfa_enabled": user.mfa_enabled_at is not None,
    }


def workspace_view(workspace: WorkspaceRecord, role: str) -> dict[str, Any]:
    return {"id": str(workspace.id), "name": workspace.name, "role": role}
