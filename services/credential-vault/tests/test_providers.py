"""Each provider's schema: what it accepts, what it refuses (naming the field, never
echoing the value), and how it is shown masked."""

from __future__ import annotations

import json
import uuid

import pytest

from skyclust_common.errors import SkyclustError
from skyclust_vault.domain.providers import (
    AwsCredential,
    AzureCredential,
    GcpCredential,
    parse,
    secret_values_in,
)
from skyclust_vault.domain.validation import scrub

from .conftest import aws_data, azure_data, gcp_data, gcp_key

pytestmark = pytest.mark.unit


def refused(provider: str, data: dict) -> SkyclustError:
    with pytest.raises(SkyclustError) as info:
        parse(provider, data)
    assert info.value.code == "INVALID_CREDENTIAL_DATA"
    assert info.value.status == 422
    return info.value


def fields(error: SkyclustError) -> set[str]:
    return {e["field"] for e in error.details["errors"]}


def test_aws_accepts_keys_role_and_region_and_masks_the_key_id():
    data = aws_data(
        session_token="FwoGZXIvYXdzEJr" + "x" * 40,
        role_arn="arn:aws:iam::123456789012:role/deployer",
    )
    secret = parse("aws", data)
    assert isinstance(secret, AwsCredential)
    key = data["access_key_id"]
    assert secret.masked() == {
        "access_key_id": f"{key[:4]}…{key[-4:]}",
        "region": "eu-west-1",
        "role_arn": "arn:aws:iam::123456789012:role/deployer",
        "session_token": "present",
    }
    assert set(secret.secret_values()) == {data["secret_access_key"], data["session_token"]}
    assert json.loads(secret.plaintext()) == data


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"favourite_colour": "very-secret-value"}, "data.favourite_colour"),
        ({"access_key_id": "akia-lowercase-very-secret-value"}, "data.access_key_id"),
        ({"secret_access_key": "short"}, "data.secret_access_key"),
        ({"role_arn": "arn:aws:iam::12:user/very-secret-value"}, "data.role_arn"),
        ({"region": "Mars very-secret-value"}, "data.region"),
    ],
)
def test_aws_refusals_name_the_field_and_never_the_value(change, field):
    error = refused("aws", {**aws_data(), **change})
    assert fields(error) == {field}
    assert field in error.message
    assert "very-secret-value" not in json.dumps(error.to_dict())


def test_aws_missing_fields_are_each_named():
    error = refused("aws", {})
    assert fields(error) == {"data.access_key_id", "data.secret_access_key"}


def test_gcp_takes_the_key_file_as_json_or_as_its_text_and_reads_the_project():
    key = gcp_key(project="my-project-123")
    for uploaded in (key, json.dumps(key)):
        secret = parse("gcp", {"service_account_json": uploaded})
        assert isinstance(secret, GcpCredential)
        assert secret.project_id == "my-project-123"
        assert secret.masked() == {
            "client_email": "skyclust@my-project-123.iam.gserviceaccount.com",
            "project_id": "my-project-123",
            "private_key_id": f"{key['private_key_id'][:4]}…{key['private_key_id'][-4:]}",
        }
        assert key["private_key"] in secret.secret_values()
        stored = json.loads(secret.plaintext())
        assert json.loads(stored["service_account_json"]) == key
        assert key["private_key"] in secret_values_in(stored)


def test_gcp_refusals_name_the_key_file_field():
    key = gcp_key()
    assert fields(refused("gcp", {"service_account_json": "not json {"})) == {
        "data.service_account_json"
    }
    bad_pem = {**key, "private_key": "-----BEGIN PRIVATE KEY-----\n" + "A" * 200}
    error = refused("gcp", {"service_account_json": bad_pem})
    assert fields(error) == {"data.service_account_json.private_key"}
    assert "A" * 50 not in json.dumps(error.to_dict())
    assert fields(refused("gcp", {"service_account_json": {**key, "type": "user"}})) == {
        "data.service_account_json.type"
    }
    assert fields(refused("gcp", {"service_account_json": {**key, "extra": 1}})) == {
        "data.service_account_json.extra"
    }
    assert fields(refused("gcp", {**gcp_data(), "project_id": "x"})) == {"data.project_id"}
    missing = {k: v for k, v in key.items() if k != "client_email"}
    assert fields(refused("gcp", {"service_account_json": missing})) == {
        "data.service_account_json.client_email"
    }


def test_azure_needs_tenant_client_secret_and_subscription_and_masks_the_secret():
    data = azure_data()
    data["tenant_id"] = data["tenant_id"].upper()
    secret = parse("azure", data)
    assert isinstance(secret, AzureCredential)
    assert secret.masked() == {
        "tenant_id": data["tenant_id"].lower(),
        "client_id": data["client_id"],
        "subscription_id": data["subscription_id"],
    }
    assert secret.secret_values() == [data["client_secret"]]
    error = refused("azure", {**data, "tenant_id": "contoso", "client_secret": "x"})
    assert fields(error) == {"data.tenant_id", "data.client_secret"}
    assert fields(refused("azure", {**data, "password": "p"})) == {"data.password"}


def test_unknown_providers_are_refused():
    with pytest.raises(SkyclustError) as info:
        parse("oracle", {})
    assert info.value.code == "PROVIDER_NOT_SUPPORTED"


def test_secret_values_are_found_by_name_in_any_stored_plaintext():
    stored = {
        "access_key_id": "AKIA",
        "secret_access_key": "s" * 40,
        "service_account_json": {"private_key": "-----BEGIN-----\n" + "k" * 64 + "\n-----END-----"},
    }
    found = secret_values_in(stored)
    assert "s" * 40 in found and "k" * 64 in found
    assert "AKIA" not in found


def test_provider_messages_are_scrubbed_of_secrets_and_bounded():
    secret = str(uuid.uuid4())
    assert scrub(f"key {secret} refused\n  twice", [secret]) == "key [REDACTED] refused twice"
    assert len(scrub("x" * 1000, []) or "") == 300
    assert scrub(None, []) is None
