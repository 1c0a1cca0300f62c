"""The JWTs of nats-server's auth callout (nats-io/jwt v2), as far as the callout needs:
reading the server's authorization request, and signing the authorization response
with the user JWT inside it, both with an account nkey (ed25519).

A NATS JWT is `base64url(header).base64url(claims).base64url(signature)`, header
`{"typ": "JWT", "alg": "ed25519-nkey"}`, signed over the first two parts; `iss` is the
signer's public nkey and `nats.type` tells which claims these are."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass
from typing import Any

import nkeys

HEADER = {"typ": "JWT", "alg": "ed25519-nkey"}
# In nats-server's configuration mode a user JWT's audience is the account it joins.
GLOBAL_ACCOUNT = "$G"


class NatsJwtError(ValueError):
    """A token that is not a NATS JWT of the kind expected."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_account_seed() -> str:
    """A fresh account nkey seed (`SA...`)."""
    return nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_ACCOUNT).decode()


def account_public_key(seed: str) -> str:
    pair = nkeys.from_seed(seed.encode())
    public: bytes = pair.public_key
    if not public.startswith(b"A"):
        raise NatsJwtError("the callout seed must be an account seed (SA...)")
    return public.decode()


def decode_unverified(token: str) -> dict[str, Any]:
    """The claims of a NATS JWT, signature unchecked (see `AuthRequest.parse`)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise NatsJwtError("expected three parts")
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
    except ValueError as exc:
        raise NatsJwtError(f"not a JWT: {exc}") from None
    if not isinstance(header, dict) or header.get("alg") not in ("ed25519-nkey", "ed25519"):
        raise NatsJwtError("not an nkey-signed JWT")
    if not isinstance(claims, dict):
        raise NatsJwtError("claims are not an object")
    return claims


@dataclass(frozen=True)
class AuthRequest:
    server_id: str
    user_nkey: str
    token: str | None
    client_id: int | None
    client_host: str | None

    @classmethod
    def parse(cls, payload: bytes) -> AuthRequest:
        """The server's request. Its signature is not checked: only nats-server (and
        the admin user) may publish on the callout subject, and an answer only counts
        on the server's own reply subscription, for the user nkey it chose."""
        claims = decode_unverified(payload.decode(errors="replace"))
        nats = claims.get("nats")
        if not isinstance(nats, dict) or nats.get("type") != "authorization_request":
            raise NatsJwtError("not an authorization request")
        server = nats.get("server_id") or {}
        opts = nats.get("connect_opts") or {}
        client = nats.get("client_info") or {}
        server_id, user_nkey = server.get("id"), nats.get("user_nkey")
        if not isinstance(server_id, str) or not isinstance(user_nkey, str):
            raise NatsJwtError("the request names no server or user nkey")
        token = opts.get("auth_token")
        return cls(
            server_id=server_id,
            user_nkey=user_nkey,
            token=token if isinstance(token, str) and token else None,
            client_id=client.get("id") if isinstance(client.get("id"), int) else None,
            client_host=client.get("host") if isinstance(client.get("host"), str) else None,
        )


class CalloutSigner:
    """Signs the callout's answers with the account key nats-server trusts."""

    def __init__(self, seed: str) -> None:
        self.issuer = account_public_key(seed)
        self._pair = nkeys.from_seed(seed.encode())

    def _encode(self, claims: dict[str, Any]) -> str:
        body = {**claims, "iss": self.issuer, "iat": int(time.time())}
        unsigned = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        # nats-io/jwt names a JWT by a hash of its claims; the server does not check it.
        body["jti"] = base64.b32encode(hashlib.sha256(unsigned).digest()).decode().rstrip("=")
        head = _b64(json.dumps(HEADER, separators=(",", ":")).encode())
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        signature: bytes = self._pair.sign(f"{head}.{payload}".encode())
        return f"{head}.{payload}.{_b64(signature)}"

    def user_jwt(
        self,
        user_nkey: str,
        *,
        name: str,
        permissions: dict[str, object],
        expires_at: int | None = None,
    ) -> str:
        """`expires_at` only for a key that expires: nats-server cuts the connection
        then, and nats-py takes that cut as final. A revoked key's connections are cut
        by identity (`nats_sessions`)."""
        expiry = {"exp": expires_at} if expires_at is not None else {}
        return self._encode(
            {
                "sub": user_nkey,
                "name": name,
                "aud": GLOBAL_ACCOUNT,
                **expiry,
                "nats": {
                    **permissions,
                    # No limit on subscriptions, data or payload beyond the server's own.
                    "subs": -1,
                    "data": -1,
                    "payload": -1,
                    "type": "user",
                    "version": 2,
                },
            }
        )

    def allow(self, request: AuthRequest, user_jwt: str) -> bytes:
        return self._response(request, {"jwt": user_jwt})

    def refuse(self, request: AuthRequest, reason: str) -> bytes:
        return self._response(request, {"error": reason})

    def _response(self, request: AuthRequest, answer: dict[str, str]) -> bytes:
        claims = {
            "sub": request.user_nkey,
            "aud": request.server_id,
            "exp": int(time.time()) + 60,
            "nats": {**answer, "type": "authorization_response", "version": 2},
        }
        return self._encode(claims).encode()
