"""AWS errors, as every service that calls AWS translates them: throttling and server
trouble are retryable, the usual credential and request errors have one user-facing
code everywhere. A service adds the codes of its own APIs (EC2 quotas, EKS limits).
botocore is imported only when an error is translated: skyclust-common does not depend
on it, and whoever calls this has already loaded it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ProviderError

PROVIDER = "aws"

# Every throttling code any AWS API of ours answers with (EC2, STS, EKS, IAM).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
    }
)
# AWS's own trouble: says nothing about the request or the credential.
UNAVAILABLE_CODES = frozenset(
    {
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "Unavailable",
        "InternalError",
        "InternalFailure",
        "ServerException",
        "RequestTimeout",
    }
)
RETRYABLE_CODES = THROTTLING_CODES | UNAVAILABLE_CODES

COMMON_CODES: Mapping[str, str] = {
    "AuthFailure": "PROVIDER_AUTH_FAILED",
    "UnrecognizedClientException": "PROVIDER_AUTH_FAILED",
    "InvalidClientTokenId": "PROVIDER_AUTH_FAILED",
    "SignatureDoesNotMatch": "PROVIDER_AUTH_FAILED",
    "ExpiredToken": "PROVIDER_AUTH_FAILED",
    "UnauthorizedOperation": "PROVIDER_ACCESS_DENIED",
    "AccessDenied": "PROVIDER_ACCESS_DENIED",
    "AccessDeniedException": "PROVIDER_ACCESS_DENIED",
    "InvalidParameterValue": "PROVIDER_INVALID_REQUEST",
    "InvalidParameter": "PROVIDER_INVALID_REQUEST",
    "InvalidParameterCombination": "PROVIDER_INVALID_REQUEST",
    "InvalidParameterException": "PROVIDER_INVALID_REQUEST",
    "InvalidRequestException": "PROVIDER_INVALID_REQUEST",
    "MissingParameter": "PROVIDER_INVALID_REQUEST",
}


def aws_error(exc: Exception) -> tuple[str, str] | None:
    """(code, message) of an error AWS answered with; None for anything else."""
    response: Any = getattr(exc, "response", None)
    if not isinstance(response, dict) or "Error" not in response:
        return None
    error = response.get("Error") or {}
    code = str(error.get("Code") or "Unknown")
    return code, str(error.get("Message") or code)


def is_retryable(code: str) -> bool:
    return code in RETRYABLE_CODES


def translate_aws(
    exc: Exception, codes: Mapping[str, str] | None = None, *, provider: str = PROVIDER
) -> ProviderError | None:
    """The ProviderError for a botocore error; None for anything else (a bug). `codes`
    are the service's own AWS codes, on top of COMMON_CODES."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    if isinstance(exc, ClientError):
        answered = aws_error(exc)
        code, message = answered if answered is not None else ("Unknown", str(exc))
        if code in THROTTLING_CODES:
            return ProviderError(
                message, code="PROVIDER_THROTTLED", retryable=True, provider=provider
            )
        if code in UNAVAILABLE_CODES:
            return ProviderError(
                message,
                code="PROVIDER_UNAVAILABLE",
                retryable=True,
                provider=provider,
                details={"aws_code": code},
            )
        user_code = (codes or {}).get(code) or COMMON_CODES.get(code, "PROVIDER_ERROR")
        return ProviderError(
            message,
            code=user_code,
            retryable=False,
            provider=provider,
            details={"aws_code": code},
        )
    if isinstance(exc, EndpointConnectionError):
        return ProviderError(
            "AWS endpoint unreachable",
            code="PROVIDER_UNAVAILABLE",
            retryable=True,
            provider=provider,
        )
    if isinstance(exc, BotoCoreError):
        return ProviderError(str(exc), code="PROVIDER_ERROR", retryable=True, provider=provider)
    return None
