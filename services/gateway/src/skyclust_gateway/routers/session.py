"""Refresh, logout and switching workspaces."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ..auth import TokenVerifier
from ..envelope import ok
from ..permissions import public
from .deps import Reader, Svc, UserReader
from .models import RefreshBody, SwitchWorkspaceBody

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/refresh", dependencies=[Depends(public)])
async def refresh(body: RefreshBody, svc: Svc) -> JSONResponse:
    """Single use: the refresh token in the reply replaces the one sent. Sending a used
    one again ends the whole session."""
    return ok(await svc.call("identity", "RefreshTokens", body.to_data()))


@router.post("/logout")
async def logout(
    request: Request,
    principal: Reader,
    svc: Svc,
) -> JSONResponse:
    """End the caller's session: its access and refresh tokens stop working."""
    if principal.session_id is None:
        return ok({"session_ids": []}, message="API keys have no session; revoke the key instead")
    result = await svc.call(
        "identity",
        "Logout",
        {"user_id": principal.user_id, "session_id": principal.session_id},
    )
    verifier: TokenVerifier = request.app.state.verifier
    verifier.revocations.add(result["session_ids"])
    return ok(result)


@router.post("/switch-workspace")
async def switch_workspace(
    body: SwitchWorkspaceBody,
    principal: UserReader,
    svc: Svc,
) -> JSONResponse:
    """Tokens for another workspace the caller belongs to, with their role there."""
    result = await svc.call(
        "identity",
        "SwitchWorkspace",
        {"user_id": principal.user_id, "workspace_id": str(body.workspace_id)},
    )
    return ok(result)
