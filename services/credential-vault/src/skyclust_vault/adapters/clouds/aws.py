"""AWS: sts:GetCallerIdentity (after sts:AssumeRole when the credential names a role)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from skyclust_common.cloud.aws_errors import aws_error, is_retryable
from skyclust_common.cloud.blocking import in_thread
from skyclust_common.db import utcnow

from ...domain.providers import AwsCredential, CloudSecret
from ...domain.validation import CheckResult, provider_unavailable, scrub

SESSION_NAME = "skyclust-validation"


class AwsChecker:
    def __init__(self, endpoint_url: str | None = None) -> None:
        self.endpoint_url = endpoint_url

    def _sts(self, credential: AwsCredential, keys: dict[str, Any]) -> Any:
        session = boto3.session.Session(region_name=credential.region or "us-east-1")
        return session.client(
            "sts",
            endpoint_url=self.endpoint_url,
            config=Config(
                retries={"max_attempts": 2, "mode": "standard"},
                connect_timeout=5,
                read_timeout=10,
            ),
            **keys,
        )

    def _check(self, credential: AwsCredential) -> CheckResult:
        keys: dict[str, Any] = {
            "aws_access_key_id": credential.access_key_id,
            "aws_secret_access_key": credential.secret_access_key,
            "aws_session_token": credential.session_token,
        }
        try:
            if credential.role_arn:
                assumed = self._sts(credential, keys).assume_role(
                    RoleArn=credential.role_arn, RoleSessionName=SESSION_NAME, DurationSeconds=900
                )["Credentials"]
                keys = {
                    "aws_access_key_id": assumed["AccessKeyId"],
                    "aws_secret_access_key": assumed["SecretAccessKey"],
                    "aws_session_token": assumed["SessionToken"],
                }
            identity = self._sts(credential, keys).get_caller_identity()
        except ClientError as exc:
            code, message = aws_error(exc) or ("Unknown", str(exc))
            # Throttling or AWS's own trouble says nothing about the credential.
            if is_retryable(code):
                raise provider_unavailable("aws", f"AWS answered {code}") from None
            return CheckResult(
                valid=False,
                checked_at=utcnow(),
                reason=code,
                message=scrub(message, credential.secret_values()),
            )
        except BotoCoreError as exc:
            raise provider_unavailable("aws", f"AWS is unreachable: {type(exc).__name__}") from None
        return CheckResult(valid=True, checked_at=utcnow(), account_id=str(identity["Account"]))

    async def check(self, secret: CloudSecret) -> CheckResult:
        assert isinstance(secret, AwsCredential)
        return await in_thread(
            lambda: self._check(secret), provider="aws", operation="check_credential"
        )
