from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from cryptography.hazmat.primitives.asymmetric import rsa

from skyclust_common.cloud import ARM_SCOPE, get_azure_subscription

pytestmark = pytest.mark.integration


def _code(error: HttpResponseError) -> str | None:
    return error.error.code if error.error is not None else None


def test_client_credentials_grant_issues_an_arm_token(azure: Any) -> None:
    token = azure.credential().get_token(ARM_SCOPE)

    assert 3500 < token.expires_on - time.time() <= 3600
    claims = jwt.decode(token.token, options={"verify_signature": False})
    assert claims["aud"] == "https://management.azure.com"
    assert claims["tid"] == azure.account["tenant_id"]
    assert claims["appid"] == azure.account["client_id"]
    paths = [r["path"] for r in azure.admin.requests()]
    assert paths == [
        f"/{azure.account['tenant_id']}/v2.0/.well-known/openid-configuration",
        f"/{azure.account['tenant_id']}/oauth2/v2.0/token",
    ]


def test_subscription_is_readable_with_valid_credentials(azure: Any) -> None:
    subscription = get_azure_subscription(
        azure.credential(), azure.subscription_id, azure.url, ca_bundle=azure.ca_bundle
    )

    assert subscription["subscriptionId"] == azure.subscription_id
    assert subscription["tenantId"] == azure.account["tenant_id"]
    assert subscription["state"] == "Enabled"


def test_a_wrong_client_secret_is_refused(azure: Any) -> None:
    credential = azure.credential(client_secret="not-the-secret")

    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        credential.get_token(ARM_SCOPE)
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        list(azure.resources(credential).resource_groups.list())
    token_calls = [r for r in azure.admin.requests() if r["path"].endswith("/token")]
    assert {r["status"] for r in token_calls} == {401}


def test_an_unknown_client_or_tenant_is_refused(azure: Any) -> None:
    stranger = azure.account | {"client_id": str(uuid.uuid4())}
    other_client = type(azure)(azure.url, azure.admin, azure.ca_bundle, stranger)

    with pytest.raises(ClientAuthenticationError, match="AADSTS700016"):
        other_client.credential().get_token(ARM_SCOPE)
    with pytest.raises(ClientAuthenticationError, match="authority"):
        azure.credential(tenant_id=str(uuid.uuid4())).get_token(ARM_SCOPE)


def test_an_expired_token_is_refused_by_arm(azure: Any) -> None:
    groups = azure.resources(retry_total=0).resource_groups
    assert list(groups.list()) == []

    azure.admin.advance_clock(2 * 3600)

    with pytest.raises(ClientAuthenticationError) as info:
        list(groups.list())
    assert info.value.error is not None
    assert _code(info.value) == "ExpiredAuthenticationToken"
    assert info.value.status_code == 401


def test_rotated_secrets(azure: Any) -> None:
    client_id = azure.account["client_id"]
    new_secret = azure.admin.add_client_secret(client_id)
    azure.admin.remove_client_secret(client_id, azure.account["client_secret"])

    assert azure.credential(client_secret=new_secret).get_token(ARM_SCOPE).token
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        azure.credential().get_token(ARM_SCOPE)


def test_subscriptions_are_scoped_to_their_principals(azure: Any) -> None:
    outsider = azure.admin.create_account()
    foreign_tenant = type(azure)(azure.url, azure.admin, azure.ca_bundle, outsider)
    same_tenant = azure.admin.create_account(
        tenant_id=azure.account["tenant_id"], subscription_id=str(uuid.uuid4())
    )
    neighbour = type(azure)(azure.url, azure.admin, azure.ca_bundle, same_tenant)

    with pytest.raises(ClientAuthenticationError) as wrong_tenant:
        list(azure.resources(foreign_tenant.credential(), retry_total=0).resource_groups.list())
    assert _code(wrong_tenant.value) == "InvalidAuthenticationTokenTenant"

    other_sub = azure.resources(neighbour.credential(), retry_total=0)
    with pytest.raises(HttpResponseError) as forbidden:
        other_sub.resource_groups.create_or_update("rg", {"location": "westeurope"})
    assert forbidden.value.status_code == 403
    assert _code(forbidden.value) == "AuthorizationFailed"


class _ForgedCredential:
    """A token shaped like Entra's but signed by a key the emulator never issued."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = int(time.time())
        claims = {"aud": "https://management.azure.com", "exp": now + 3600, "appid": "x"}
        return AccessToken(jwt.encode(claims, key, algorithm="RS256"), now + 3600)


def test_a_forged_token_is_refused(azure: Any) -> None:
    client = azure.resources(_ForgedCredential(), retry_total=0)

    with pytest.raises(ClientAuthenticationError) as info:
        list(client.resource_groups.list())
    assert _code(info.value) == "InvalidAuthenticationToken"
