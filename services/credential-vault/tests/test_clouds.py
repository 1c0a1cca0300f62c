"""Checking credentials with their clouds: AWS on moto with IAM authentication enforced,
GCP and Azure on the project's emulators. Valid and wrong secrets give the right status
and the provider's own reason, through the vault's handlers and stored with the
credential; an unreachable cloud is no verdict at all."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from skyclust_common.errors import ProviderError, SkyclustError
from skyclust_tools.embedded import free_port, wait_for_port
from skyclust_tools.emulators import azure as azure_emulator
from skyclust_tools.emulators import gcp as gcp_emulator
from skyclust_vault.adapters.clouds.aws import AwsChecker
from skyclust_vault.adapters.clouds.azure import AzureChecker
from skyclust_vault.adapters.clouds.base import Checkers, CredentialChecker
from skyclust_vault.adapters.clouds.gcp import GcpChecker
from skyclust_vault.domain.providers import parse
from skyclust_vault.handlers import credentials

from .conftest import Harness, fresh_rsa_pem, keyring

pytestmark = pytest.mark.integration
GCP_PROJECT = "skyclust-test"


@dataclass
class Moto:
    url: str
    user_key: dict[str, str]
    role_arn: str


def _unauthenticated(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="set-up-before-auth-is-enforced",
    )


ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@pytest.fixture(scope="module")
def moto() -> Iterator[Moto]:
    # A moto of our own, without the AWS-managed policies the shared one loads (seconds
    # of start-up); an inline policy grants the user what it needs.
    port = free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, 30, proc)
        iam = _unauthenticated(url, "iam")
        iam.create_user(UserName="skyclust")
        iam.put_user_policy(
            UserName="skyclust", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL)
        )
        key = iam.create_access_key(UserName="skyclust")["AccessKey"]
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
            ],
        }
        role = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=json.dumps(trust))
        # From here on moto checks every request's signature against its IAM users.
        request = urllib.request.Request(
            f"{url}/moto-api/reset-auth",
            data=b"0",
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        urllib.request.urlopen(request, timeout=5).close()
        yield Moto(
            url,
            {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]},
            role["Role"]["Arn"],
        )
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def gcp() -> Iterator[gcp_emulator.RunningGcpEmulator]:
    with gcp_emulator.run_in_thread(durations={"default": 0}) as running:
        yield running


@pytest.fixture(scope="module")
def azure() -> Iterator[azure_emulator.RunningAzureEmulator]:
    with azure_emulator.run_in_thread(durations={"default": 0}) as running:
        yield running


@pytest.fixture
def clouds(moto, gcp, azure, engine) -> Harness:
    checker = Checkers(
        {
            "aws": AwsChecker(moto.url),
            "gcp": GcpChecker(gcp.url),
            "azure": AzureChecker(azure.url, ca_bundle=azure.ca_bundle),
        },
        timeout=20,
    )
    return Harness(engine, keyring("v1"), checker=checker)


def gcp_key(gcp: gcp_emulator.RunningGcpEmulator) -> dict[str, Any]:
    return gcp.admin.create_service_account_key(GCP_PROJECT)


def azure_account(azure: azure_emulator.RunningAzureEmulator) -> dict[str, Any]:
    account = azure.admin.create_account()
    return {k: account[k] for k in ("tenant_id", "client_id", "client_secret", "subscription_id")}


def assert_invalid(created: dict[str, Any], reason: str, secret: str) -> None:
    assert (created["status"], created["status_reason"]) == ("invalid", reason), created
    assert created["last_validated_at"] is not None
    assert secret not in json.dumps(created)


async def test_aws_valid_and_wrong_secret(clouds: Harness, moto: Moto):
    valid = await clouds.create("aws", {**moto.user_key, "region": "us-east-1"}, valid=False)
    assert (valid["status"], valid["account_id"]) == ("valid", "123456789012")

    wrong = {**moto.user_key, "secret_access_key": "not-the-secret-" + uuid.uuid4().hex}
    created = await clouds.create("aws", wrong, valid=False)
    assert_invalid(created, "SignatureDoesNotMatch", wrong["secret_access_key"])
    assert "Secret Access Key" in (created["status_message"] or "")

    unknown = {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "x" * 40}
    assert_invalid(
        await clouds.create("aws", unknown, valid=False), "InvalidClientTokenId", "x" * 40
    )

    role = await clouds.create("aws", {**moto.user_key, "role_arn": moto.role_arn}, valid=False)
    assert (role["status"], role["account_id"]) == ("valid", "123456789012")


async def test_gcp_valid_forged_and_revoked_keys(clouds: Harness, gcp):
    key = gcp_key(gcp)
    valid = await clouds.create("gcp", {"service_account_json": key}, valid=False)
    assert (valid["status"], valid["account_id"]) == ("valid", GCP_PROJECT)
    assert valid["masked"]["client_email"] == f"skyclust@{GCP_PROJECT}.iam.gserviceaccount.com"

    forged = {**key, "private_key": fresh_rsa_pem()}
    created = await clouds.create("gcp", {"service_account_json": forged}, valid=False)
    assert_invalid(created, "invalid_grant", forged["private_key"])

    gcp.admin.revoke_key(key["private_key_id"])
    checked = await clouds.call(credentials.validate, credential_id=valid["id"])
    assert_invalid(checked, "invalid_grant", key["private_key"])

    elsewhere = {**gcp_key(gcp), "token_uri": "https://attacker.example/token"}
    created = await clouds.create("gcp", {"service_account_json": elsewhere}, valid=False)
    assert_invalid(created, "TOKEN_URI_NOT_ALLOWED", elsewhere["private_key"])


async def test_azure_valid_wrong_secret_and_rotation(clouds: Harness, azure):
    account = azure_account(azure)
    valid = await clouds.create("azure", account, valid=False)
    assert (valid["status"], valid["account_id"]) == ("valid", account["subscription_id"])

    wrong = {**account, "client_secret": "not-the-secret-" + uuid.uuid4().hex}
    assert_invalid(
        await clouds.create("azure", wrong, valid=False), "AADSTS7000215", wrong["client_secret"]
    )
    stranger = {**account, "client_id": str(uuid.uuid4())}
    assert_invalid(
        await clouds.create("azure", stranger, valid=False),
        "AADSTS700016",
        account["client_secret"],
    )

    # Rotation as Azure does it: a second secret added, moved to, the first removed.
    new_secret = azure.admin.add_client_secret(account["client_id"])
    rotated = await clouds.call(
        credentials.rotate,
        credential_id=valid["id"],
        data={**account, "client_secret": new_secret},
    )
    assert rotated["status"] == "valid"
    azure.admin.remove_client_secret(account["client_id"], account["client_secret"])
    checked = await clouds.call(credentials.validate, credential_id=valid["id"])
    assert checked["status"] == "valid"
    assert (await clouds.decrypt(valid["id"]))["data"]["client_secret"] == new_secret

    other_subscription = azure.admin.create_account(tenant_id=account["tenant_id"])
    mismatch = {
        "tenant_id": account["tenant_id"],
        "client_id": other_subscription["client_id"],
        "client_secret": other_subscription["client_secret"],
        "subscription_id": other_subscription["subscription_id"],
    }
    with pytest.raises(SkyclustError) as info:
        await clouds.call(credentials.rotate, credential_id=valid["id"], data=mismatch)
    assert info.value.code == "CREDENTIAL_ACCOUNT_MISMATCH"


@pytest.mark.parametrize("provider", ["aws", "gcp", "azure"])
async def test_an_unreachable_cloud_is_no_verdict(provider, gcp, azure):
    closed = f"http://127.0.0.1:{free_port()}"
    checkers: dict[str, CredentialChecker] = {
        "aws": AwsChecker(closed),
        "gcp": GcpChecker(closed),
        "azure": AzureChecker(closed.replace("http", "https"), ca_bundle=azure.ca_bundle),
    }
    samples: dict[str, dict[str, Any]] = {
        "aws": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "x" * 40},
        "gcp": {"service_account_json": {**gcp_key(gcp), "token_uri": f"{closed}/token"}},
        "azure": azure_account(azure),
    }
    with pytest.raises(ProviderError) as info:
        await Checkers(checkers, timeout=20).check(parse(provider, samples[provider]))
    assert info.value.code == "PROVIDER_UNAVAILABLE"
    assert info.value.retryable
