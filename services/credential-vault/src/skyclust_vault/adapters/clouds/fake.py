"""A cloud in memory that knows which secrets are real: the checker unit tests use."""

from __future__ import annotations

from skyclust_common.db import utcnow

from ...domain.providers import AwsCredential, AzureCredential, CloudSecret, GcpCredential
from ...domain.validation import CheckResult, provider_unavailable


class FakeCloud:
    """`accept(secret, account)` makes a secret valid for `account`; anything else is
    invalid with the reason each real cloud gives; `down = True` makes it unreachable."""

    REASONS = {"aws": "SignatureDoesNotMatch", "gcp": "invalid_grant", "azure": "AADSTS7000215"}

    def __init__(self) -> None:
        self.accounts: dict[str, str] = {}
        self.down = False
        self.checks = 0

    @staticmethod
    def _key(secret: CloudSecret) -> str:
        if isinstance(secret, AwsCredential):
            return secret.secret_access_key
        if isinstance(secret, GcpCredential):
            return secret.service_account_json.private_key_id
        assert isinstance(secret, AzureCredential)
        return secret.client_secret

    def accept(self, secret: CloudSecret, account: str) -> None:
        self.accounts[self._key(secret)] = account

    async def check(self, secret: CloudSecret) -> CheckResult:
        self.checks += 1
        if self.down:
            raise provider_unavailable(secret.provider, f"{secret.provider} is down")
        account = self.accounts.get(self._key(secret))
        if account is None:
            return CheckResult(
                valid=False,
                checked_at=utcnow(),
                reason=self.REASONS[secret.provider],
                message="the cloud refused the credential",
            )
        return CheckResult(valid=True, checked_at=utcnow(), account_id=account)
