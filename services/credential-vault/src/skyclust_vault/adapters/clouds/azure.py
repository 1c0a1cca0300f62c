"""Azure: a client-credentials token from Entra ID, then GET the subscription."""

from __future__ import annotations

import re

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from skyclust_common.cloud import azure_credential, get_azure_subscription
from skyclust_common.cloud.blocking import in_thread
from skyclust_common.db import utcnow

from ...domain.providers import AzureCredential, CloudSecret
from ...domain.validation import CheckResult, provider_unavailable, scrub

_AADSTS = re.compile(r"AADSTS[0-9]+")


class AzureChecker:
    def __init__(self, endpoint_url: str | None = None, *, ca_bundle: str | None = None) -> None:
        self.endpoint_url = endpoint_url
        self.ca_bundle = ca_bundle

    def _invalid(self, credential: AzureCredential, reason: str, message: str) -> CheckResult:
        return CheckResult(
            valid=False,
            checked_at=utcnow(),
            reason=reason[:64],
            message=scrub(message, credential.secret_values()),
        )

    def _check(self, credential: AzureCredential) -> CheckResult:
        options = {"retry_total": 1, "connection_timeout": 5, "read_timeout": 10}
        token_credential = azure_credential(
            credential.tenant_id,
            credential.client_id,
            credential.client_secret,
            self.endpoint_url,
            ca_bundle=self.ca_bundle,
            **options,
        )
        try:
            with token_credential:
                subscription = get_azure_subscription(
                    token_credential,
                    credential.subscription_id,
                    self.endpoint_url,
                    ca_bundle=self.ca_bundle,
                    **options,
                )
        except ClientAuthenticationError as exc:
            text = exc.message or str(exc)
            found = _AADSTS.search(text)
            code = found.group(0) if found else _code(exc)
            if code is None and exc.status_code is None:
                # azure-identity reports an unreachable Entra ID as an authentication
                # error with no Entra code and no HTTP status: no verdict.
                raise provider_unavailable("azure", "Entra ID is unreachable") from None
            return self._invalid(credential, code or "AuthenticationFailed", text.split("\n", 1)[0])
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise provider_unavailable(
                "azure", f"Azure is unreachable: {type(exc).__name__}"
            ) from None
        except HttpResponseError as exc:
            if exc.status_code is not None and (exc.status_code >= 500 or exc.status_code == 429):
                raise provider_unavailable("azure", f"Azure answered {exc.status_code}") from None
            code = _code(exc) or f"HTTP{exc.status_code}"
            return self._invalid(credential, code, (exc.message or code).split("\n", 1)[0])
        return CheckResult(
            valid=True,
            checked_at=utcnow(),
            account_id=str(subscription.get("subscriptionId") or credential.subscription_id),
        )

    async def check(self, secret: CloudSecret) -> CheckResult:
        assert isinstance(secret, AzureCredential)
        return await in_thread(
            lambda: self._check(secret), provider="azure", operation="check_credential"
        )


def _code(exc: HttpResponseError) -> str | None:
    error = getattr(exc, "error", None)
    return str(error.code) if error is not None and error.code else None
