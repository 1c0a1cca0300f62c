"""GCP: read the key's own project from Resource Manager with an OAuth token obtained
with the key (the token exchange is what proves the key)."""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions as api_exceptions
from google.auth import exceptions as auth_exceptions
from requests import RequestException

from skyclust_common.cloud import get_gcp_project
from skyclust_common.cloud.blocking import in_thread
from skyclust_common.db import utcnow

from ...domain.providers import CloudSecret, GcpCredential
from ...domain.validation import CheckResult, provider_unavailable, scrub

GOOGLE_TOKEN_URIS = frozenset(
    {
        "https://oauth2.googleapis.com/token",
        "https://accounts.google.com/o/oauth2/token",
        "https://www.googleapis.com/oauth2/v4/token",
    }
)


class GcpChecker:
    def __init__(self, endpoint_url: str | None = None, *, timeout: float = 10.0) -> None:
        self.endpoint_url = endpoint_url.rstrip("/") if endpoint_url else None
        self.timeout = timeout

    def allowed_token_uris(self) -> frozenset[str]:
        if self.endpoint_url:
            return frozenset({f"{self.endpoint_url}/token"})
        return GOOGLE_TOKEN_URIS

    def _invalid(self, credential: GcpCredential, reason: str, message: str) -> CheckResult:
        return CheckResult(
            valid=False,
            checked_at=utcnow(),
            reason=reason,
            message=scrub(message, credential.secret_values()),
        )

    def _check(self, credential: GcpCredential) -> CheckResult:
        key = credential.service_account_json
        # The key is sent a signed assertion to its token_uri: never to an arbitrary host.
        if key.token_uri not in self.allowed_token_uris():
            return self._invalid(
                credential,
                "TOKEN_URI_NOT_ALLOWED",
                "the key file's token_uri is not Google's token endpoint",
            )
        info: dict[str, Any] = key.model_dump(exclude_none=True)
        try:
            project = get_gcp_project(info, self.endpoint_url, timeout=self.timeout)
        except auth_exceptions.RefreshError as exc:
            if getattr(exc, "retryable", False):
                raise provider_unavailable("gcp", "Google's token endpoint failed") from None
            text = str(exc.args[0]) if exc.args else str(exc)
            reason = text.split(":", 1)[0].strip() or "invalid_grant"
            return self._invalid(credential, reason[:64], text)
        except api_exceptions.GoogleAPICallError as exc:
            status = _status(exc)
            if exc.code is not None and (int(exc.code) >= 500 or int(exc.code) == 429):
                raise provider_unavailable("gcp", f"Google answered {exc.code}") from None
            return self._invalid(credential, status, exc.message or status)
        except (auth_exceptions.TransportError, RequestException) as exc:
            unreachable = f"Google is unreachable: {type(exc).__name__}"
            raise provider_unavailable("gcp", unreachable) from None
        return CheckResult(
            valid=True,
            checked_at=utcnow(),
            account_id=str(project.get("projectId") or key.project_id),
        )

    async def check(self, secret: CloudSecret) -> CheckResult:
        assert isinstance(secret, GcpCredential)
        return await in_thread(
            lambda: self._check(secret), provider="gcp", operation="check_credential"
        )


def _status(exc: api_exceptions.GoogleAPICallError) -> str:
    response = getattr(exc, "response", None)
    try:
        body = response.json() if response is not None else {}
        status = body.get("error", {}).get("status")
    except ValueError:
        status = None
    return str(status or type(exc).__name__)
