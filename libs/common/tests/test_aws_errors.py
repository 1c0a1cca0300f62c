"""AWS errors translated once for every service: the union of the throttling codes the
three former copies knew, AWS's own trouble as retryable, the shared user-facing codes,
and a service's own codes on top."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from skyclust_common.cloud.aws_errors import (
    RETRYABLE_CODES,
    THROTTLING_CODES,
    aws_error,
    is_retryable,
    translate_aws,
)
from skyclust_common.errors import ProviderError

pytestmark = pytest.mark.unit


def client_error(code: str, message: str = "it said no") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "DescribeVpcs")


def translated(exc: Exception, codes: dict[str, str] | None = None) -> ProviderError:
    error = translate_aws(exc, codes)
    assert error is not None
    return error


def test_the_throttling_codes_are_the_union_of_the_three_copies():
    vault = {"Throttling", "ThrottlingException", "RequestLimitExceeded"}
    network = {"RequestLimitExceeded", "Throttling", "ThrottlingException"}
    provisioning = {"ThrottlingException", "Throttling", "TooManyRequestsException"}
    assert vault | network | provisioning == THROTTLING_CODES


@pytest.mark.parametrize("code", sorted(THROTTLING_CODES))
def test_throttling_is_retryable_and_says_throttled(code):
    error = translated(client_error(code, "Rate exceeded"))
    assert (error.code, error.retryable, error.provider) == ("PROVIDER_THROTTLED", True, "aws")
    assert error.message == "Rate exceeded"


@pytest.mark.parametrize(
    "code",
    [
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "Unavailable",
        "InternalError",
        "InternalFailure",
        "ServerException",
        "RequestTimeout",
    ],
)
def test_aws_trouble_is_retryable_and_says_unavailable(code):
    assert is_retryable(code)
    error = translated(client_error(code))
    assert (error.code, error.retryable) == ("PROVIDER_UNAVAILABLE", True)
    assert error.details == {"aws_code": code}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("AuthFailure", "PROVIDER_AUTH_FAILED"),
        ("UnrecognizedClientException", "PROVIDER_AUTH_FAILED"),
        ("InvalidClientTokenId", "PROVIDER_AUTH_FAILED"),
        ("SignatureDoesNotMatch", "PROVIDER_AUTH_FAILED"),
        ("UnauthorizedOperation", "PROVIDER_ACCESS_DENIED"),
        ("AccessDeniedException", "PROVIDER_ACCESS_DENIED"),
        ("InvalidParameterValue", "PROVIDER_INVALID_REQUEST"),
        ("InvalidParameterException", "PROVIDER_INVALID_REQUEST"),
        ("SomethingNobodyMapped", "PROVIDER_ERROR"),
    ],
)
def test_other_answers_are_permanent_with_their_user_facing_code(code, expected):
    assert not is_retryable(code)
    error = translated(client_error(code))
    assert (error.code, error.retryable) == (expected, False)
    assert error.details == {"aws_code": code}


def test_a_service_adds_its_own_codes_and_they_win():
    codes = {"VpcLimitExceeded": "PROVIDER_QUOTA_EXCEEDED", "AccessDenied": "MINE"}
    assert translated(client_error("VpcLimitExceeded"), codes).code == "PROVIDER_QUOTA_EXCEEDED"
    assert translated(client_error("AccessDenied"), codes).code == "MINE"
    assert translated(client_error("VpcLimitExceeded")).code == "PROVIDER_ERROR"


def test_no_answer_at_all_is_retryable_and_a_bug_is_not_translated():
    unreachable = translated(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    assert (unreachable.code, unreachable.retryable) == ("PROVIDER_UNAVAILABLE", True)
    local = translated(NoCredentialsError())
    assert (local.code, local.retryable) == ("PROVIDER_ERROR", True)
    assert translate_aws(ValueError("a bug")) is None
    assert translate_aws(KeyError("access_key_id")) is None


def test_aws_error_reads_code_and_message_and_ignores_the_rest():
    assert aws_error(client_error("Throttling", "slow down")) == ("Throttling", "slow down")
    assert aws_error(ClientError({"Error": {"Code": "X"}}, "Op")) == ("X", "X")
    assert aws_error(ValueError("no")) is None
    assert RETRYABLE_CODES >= THROTTLING_CODES
