"""The credential vault through the gateway, on the local AWS: validation with the
account shown, secret rotation that clusters survive, and a credential in use that
cannot be deleted until its cluster is gone."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3
import pytest

from .test_cluster_lifecycle import add_credential, make_cluster

pytestmark = pytest.mark.e2e


def new_key(platform: Any, body: dict[str, Any]) -> dict[str, Any]:
    """A second key of the same AWS account, made with the first one: valid whether or
    not the local AWS checks signatures."""
    data = dict(body["data"])
    iam = boto3.client(
        "iam",
        endpoint_url=platform.env["SKYCLUST_AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=data["access_key_id"],
        aws_secret_access_key=data["secret_access_key"],
    )
    user = f"rotation-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    iam.put_user_policy(UserName=user, PolicyName="all", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    data["access_key_id"] = key["AccessKeyId"]
    data["secret_access_key"] = key["SecretAccessKey"]
    return data


def wait_for(check: Any, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def test_validate_and_rotate_a_credential(platform, local_aws_credential):
    api = platform.api()
    api.signup()
    credential = add_credential(api, {**local_aws_credential, "name": "rotating"})
    assert credential["status"] == "valid"
    assert credential["account_id"] == "123456789012"
    assert credential["last_validated_at"] is not None
    stream = api.stream(types="CredentialValidated,CredentialRotated")

    checked = api.post(f"/api/v1/credentials/{credential['id']}/validate")
    assert checked.status_code == 200, checked.text
    assert checked.json()["data"]["status"] == "valid"
    stream.until("CredentialValidated", credential["id"])

    data = new_key(platform, local_aws_credential)
    rotated = api.request("PUT", f"/api/v1/credentials/{credential['id']}", json={"data": data})
    assert rotated.status_code == 200, rotated.text
    view = rotated.json()["data"]
    assert (
        view["masked"]["access_key_id"]
        == f"{data['access_key_id'][:4]}…{data['access_key_id'][-4:]}"
    )
    stream.until("CredentialRotated", credential["id"])
    stream.close()

    # A cluster created after the rotation runs on the new secret.
    cluster_stream = api.stream()
    cluster = make_cluster(api, credential["id"])
    cluster_stream.until("ClusterReady", cluster["id"])
    cluster_stream.close()
    assert data["secret_access_key"] not in "".join(api.bodies)


def test_bad_input_gets_a_clear_error_naming_the_field(platform, local_aws_credential):
    api = platform.api()
    api.signup()
    body = {**local_aws_credential, "name": "bad"}
    body["data"] = {**local_aws_credential["data"], "colour": "very-secret-value"}
    refused = api.post("/api/v1/credentials", json=body)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "INVALID_CREDENTIAL_DATA"
    assert [e["field"] for e in error["details"]["errors"]] == ["data.colour"]
    assert "very-secret-value" not in refused.text

    credential = add_credential(api, {**local_aws_credential, "name": "good"})
    extra = api.request(
        "PUT",
        f"/api/v1/credentials/{credential['id']}",
        json={"data": local_aws_credential["data"], "name": "x"},
    )
    assert extra.status_code == 422
    assert extra.json()["error"]["code"] == "VALIDATION_ERROR"
    gcp = api.request(
        "PUT",
        f"/api/v1/credentials/{credential['id']}",
        json={"data": {"service_account_json": {}}},
    )
    assert gcp.status_code == 422
    assert gcp.json()["error"]["code"] == "INVALID_CREDENTIAL_DATA"
    missing = api.post(f"/api/v1/credentials/{uuid.uuid4()}/validate")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "CREDENTIAL_NOT_FOUND"


def test_a_credential_in_use_is_deleted_only_after_its_cluster(platform, local_aws_credential):
    api = platform.api()
    api.signup()
    credential = add_credential(api, {**local_aws_credential, "name": "in-use"})
    stream = api.stream()
    cluster = make_cluster(api, credential["id"], name="payments")
    stream.until("ClusterReady", cluster["id"])

    def in_use() -> list[dict[str, Any]]:
        got = api.get(f"/api/v1/credentials/{credential['id']}")
        users: list[dict[str, Any]] = got.json()["data"]["in_use"]
        return users

    # The cluster uses the credential, and so does the network generated for it.
    users = wait_for(lambda: len(in_use()) == 2 and in_use())
    assert [u for u in users if u["kind"] == "cluster"] == [
        {"kind": "cluster", "id": cluster["id"], "name": "payments"}
    ]
    assert [
        (u["kind"], u["name"].startswith("payments-")) for u in users if u["kind"] != "cluster"
    ] == [("network", True)]
    refused = api.delete(f"/api/v1/credentials/{credential['id']}")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "CREDENTIAL_IN_USE"
    assert error["details"]["users"] == users
    assert "payments" in error["message"]

    deleting = api.delete(f"/api/v1/aws/kubernetes/clusters/{cluster['id']}")
    assert deleting.status_code == 202
    stream.until("ClusterDeleted", cluster["id"])
    stream.close()

    def deleted() -> bool:
        return api.delete(f"/api/v1/credentials/{credential['id']}").status_code == 200

    wait_for(deleted)
    gone = api.get(f"/api/v1/credentials/{credential['id']}")
    assert gone.status_code == 404


@pytest.mark.parametrize("provider", ["gcp", "azure"])
def test_the_local_gcp_and_azure_credentials_are_valid(platform, provider):
    body = json.loads((platform.state_dir / "credentials" / f"{provider}.json").read_text())
    api = platform.api()
    api.signup()
    credential = add_credential(api, body)
    assert credential["status"] == "valid", credential
    expected = {
        "gcp": lambda: json.loads(body["data"]["service_account_json"])["project_id"],
        "azure": lambda: body["data"]["subscription_id"],
    }[provider]()
    assert credential["account_id"] == expected
    checked = api.post(f"/api/v1/credentials/{credential['id']}/validate")
    assert checked.json()["data"]["status"] == "valid"
    secret = (
        body["data"].get("client_secret")
        or json.loads(body["data"]["service_account_json"])["private_key"]
    )
    assert secret not in "".join(api.bodies)
