"""The one interface the vault's handlers see for checking a credential with its cloud:
a cheap authenticated read that says valid (and which account) or invalid (and the
provider's reason). A cloud that cannot be reached raises PROVIDER_UNAVAILABLE: that
says nothing about the credential."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from typing import Protocol

from skyclust_common.cloud.blocking import in_thread

from ...domain.errors import ProviderNotSupported
from ...domain.providers import CloudSecret
from ...domain.validation import CheckResult, provider_unavailable


class CredentialChecker(Protocol):
    async def check(self, secret: CloudSecret) -> CheckResult: ...


class LazyChecker:
    """A cloud's checker built on its first check, on a worker thread. Building it imports
    its module and so the cloud's SDK (boto3, google-auth, azure-identity): a vault that
    has not checked a credential of that cloud does not carry it."""

    def __init__(self, build: Callable[[], CredentialChecker]) -> None:
        self._build = build
        self._checker: CredentialChecker | None = None
        self._lock = threading.Lock()

    def _built(self) -> CredentialChecker:
        with self._lock:
            if self._checker is None:
                self._checker = self._build()
            return self._checker

    async def check(self, secret: CloudSecret) -> CheckResult:
        checker = self._checker
        if checker is None:
            checker = await in_thread(self._built)
        return await checker.check(secret)


class Checkers:
    """Dispatches to the checker of the secret's provider, bounding each check in time."""

    def __init__(self, checkers: Mapping[str, CredentialChecker], *, timeout: float) -> None:
        self._checkers = dict(checkers)
        self._timeout = timeout

    async def check(self, secret: CloudSecret) -> CheckResult:
        checker = self._checkers.get(secret.provider)
        if checker is None:
            # A provider's error as the cloud adapters raise it: 502, not retryable.
            raise ProviderNotSupported(
                f"{secret.provider} credentials cannot be checked here",
                status=502,
                retryable=False,
                details={"provider": secret.provider},
            )
        try:
            return await asyncio.wait_for(checker.check(secret), self._timeout)
        except TimeoutError:
            raise provider_unavailable(
                secret.provider, f"{secret.provider} did not answer within {self._timeout:g} s"
            ) from None
