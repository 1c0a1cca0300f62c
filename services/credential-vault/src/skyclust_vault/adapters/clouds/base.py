"""The one interface the vault's handlers see for checking a credential with its cloud:
a cheap authenticated read that says valid (and which account) or invalid (and the
provider's reason). A cloud that cannot be reached raises PROVIDER_UNAVAILABLE: that
says nothing about the credential."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Protocol

from skyclust_common.errors import ProviderError

from ...domain.providers import CloudSecret
from ...domain.validation import CheckResult, provider_unavailable


class CredentialChecker(Protocol):
    async def check(self, secret: CloudSecret) -> CheckResult: ...


class Checkers:
    """Dispatches to the checker of the secret's provider, bounding each check in time."""

    def __init__(self, checkers: Mapping[str, CredentialChecker], *, timeout: float) -> None:
        self._checkers = dict(checkers)
        self._timeout = timeout

    async def check(self, secret: CloudSecret) -> CheckResult:
        checker = self._checkers.get(secret.provider)
        if checker is None:
            raise ProviderError(
                f"{secret.provider} credentials cannot be checked here",
                code="PROVIDER_NOT_SUPPORTED",
                provider=secret.provider,
            )
        try:
            return await asyncio.wait_for(checker.check(secret), self._timeout)
        except TimeoutError:
            raise provider_unavailable(
                secret.provider, f"{secret.provider} did not answer within {self._timeout:g} s"
            ) from None


async def in_thread(fn: Callable[[], CheckResult]) -> CheckResult:
    """The cloud SDKs block; run them off the event loop."""
    return await asyncio.to_thread(fn)
