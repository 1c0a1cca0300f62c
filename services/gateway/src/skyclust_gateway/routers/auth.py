from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ..envelope import ok
from ..permissions import public
from .deps import Reader, Svc
from .models import LoginBody, RegisterBody

router = APIRouter(tags=["auth"])


@router.post("/api/v1/auth/register", status_code=201, dependencies=[Depends(public)])
async def register(body: RegisterBody, svc: Svc) -> JSONResponse:
    """Sign up: a user and a new workspace, of which the user is the admin. Passwords have
    at least 10 characters, with letters and a digit or symbol; the email is verified by
    a mailed link."""
    result = await svc.call("identity", "RegisterUser", body.to_data())
    return ok(result, 201)


@router.post("/api/v1/auth/login", dependencies=[Depends(public)])
async def login(body: LoginBody, request: Request, svc: Svc) -> JSONResponse:
    """Log in with email and password: tokens, or an MFA challenge when the account has a
    second factor. Repeated failures for an account or a client address answer 429 with
    `Retry-After`, the same for unknown emails."""
    client = request.client.host if request.client else None
    result = await svc.call("identity", "Login", {**body.model_dump(), "client_address": client})
    return ok(result)


@router.get("/api/v1/auth/me")
async def me(principal: Reader, svc: Svc) -> JSONResponse:
    """The user and their role here; for an API key, the key itself (it has no user)."""
    if principal.actor_type == "api_key":
        return ok(
            {
                "actor_type": "api_key",
                "api_key_id": principal.user_id.removeprefix("apikey:"),
                "workspace_id": principal.workspace_id,
                "role": principal.role,
            }
        )
    result = await svc.call(
        "identity", "GetMe", {"user_id": principal.user_id, "workspace_id": principal.workspace_id}
    )
    return ok(result)


@router.get("/.well-known/jwks.json", tags=["auth"], dependencies=[Depends(public)])
async def jwks(request: Request) -> dict[str, Any]:
    """The public keys that verify SkyClust access tokens (a bare JWKS, per RFC 7517)."""
    document: dict[str, Any] = await request.app.state.jwks.jwks()
    return document
