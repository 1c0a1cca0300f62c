"""A fake gateway for the CLI's unit tests: httpx.MockTransport answering a few routes
with the real envelope, and counting what was asked."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

CLUSTER = {
    "id": "11111111-1111-1111-1111-111111111111",
    "provider": "aws",
    "name": "demo",
    "region": "us-east-1",
    "version": "1.30",
    "status": "READY",
    "status_reason": None,
    "progress": 100,
    "step": None,
    "conditions": [{"type": "NetworkReady", "status": "True"}],
}


CREDENTIAL = {
    "id": "44444444-4444-4444-4444-444444444444",
    "provider": "aws",
    "name": "local-aws",
    "masked": {"region": "us-east-1"},
    "status": "valid",
}


def ok(data: Any, status: int = 200, **headers: str) -> httpx.Response:
    body = {"success": True, "data": data, "error": None, "message": None, "request_id": "r"}
    return httpx.Response(status, json=body, headers=headers)


def failure(status: int, code: str, message: str) -> httpx.Response:
    body = {
        "success": False,
        "data": None,
        "error": {"code": code, "message": message, "details": {}},
        "message": message,
        "request_id": "r",
    }
    return httpx.Response(status, json=body)


@dataclass
class FakeGateway:
    clusters: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"aws": [dict(CLUSTER)], "gcp": [], "azure": []}
    )
    access_token: str = "access-1"
    refresh_token: str = "refresh-1"
    expire_next: int = 0
    kubeconfig: str = ""
    tokens_issued: int = 0
    requests: list[httpx.Request] = field(default_factory=list)
    refreshes: int = 0
    # What the event stream sends, as (event name, data) about the cluster created next.
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    new_cluster_id: str = "33333333-3333-3333-3333-333333333333"
    workspaces: dict[str, dict[str, str]] = field(
        default_factory=lambda: {
            "w1": {"id": "w1", "name": "platform", "role": "admin"},
            "w2": {"id": "w2", "name": "data team", "role": "viewer"},
        }
    )
    token_workspace: dict[str, str] = field(default_factory=dict)
    other_tokens: set[str] = field(default_factory=set)
    # With a code here, a password login answers with the MFA step, which wants it.
    mfa_code: str | None = None
    # More routes a test answers itself, by (method, path after /api/v1), after the
    # token check and before the routes above.
    routes: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = field(
        default_factory=dict
    )

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def tokens(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": 900,
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/api/v1")
        method = request.method
        if path == "/auth/login":
            body = json.loads(request.content)
            if body["password"] != "correct-horse-9":
                return failure(401, "INVALID_CREDENTIALS", "invalid email or password")
            if self.mfa_code is not None:
                return ok({"mfa_required": True, "mfa_token": "mfa-1", "expires_in": 300})
            return ok(self.tokens())
        if path == "/auth/login/mfa":
            body = json.loads(request.content)
            if body != {"mfa_token": "mfa-1", "code": self.mfa_code}:
                return failure(401, "INVALID_MFA_CODE", "wrong or already used code")
            return ok(self.tokens())
        if path == "/auth/refresh":
            body = json.loads(request.content)
            if body["refresh_token"] != self.refresh_token:
                return failure(401, "REFRESH_TOKEN_REUSED", "used twice")
            self.refreshes += 1
            self.access_token = f"access-{self.refreshes + 1}"
            self.refresh_token = f"refresh-{self.refreshes + 1}"
            return ok(self.tokens())
        if path == "/events/stream" and request.url.params.get("ticket") == "ticket-1":
            return httpx.Response(
                200, text=self.sse(), headers={"content-type": "text/event-stream"}
            )
        if path.startswith("/auth/oidc/"):
            return self.oidc_route(request, path.split("/")[3], path.split("/")[4])
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if bearer != self.access_token and bearer not in self.other_tokens:
            return failure(401, "INVALID_TOKEN", "invalid token")
        if self.expire_next:
            self.expire_next -= 1
            return failure(401, "TOKEN_EXPIRED", "token expired")
        if (method, path) in self.routes:
            return self.routes[method, path](request)
        if path == "/auth/me":
            workspace = self.workspaces[self.token_workspace.get(bearer, "w1")]
            return ok(
                {
                    "user": {"id": "u", "email": "ada@example.com", "name": "Ada"},
                    "workspace": workspace,
                }
            )
        if path == "/workspaces":
            return ok(list(self.workspaces.values()))
        if path == "/auth/switch-workspace":
            wanted = json.loads(request.content)["workspace_id"]
            if wanted not in self.workspaces:
                return failure(404, "WORKSPACE_NOT_FOUND", "workspace not found")
            # A session of its own: the caller's tokens stay good.
            token = f"access-{wanted}"
            self.token_workspace[token] = wanted
            self.other_tokens.add(token)
            return ok({**self.tokens(), "access_token": token, "refresh_token": f"r-{wanted}"})
        if path == "/credentials":
            return ok([CREDENTIAL])
        if path == "/events/ticket":
            return ok({"ticket": "ticket-1", "expires_in": 3600})
        parts = path.strip("/").split("/")
        if len(parts) >= 3 and parts[1:3] == ["kubernetes", "clusters"]:
            return self.clusters_route(method, parts[0], parts[3:])
        return failure(404, "NOT_FOUND", f"no route {method} {path}")

    def oidc_route(self, request: httpx.Request, provider: str, step: str) -> httpx.Response:
        """The gateway's half of an OIDC login with a provider that logs anyone in."""
        if provider != "local":
            return failure(404, "OIDC_PROVIDER_UNKNOWN", "no such provider")
        params = request.url.params
        if step == "login":
            location = str(
                httpx.URL(
                    "http://idp.test/authorize",
                    params={"state": "state-1", "redirect_uri": params["redirect_uri"]},
                )
            )
            return httpx.Response(
                302,
                headers={
                    "location": location,
                    "set-cookie": "skyclust_oidc_state=state-1; Path=/api/v1/auth/oidc; HttpOnly",
                },
            )
        if "error" in params:
            return failure(401, "OIDC_LOGIN_REFUSED", "the provider did not log you in")
        if request.headers.get("cookie") != f"skyclust_oidc_state={params.get('state')}":
            return failure(400, "OIDC_STATE_INVALID", "not started in this browser")
        if params.get("code") != "code-1":
            return failure(401, "OIDC_TOKEN_INVALID", "code rejected")
        return ok(self.tokens())

    def sse(self) -> str:
        frames = [": connected\n\n"]
        for seq, (name, data) in enumerate(self.events, start=1):
            cloud_event = {
                "type": f"io.skyclust.{name}.v1",
                "subject": self.new_cluster_id,
                "data": {"cluster_id": self.new_cluster_id, **data},
            }
            frames.append(f"id: {seq}\nevent: {name}\ndata: {json.dumps(cloud_event)}\n\n")
        return "".join(frames)

    def clusters_route(self, method: str, provider: str, rest: list[str]) -> httpx.Response:
        items = self.clusters.get(provider, [])
        if not rest and method == "POST":
            return ok({**CLUSTER, "id": self.new_cluster_id, "status": "PENDING"}, status=202)
        if not rest:
            return ok(items)
        if rest[0] == self.new_cluster_id:
            failed = any(name == "ClusterFailed" for name, _ in self.events)
            status = "FAILED" if failed else "READY"
            return ok({**CLUSTER, "id": self.new_cluster_id, "status": status})
        found = [c for c in items if c["id"] == rest[0]]
        if not found:
            return failure(404, "CLUSTER_NOT_FOUND", "cluster not found")
        if rest[1:] == ["kubeconfig", "token"]:
            self.tokens_issued += 1
            return ok(
                {
                    "cluster_id": rest[0],
                    "expires_at": "2030-01-01T00:15:00+00:00",
                    "status": {"token": f"k8s-token-{self.tokens_issued}"},
                }
            )
        if rest[1:] == ["kubeconfig"]:
            return httpx.Response(
                200, text=self.kubeconfig, headers={"content-type": "application/yaml"}
            )
        return ok(found[0])
