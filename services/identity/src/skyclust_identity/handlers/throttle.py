"""Failed-login throttling per account and per client, shared by the password step
and the MFA step of a login: a guessed code costs as much as a guessed password."""

from __future__ import annotations

from datetime import timedelta

from ..domain.errors import TooManyLoginAttempts
from ..domain.ports import IdentityUow
from .base import IdentityDeps, now


def login_keys(deps: IdentityDeps, email: str, client: str | None) -> list[tuple[str, int]]:
    settings = deps.settings
    return [
        (f"account:{email}", settings.login_max_failures_per_account),
        (f"client:{client or 'unknown'}", settings.login_max_failures_per_client),
    ]


async def throttled(uow: IdentityUow, deps: IdentityDeps, keys: list[tuple[str, int]]) -> None:
    window = timedelta(seconds=deps.settings.login_window_seconds)
    for key, limit in keys:
        attempt = await uow.login_attempts.get(key)
        if attempt and attempt.window_start > now() - window and attempt.failures >= limit:
            retry = int((attempt.window_start + window - now()).total_seconds()) + 1
            raise TooManyLoginAttempts(
                "too many failed logins; try again later", details={"retry_after": retry}
            )


async def record_failure(deps: IdentityDeps, keys: list[str]) -> None:
    window_start = now() - timedelta(seconds=deps.settings.login_window_seconds)
    async with deps.uow() as uow:
        for key in keys:
            await uow.login_attempts.record_failure(key, at=now(), window_start=window_start)
        await uow.commit()
