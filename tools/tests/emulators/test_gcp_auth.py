from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.api_core import exceptions as gexc
from google.auth.credentials import AnonymousCredentials
from google.auth.exceptions import InvalidOperation, RefreshError
from google.auth.transport.requests import AuthorizedSession, Request
from google.cloud import container_v1

from skyclust_common.cloud import gcp_credentials, get_gcp_project, gke_client

pytestmark = pytest.mark.integration


def _with_other_private_key(key: dict[str, Any]) -> dict[str, Any]:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {**key, "private_key": pem}


def _parent(gcp: Any) -> str:
    return f"projects/{gcp.project}/locations/-"


def test_key_json_has_the_layout_google_issues(gcp: Any) -> None:
    key = gcp.key
    assert key["type"] == "service_account"
    assert key["project_id"] == gcp.project
    assert key["client_email"] == f"skyclust@{gcp.project}.iam.gserviceaccount.com"
    assert key["token_uri"] == f"{gcp.url}/token"
    assert len(key["private_key_id"]) == 40
    private_key = serialization.load_pem_private_key(key["private_key"].encode(), password=None)
    assert isinstance(private_key, rsa.RSAPrivateKey)


def test_jwt_bearer_grant_yields_an_expiring_access_token(gcp: Any) -> None:
    credentials = gcp_credentials(gcp.key, gcp.url)
    credentials.refresh(Request())

    assert credentials.token is not None
    assert credentials.token.startswith("ya29.")
    assert credentials.expiry is not None
    remaining = credentials.expiry - dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert dt.timedelta(minutes=55) < remaining <= dt.timedelta(hours=1)

    project = get_gcp_project(gcp.key, gcp.url)
    assert project["projectId"] == gcp.project
    assert project["lifecycleState"] == "ACTIVE"
    assert any(r["path"] == "/token" and r["status"] == 200 for r in gcp.admin.requests())


def test_gapic_clients_use_self_signed_jwts(gcp: Any) -> None:
    response = gcp.gke().list_clusters(parent=_parent(gcp))

    assert list(response.clusters) == []
    assert not any(r["path"] == "/token" for r in gcp.admin.requests())


def test_a_key_signed_with_the_wrong_private_key_is_refused(gcp: Any) -> None:
    forged = _with_other_private_key(gcp.key)

    with pytest.raises(RefreshError, match="invalid_grant: Invalid JWT Signature"):
        get_gcp_project(forged, gcp.url)
    with pytest.raises(gexc.Unauthorized) as info:
        gke_client(forged, gcp.url).list_clusters(parent=_parent(gcp))
    assert info.value.response.json()["error"]["status"] == "UNAUTHENTICATED"


def test_an_unknown_key_id_is_refused(gcp: Any) -> None:
    unknown = {**gcp.key, "private_key_id": "0" * 40}

    with pytest.raises(RefreshError, match="invalid_grant"):
        get_gcp_project(unknown, gcp.url)


def test_a_revoked_key_is_refused(gcp: Any) -> None:
    get_gcp_project(gcp.key, gcp.url)
    gcp.admin.revoke_key(gcp.key["private_key_id"])

    with pytest.raises(RefreshError, match="invalid_grant"):
        get_gcp_project(gcp.key, gcp.url)
    with pytest.raises(gexc.Unauthorized):
        gcp.gke().list_clusters(parent=_parent(gcp))


def test_expired_tokens_and_assertions_are_refused(gcp: Any) -> None:
    gke = gcp.gke()
    gke.list_clusters(parent=_parent(gcp))

    gcp.admin.advance_clock(2 * 3600)

    with pytest.raises(gexc.Unauthorized) as info:
        gke.list_clusters(parent=_parent(gcp))
    assert info.value.code == 401
    with pytest.raises(RefreshError, match="Token must be a short-lived token"):
        get_gcp_project(gcp.key, gcp.url)


def test_a_revoked_access_token_is_refreshed_transparently(gcp: Any) -> None:
    session = AuthorizedSession(gcp_credentials(gcp.key, gcp.url))
    url = f"{gcp.url}/v3/projects/{gcp.project}"
    first = session.get(url)
    assert first.status_code == 200
    old_token = session.credentials.token

    gcp.admin.revoke_tokens()
    second = session.get(url)

    assert second.status_code == 200
    assert second.json()["projectId"] == gcp.project
    assert session.credentials.token != old_token
    statuses = [r["status"] for r in gcp.admin.requests() if r["path"].startswith("/v3/")]
    assert statuses == [200, 401, 200]


def test_requests_without_credentials_are_unauthenticated(gcp: Any) -> None:
    client = container_v1.ClusterManagerClient(
        credentials=AnonymousCredentials(),
        transport="rest",
        client_options={"api_endpoint": gcp.url},
    )

    # On a 401 google-auth tries to refresh, which anonymous credentials cannot do.
    with pytest.raises(InvalidOperation):
        client.list_clusters(parent=_parent(gcp))
    assert [r["status"] for r in gcp.admin.requests()] == [401]


def test_a_key_for_another_project_is_forbidden(gcp: Any) -> None:
    other = gcp.admin.create_service_account_key("someone-else")

    with pytest.raises(gexc.Forbidden) as info:
        gke_client(other, gcp.url).list_clusters(parent=_parent(gcp))
    assert info.value.response.json()["error"]["status"] == "PERMISSION_DENIED"
