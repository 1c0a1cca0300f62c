"""Identity and the gateway as a security boundary, through the gateway."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
import uuid
from typing import Any

import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from skyclust_gateway.app import create_app
from skyclust_gateway.permission_docs import PUBLIC, route_table
from skyclust_gateway.permissions import Permission, allowed
from skyclust_gateway.settings import GatewaySettings

from .client import Api
from .mailbox import verify
from .test_cluster_lifecycle import add_credential, make_cluster

pytestmark = pytest.mark.e2e


def login(platform, email: str, password: str = "correct-horse-9") -> dict[str, Any]:
    response = Api(platform.gateway_url).post(
        "/api/v1/auth/login", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def join(platform, admin: Api, role: str) -> tuple[Api, dict[str, Any]]:
    """A new user added to `admin`'s workspace with `role`, holding a token for it."""
    member = platform.api()
    account = member.signup()
    verify(platform, account["email"])
    workspace_id = admin.get("/api/v1/auth/me").json()["data"]["workspace"]["id"]
    added = admin.post(
        f"/api/v1/workspaces/{workspace_id}/members",
        json={"email": account["email"], "role": role},
    )
    assert added.status_code == 201, added.text
    switched = member.post("/api/v1/auth/switch-workspace", json={"workspace_id": workspace_id})
    assert switched.status_code == 200, switched.text
    member.token = switched.json()["data"]["access_token"]
    assert member.get("/api/v1/auth/me").json()["data"]["workspace"]["role"] == role
    return member, account


@pytest.fixture(scope="module")
def estate(platform, local_aws_credential) -> dict[str, Any]:
    """Workspace A with a credential, a cluster, an API key and a viewer; workspace B."""
    admin_a = platform.api()
    account_a = admin_a.signup()
    credential = add_credential(admin_a, {**local_aws_credential, "name": "estate"})
    cluster = make_cluster(admin_a, credential["id"])
    key = admin_a.post("/api/v1/api-keys", json={"name": "ci", "role": "user"}).json()["data"]
    viewer, viewer_account = join(platform, admin_a, "viewer")
    admin_b = platform.api()
    admin_b.signup()
    return {
        "admin_a": admin_a,
        "account_a": account_a,
        "viewer": viewer,
        "viewer_account": viewer_account,
        "admin_b": admin_b,
        "ids": {
            "provider": "aws",
            "workspace_id": account_a["workspace"]["id"],
            "user_id": viewer_account["user"]["id"],
            "credential_id": credential["id"],
            "cluster_id": cluster["id"],
            "api_key_id": key["id"],
        },
    }


# Bodies that pass validation, so an authorised caller reaches the owning service.
EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/workspaces/{workspace_id}"): {"name": "renamed"},
    ("PUT", "/api/v1/budgets/{budget_id}"): {"name": "b", "amount": "100", "period": "monthly"},
    ("PATCH", "/api/v1/notification-channels/{channel_id}"): {"name": "renamed"},
    ("PATCH", "/api/v1/notifications/channels/{channel_id}"): {"name": "renamed"},
    ("PATCH", "/api/v1/notifications/rules/{rule_id}"): {"name": "renamed"},
    ("POST", "/api/v1/workspaces/{workspace_id}/members"): {
        "email": "nobody@example.com",
        "role": "viewer",
    },
    ("PATCH", "/api/v1/workspaces/{workspace_id}/members/{user_id}"): {"role": "user"},
    ("PUT", "/api/v1/workspaces/{workspace_id}/mfa-policy"): {"require_mfa": False},
    ("PUT", "/api/v1/credentials/{credential_id}"): {
        "data": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "x" * 40}
    },
    ("POST", "/api/v1/{provider}/kubernetes/clusters/{cluster_id}/node-groups"): {
        "name": "ng1",
        "min_size": 1,
        "max_size": 3,
        "desired_size": 1,
    },
    ("PATCH", "/api/v1/{provider}/kubernetes/clusters/{cluster_id}"): {"version": "1.30"},
    ("PATCH", "/api/v1/{provider}/network/vpcs/{vpc_id}"): {"tags": {}},
    ("PATCH", "/api/v1/{provider}/network/subnets/{subnet_id}"): {"tags": {}},
    ("PATCH", "/api/v1/{provider}/network/security-groups/{group_id}"): {"rules": []},
    ("PATCH", "/api/v1/{provider}/kubernetes/clusters/{cluster_id}/node-groups/{node_group_id}"): {
        "desired_size": 2
    },
}
ROUTES = route_table(create_app(GatewaySettings(nats_url="nats://127.0.0.1:1")))
PARAM = re.compile(r"{([a-z_]+)}")


def fill(path: str, ids: dict[str, str]) -> str:
    return PARAM.sub(lambda m: ids.get(m.group(1), str(uuid.uuid4())), path)


@pytest.mark.parametrize(
    ("method", "path", "declared"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_route_table_401_403_404(estate, method: str, path: str, declared: str | None) -> None:
    assert declared is not None, f"{method} {path} declares no permission"
    url = fill(path, estate["ids"])
    body = EXAMPLES.get((method, path))
    kwargs: dict[str, Any] = {"json": body} if body is not None else {}
    if declared == PUBLIC:
        return
    anonymous = Api(estate["admin_a"].base_url)
    assert anonymous.request(method, url, **kwargs).status_code == 401
    if not allowed("viewer", Permission(declared)):
        denied = estate["viewer"].request(method, url, **kwargs)
        assert denied.status_code == 403, denied.text
        assert denied.json()["error"]["code"] == "FORBIDDEN"
    if any(name.endswith("_id") for name in PARAM.findall(path)):
        foreign = estate["admin_b"].request(method, url, **kwargs)
        assert foreign.status_code == 404, f"{method} {url}: {foreign.status_code} {foreign.text}"


def test_removed_members_and_logged_out_sessions_lose_access(platform, estate):
    admin_a: Api = estate["admin_a"]
    workspace_id = estate["ids"]["workspace_id"]
    member, account = join(platform, admin_a, "user")
    assert member.get("/api/v1/aws/kubernetes/clusters").status_code == 200
    removed = admin_a.delete(f"/api/v1/workspaces/{workspace_id}/members/{account['user']['id']}")
    assert removed.status_code == 200, removed.text
    deadline = time.monotonic() + 5
    while member.get("/api/v1/aws/kubernetes/clusters").status_code != 401:
        assert time.monotonic() < deadline, "a removed member's token still works"
        time.sleep(0.1)

    tokens = login(platform, account["email"])
    session = Api(platform.gateway_url, tokens["access_token"])
    assert session.post("/api/v1/auth/logout").status_code == 200
    after = session.get("/api/v1/auth/me")
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "SESSION_REVOKED"
    refresh = Api(platform.gateway_url).post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401


def test_refresh_token_reuse_revokes_the_family(platform):
    api = platform.api()
    account = api.signup()
    tokens = login(platform, account["email"])
    anonymous = Api(platform.gateway_url)
    rotated = anonymous.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert rotated.status_code == 200
    owner = rotated.json()["data"]
    assert owner["refresh_token"] != tokens["refresh_token"]
    # The thief replays the old one: refused, and the whole family is revoked.
    thief = anonymous.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert thief.status_code == 401
    assert thief.json()["error"]["code"] == "REFRESH_TOKEN_REUSED"
    again = anonymous.post("/api/v1/auth/refresh", json={"refresh_token": owner["refresh_token"]})
    assert again.status_code == 401
    deadline = time.monotonic() + 5
    while (
        Api(platform.gateway_url, owner["access_token"]).get("/api/v1/auth/me").status_code != 401
    ):
        assert time.monotonic() < deadline, "the revoked family's access token still works"
        time.sleep(0.1)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_live_forgeries_are_refused(platform):
    api = platform.api()
    api.signup()
    header, payload, signature = (api.token or "").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged_payload = b64url(
        json.dumps({**claims, "role": "admin", "wid": str(uuid.uuid4())}).encode()
    )
    none_header = b64url(
        json.dumps(
            {"alg": "none", "kid": json.loads(base64.urlsafe_b64decode(header + "=="))["kid"]}
        ).encode()
    )
    for token in (
        f"{header}.{forged_payload}.{signature}",
        f"{none_header}.{payload}.",
        f"{header}.{payload}.{signature[:-4]}",
        f"{header}.{payload}",
        "sk_" + "x" * 40,
    ):
        response = Api(platform.gateway_url, token).get("/api/v1/auth/me")
        assert response.status_code == 401, token
        assert response.json()["error"]["code"] in {"INVALID_TOKEN", "UNAUTHORIZED"}


def test_signing_key_rotation(platform):
    api = platform.api()
    account = api.signup()
    old_token = api.token or ""
    old_kid = json.loads(base64.urlsafe_b64decode(old_token.split(".")[0] + "=="))["kid"]
    env = {**os.environ, "SKYCLUST_NATS_URL": platform.env["SKYCLUST_NATS_URL"]}
    env.pop("SKYCLUST_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "skyclust_identity.keys", "rotate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    new_kid = done.stdout.strip().rsplit(" ", 1)[-1]
    assert new_kid != old_kid

    assert api.get("/api/v1/auth/me").status_code == 200  # signed before: still good
    fresh = login(platform, account["email"])["access_token"]
    assert json.loads(base64.urlsafe_b64decode(fresh.split(".")[0] + "=="))["kid"] == new_kid
    assert Api(platform.gateway_url, fresh).get("/api/v1/auth/me").status_code == 200

    jwks = Api(platform.gateway_url).get("/.well-known/jwks.json").json()
    assert {old_kid, new_kid} <= {key["kid"] for key in jwks["keys"]}
    # A third-party JOSE library verifies both tokens from the published JWKS alone.
    keys = KeySet.import_key_set(jwks)
    for token in (old_token, fresh):
        verified = jose_jwt.decode(token, keys, algorithms=["EdDSA", "Ed25519"])
        assert verified.claims["aud"] == "skyclust-api"
        assert verified.claims["sub"] == account["user"]["id"]


def test_api_keys_act_with_their_role_until_revoked(platform, estate):
    admin_a: Api = estate["admin_a"]
    created = admin_a.post("/api/v1/api-keys", json={"name": "pipeline", "role": "viewer"})
    assert created.status_code == 201
    key = created.json()["data"]
    assert key["key"].startswith("sk_") and key["prefix"] == key["key"][:10]
    robot = Api(platform.gateway_url, key["key"])
    assert robot.get("/api/v1/aws/kubernetes/clusters").status_code == 200
    me = robot.get("/api/v1/auth/me")
    assert me.status_code == 200, me.text
    assert me.json()["data"] == {
        "actor_type": "api_key",
        "api_key_id": key["id"],
        "workspace_id": estate["ids"]["workspace_id"],
        "role": "viewer",
    }
    for path in ("/api/v1/workspaces", f"/api/v1/workspaces/{estate['ids']['workspace_id']}"):
        refused = robot.get(path)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "USER_LOGIN_REQUIRED"
    assert (
        robot.delete(f"/api/v1/aws/kubernetes/clusters/{estate['ids']['cluster_id']}").status_code
        == 403
    )
    listed = {k["id"]: k for k in admin_a.get("/api/v1/api-keys").json()["data"]}
    assert "key" not in listed[key["id"]]
    assert listed[key["id"]]["last_used_at"] is not None
    assert admin_a.delete(f"/api/v1/api-keys/{key['id']}").status_code == 200
    assert robot.get("/api/v1/aws/kubernetes/clusters").status_code == 401


def test_members_rules(platform):
    admin = platform.api()
    account = admin.signup()
    workspace_id = account["workspace"]["id"]
    me = account["user"]["id"]
    leave = admin.delete(f"/api/v1/workspaces/{workspace_id}/members/{me}")
    assert leave.status_code == 409 and leave.json()["error"]["code"] == "LAST_ADMIN"
    demote = admin.patch = None  # noqa: F841 - keep the API object immutable below
    downgrade = admin.request(
        "PATCH", f"/api/v1/workspaces/{workspace_id}/members/{me}", json={"role": "viewer"}
    )
    assert downgrade.status_code == 409 and downgrade.json()["error"]["code"] == "LAST_ADMIN"
    member, member_account = join(platform, admin, "viewer")
    left = member.delete(
        f"/api/v1/workspaces/{workspace_id}/members/{member_account['user']['id']}"
    )
    assert left.status_code == 200, left.text
    members = admin.get(f"/api/v1/workspaces/{workspace_id}/members").json()["data"]
    assert [m["user_id"] for m in members] == [me]
    unknown = admin.post(
        f"/api/v1/workspaces/{workspace_id}/members",
        json={"email": "ghost@example.com", "role": "user"},
    )
    assert unknown.status_code == 404
    assert admin.get(f"/api/v1/workspaces/{workspace_id}/members?limit=1000").status_code == 422


def test_login_is_throttled_without_revealing_accounts(platform):
    api = platform.api()
    account = api.signup()
    anonymous = Api(platform.gateway_url)
    for email in (account["email"], f"nobody-{uuid.uuid4().hex[:6]}@example.com"):
        codes = [
            anonymous.post("/api/v1/auth/login", json={"email": email, "password": "wrong-pass-1"})
            for _ in range(6)
        ]
        assert [r.status_code for r in codes] == [401] * 5 + [429]
        assert codes[0].json()["error"]["message"] == "invalid email or password"
        assert int(codes[-1].headers["retry-after"]) > 0
    # Even the right password waits out the window: the account is protected.
    right = anonymous.post(
        "/api/v1/auth/login", json={"email": account["email"], "password": "correct-horse-9"}
    )
    assert right.status_code == 429


def test_audit_log_records_changes_for_admins_only(platform, estate):
    admin_a: Api = estate["admin_a"]
    request_id = f"audit-{uuid.uuid4().hex[:8]}"
    created = admin_a.post(
        "/api/v1/workspaces", json={"name": "audited"}, headers={"X-Request-ID": request_id}
    )
    assert created.status_code == 201
    deadline = time.monotonic() + 10
    found: list[dict[str, Any]] = []
    while not found:
        assert time.monotonic() < deadline, "no audit record for the change"
        page = admin_a.get("/api/v1/audit-logs", params={"action": "create_workspace"})
        assert page.status_code == 200, page.text
        found = [r for r in page.json()["data"]["items"] if r["request_id"] == request_id]
        time.sleep(0.2)
    record = found[0]
    assert record["actor_type"] == "user"
    assert record["actor_id"] == estate["account_a"]["user"]["id"]
    assert record["outcome"] == "success"
    assert record["resource_type"] == "workspace"
    assert record["client_address"] == "127.0.0.1"
    assert estate["viewer"].get("/api/v1/audit-logs").status_code == 403
    everything = admin_a.get("/api/v1/audit-logs", params={"limit": 100}).json()["data"]["items"]
    actions = {r["action"] for r in everything}
    assert {"create_credential", "create_cluster", "add_member", "create_api_key"} <= actions
    assert all(r["request_id"] for r in everything)
    assert admin_a.get("/api/v1/audit-logs", params={"limit": 101}).status_code == 422
