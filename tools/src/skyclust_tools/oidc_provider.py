"""A small OpenID Connect provider for tests and local development.

It speaks the parts of OpenID Connect Core and Discovery that a relying party uses in the
authorization code flow: the discovery document, `/authorize` (no login page: it signs in
a configured user, or the one named by `login_hint`, and redirects back at once),
`/token` (client authentication, single-use codes bound to client and redirect URI, PKCE
S256 required), `/jwks` and `/userinfo`. ID tokens are RS256, signed with a real RSA key.

Tests can make the next ID token wrong on purpose (`tamper_next_id_token`, or
`POST /_test/next-id-token` when it runs as a process) to check that a relying party
refuses it.

    python -m skyclust_tools.oidc_provider --port 9400

prints the `SKYCLUST_OIDC_PROVIDERS` value that points identity at it.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit, urlunsplit

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

CODE_TTL_SECONDS = 60
TOKEN_TTL_SECONDS = 300


@dataclass(frozen=True)
class Account:
    sub: str
    email: str | None
    email_verified: bool = True
    name: str = "Test User"

    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {"sub": self.sub, "name": self.name}
        if self.email is not None:
            claims["email"] = self.email
            claims["email_verified"] = self.email_verified
        return claims


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    # Empty: any redirect URI is accepted (handy on a laptop; real providers insist).
    redirect_uris: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tamper:
    """What is wrong with the next ID token (each knob is used once)."""

    nonce: str | None = None
    expired: bool = False
    audience: str | None = None
    issuer: str | None = None
    bad_signature: bool = False
    drop_email: bool = False


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    scope: str
    user: Account
    expires_at: float


@dataclass
class _State:
    codes: dict[str, _Grant] = field(default_factory=dict)
    access_tokens: dict[str, Account] = field(default_factory=dict)
    tamper: Tamper = field(default_factory=Tamper)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit(parts._replace(query=query))


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="token"'
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


class OidcProvider:
    """The provider's state and its Starlette app. Requests are served on uvicorn's
    thread while tests change users and knobs from theirs, hence the lock."""

    def __init__(
        self,
        *,
        issuer: str = "",
        clients: list[Client] | None = None,
        users: list[Account] | None = None,
    ) -> None:
        self.issuer = issuer
        self.clients = {c.client_id: c for c in clients or []}
        self.users = list(users or [])
        self.kid = secrets.token_hex(8)
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._lock = threading.Lock()
        self._state = _State()
        self.discovery_requests = 0
        self.token_requests = 0
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery),
                Route("/authorize", self._authorize),
                Route("/token", self._token, methods=["POST"]),
                Route("/jwks", self._jwks),
                Route("/userinfo", self._userinfo, methods=["GET", "POST"]),
                Route("/_test/next-id-token", self._admin_tamper, methods=["POST"]),
            ]
        )

    # test knobs ------------------------------------------------------------------

    def add_client(self, client: Client) -> None:
        with self._lock:
            self.clients[client.client_id] = client

    def add_user(self, user: Account) -> None:
        with self._lock:
            self.users = [u for u in self.users if u.sub != user.sub] + [user]

    def tamper_next_id_token(self, **knobs: Any) -> None:
        """`nonce=`, `expired=True`, `audience=`, `issuer=`, `bad_signature=True`,
        `drop_email=True`: the next ID token is issued that way, then they reset."""
        with self._lock:
            self._state.tamper = replace(Tamper(), **knobs)

    # endpoints -------------------------------------------------------------------

    def discovery_document(self) -> dict[str, Any]:
        base = self.issuer.rstrip("/")
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "email", "email_verified", "name", "nonce"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    async def _discovery(self, request: Request) -> Response:
        with self._lock:
            self.discovery_requests += 1
        return JSONResponse(self.discovery_document())

    async def _jwks(self, request: Request) -> Response:
        return JSONResponse(self.jwks())

    async def _authorize(self, request: Request) -> Response:
        q = request.query_params
        client = self.clients.get(q.get("client_id", ""))
        redirect_uri = q.get("redirect_uri", "")
        # Per RFC 6749 4.1.2.1 a bad client or redirect URI is shown, never redirected to.
        if client is None:
            return PlainTextResponse("unknown client_id", status_code=400)
        if not redirect_uri or (client.redirect_uris and redirect_uri not in client.redirect_uris):
            return PlainTextResponse("redirect_uri not registered", status_code=400)

        def back(**params: str) -> Response:
            if q.get("state"):
                params["state"] = q["state"]
            return RedirectResponse(_with_query(redirect_uri, params), status_code=302)

        if q.get("response_type") != "code":
            return back(error="unsupported_response_type")
        scope = q.get("scope", "")
        if "openid" not in scope.split():
            return back(error="invalid_scope", error_description="openid is required")
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return back(error="invalid_request", error_description="PKCE S256 is required")
        user = self._pick_user(q.get("login_hint"))
        if user is None:
            return back(error="access_denied", error_description="no such user")
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._state.codes[code] = _Grant(
                client_id=client.client_id,
                redirect_uri=redirect_uri,
                code_challenge=q["code_challenge"],
                nonce=q.get("nonce"),
                scope=scope,
                user=user,
                expires_at=time.time() + CODE_TTL_SECONDS,
            )
        return back(code=code)

    def _pick_user(self, hint: str | None) -> Account | None:
        with self._lock:
            users = list(self.users)
        if not hint:
            return users[0] if users else None
        for user in users:
            if hint in (user.sub, user.email):
                return user
        return None

    def _client_auth(self, request: Request, form: dict[str, str]) -> Client | None:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                raw = base64.b64decode(header[6:].strip(), validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                return None
            client_id, _, secret = raw.partition(":")
            client_id, secret = unquote_plus(client_id), unquote_plus(secret)
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        client = self.clients.get(client_id)
        if client is None or not hmac.compare_digest(client.client_secret, secret):
            return None
        return client

    async def _token(self, request: Request) -> Response:
        with self._lock:
            self.token_requests += 1
        body = (await request.body()).decode("utf-8", "replace")
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        client = self._client_auth(request, form)
        if client is None:
            return _oauth_error(401, "invalid_client", "client authentication failed")
        if form.get("grant_type") != "authorization_code":
            return _oauth_error(400, "unsupported_grant_type", "only authorization_code")
        with self._lock:
            # Single use: a code is gone after the first attempt, right or wrong.
            grant = self._state.codes.pop(form.get("code", ""), None)
        if grant is None or grant.expires_at < time.time():
            return _oauth_error(400, "invalid_grant", "unknown or expired code")
        if grant.client_id != client.client_id or grant.redirect_uri != form.get("redirect_uri"):
            return _oauth_error(400, "invalid_grant", "code issued to another client or URI")
        verifier = form.get("code_verifier", "")
        challenge = _b64url(hashlib.sha256(verifier.encode()).digest())
        if not verifier or not hmac.compare_digest(challenge, grant.code_challenge):
            return _oauth_error(400, "invalid_grant", "PKCE verification failed")
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self._state.access_tokens[access_token] = grant.user
            tamper, self._state.tamper = self._state.tamper, Tamper()
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": TOKEN_TTL_SECONDS,
                "scope": grant.scope,
                "id_token": self._id_token(grant, client, tamper),
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def _id_token(self, grant: _Grant, client: Client, tamper: Tamper) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            **grant.user.claims(),
            "iss": tamper.issuer or self.issuer,
            "aud": tamper.audience or client.client_id,
            "iat": now,
            "auth_time": now,
            "exp": now + TOKEN_TTL_SECONDS,
        }
        if tamper.expired:
            claims["iat"], claims["exp"] = now - 3600, now - 1800
        nonce = tamper.nonce or grant.nonce
        if nonce is not None:
            claims["nonce"] = nonce
        if tamper.drop_email:
            claims.pop("email", None)
            claims.pop("email_verified", None)
        key = rsa.generate_private_key(65537, 2048) if tamper.bad_signature else self._key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    async def _userinfo(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self._lock:
            user = self._state.access_tokens.get(token) if scheme.lower() == "bearer" else None
        if user is None:
            return Response(
                status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
        return JSONResponse(user.claims())

    async def _admin_tamper(self, request: Request) -> Response:
        try:
            knobs = await request.json()
            self.tamper_next_id_token(**knobs)
        except (ValueError, TypeError) as exc:
            return PlainTextResponse(f"bad knobs: {exc}", status_code=400)
        return Response(status_code=204)


class _Server:
    """uvicorn on a daemon thread, its socket bound before the issuer URL is set so the
    discovery document never names a port nobody listens on."""

    def __init__(self, provider: OidcProvider, host: str, port: int) -> None:
        # IPPROTO_TCP makes asyncio set TCP_NODELAY, sparing each response the client's
        # delayed-ACK wait.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(64)
        self.port = int(self._sock.getsockname()[1])
        provider.issuer = f"http://{host}:{self.port}"
        config = uvicorn.Config(
            provider.app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the OIDC provider did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=2)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout=5)
        self._sock.close()


@contextlib.contextmanager
def running_provider(
    *,
    clients: list[Client] | None = None,
    users: list[Account] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[OidcProvider]:
    """A provider served on `host:port` (a free port by default) for the `with` block;
    its `issuer` is the URL it is reachable at."""
    provider = OidcProvider(clients=clients, users=users)
    server = _Server(provider, host, port)
    server.start()
    try:
        yield provider
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9400)
    parser.add_argument("--name", default="local", help="the provider's name in SkyClust")
    parser.add_argument("--client-id", default="skyclust")
    parser.add_argument("--client-secret", default="skyclust-local-secret")
    parser.add_argument("--email", default="dev@example.com", help="the user who logs in")
    parser.add_argument("--user-name", default="Local Developer")
    args = parser.parse_args(argv)
    provider = OidcProvider(
        clients=[Client(args.client_id, args.client_secret)],
        users=[Account(sub="dev-1", email=args.email, name=args.user_name)],
    )
    server = _Server(provider, args.host, args.port)
    config = {
        args.name: {
            "issuer": provider.issuer,
            "client_id": args.client_id,
            "client_secret": args.client_secret,
        }
    }
    print(f"OIDC provider at {provider.issuer}")
    print(f"SKYCLUST_OIDC_PROVIDERS='{json.dumps(config)}'", flush=True)
    server.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
