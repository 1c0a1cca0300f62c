"""Account security: verifying the email address, resetting a forgotten password, TOTP
MFA (enrolment, the second step of a login) and a workspace's MFA policy. Identity
decides everything; these routes only say who is asking."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from ..envelope import ok
from ..errors import UserLoginRequired, WorkspaceNotFound
from ..permissions import public
from .deps import Svc, UserReader, WorkspaceManager
from .models import Strict

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
policy_router = APIRouter(prefix="/api/v1/workspaces", tags=["workspaces"])

Token = Field(min_length=16, max_length=256)
Code = Field(default=None, min_length=1, max_length=16)
RecoveryCode = Field(default=None, min_length=1, max_length=32)


class TokenBody(Strict):
    token: str = Token


class ResetRequestBody(Strict):
    email: str = Field(min_length=1, max_length=320)


class ResetBody(Strict):
    token: str = Token
    password: str = Field(min_length=1, max_length=1024)


class EmailChangeBody(Strict):
    email: str = Field(min_length=3, max_length=320)
    password: str | None = Field(default=None, min_length=1, max_length=1024)
    code: str | None = Code
    recovery_code: str | None = RecoveryCode


class CodeBody(Strict):
    code: str = Field(min_length=1, max_length=16)


class SecondFactorBody(Strict):
    code: str | None = Code
    recovery_code: str | None = RecoveryCode


class MfaLoginBody(SecondFactorBody):
    mfa_token: str = Token


class LinkBody(Strict):
    link_token: str = Token


class MfaPolicyBody(Strict):
    require_mfa: bool


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post("/verify-email", dependencies=[Depends(public)])
async def verify_email(body: TokenBody, svc: Svc) -> JSONResponse:
    """The token of the link in the verification email; it works once."""
    return ok(await svc.call("identity", "VerifyEmail", {"token": body.token}))


@router.post("/verify-email/resend", status_code=202)
async def resend_verification(request: Request, principal: UserReader, svc: Svc) -> JSONResponse:
    """Mail the email-verification link again. The answer is the same whether or not the
    address has an account."""
    data = {"user_id": principal.user_id, "client_address": _client(request)}
    return ok(await svc.call("identity", "ResendVerification", data), 202)


@router.post("/email-change", status_code=202)
async def request_email_change(
    body: EmailChangeBody, request: Request, principal: UserReader, svc: Svc
) -> JSONResponse:
    """Mails a link to the new address; the account moves to it when the link is used
    (`POST /auth/verify-email`). Asks for the password, and the second factor with MFA on."""
    data = {
        "user_id": principal.user_id,
        **body.model_dump(exclude_none=True),
        "client_address": _client(request),
    }
    return ok(await svc.call("identity", "RequestEmailChange", data), 202)


@router.post("/password-reset", status_code=202, dependencies=[Depends(public)])
async def request_password_reset(
    body: ResetRequestBody, request: Request, svc: Svc
) -> JSONResponse:
    """Always 202, whether the address has an account or not."""
    data = {"email": body.email, "client_address": _client(request)}
    return ok(await svc.call("identity", "RequestPasswordReset", data), 202)


@router.post("/password-reset/complete", dependencies=[Depends(public)])
async def complete_password_reset(body: ResetBody, svc: Svc) -> JSONResponse:
    """Sets the new password and ends every session of the account."""
    return ok(await svc.call("identity", "CompletePasswordReset", body.model_dump()))


@router.post("/login/mfa", dependencies=[Depends(public)])
async def complete_mfa_login(body: MfaLoginBody, request: Request, svc: Svc) -> JSONResponse:
    """The second step of a login answered with `mfa_required`."""
    data = {**body.model_dump(exclude_none=True), "client_address": _client(request)}
    return ok(await svc.call("identity", "CompleteMfaLogin", data))


@router.post("/mfa/enrolment")
async def start_mfa_enrolment(principal: UserReader, svc: Svc) -> JSONResponse:
    """Start TOTP enrolment: a secret and its otpauth URI for an authenticator app; confirm
    with a code to turn MFA on."""
    return ok(await svc.call("identity", "StartMfaEnrolment", {"user_id": principal.user_id}))


@router.post("/mfa/enrolment/confirm")
async def confirm_mfa_enrolment(body: CodeBody, principal: UserReader, svc: Svc) -> JSONResponse:
    """Answers the recovery codes, this once."""
    data = {"user_id": principal.user_id, "code": body.code}
    return ok(await svc.call("identity", "ConfirmMfaEnrolment", data))


@router.post("/mfa/disable")
async def disable_mfa(body: SecondFactorBody, principal: UserReader, svc: Svc) -> JSONResponse:
    """Turn the caller's second factor off, proving it with a current code or a recovery
    code."""
    data = {"user_id": principal.user_id, **body.model_dump(exclude_none=True)}
    return ok(await svc.call("identity", "DisableMfa", data))


@router.post("/oidc/links")
async def confirm_oidc_link(body: LinkBody, principal: UserReader, svc: Svc) -> JSONResponse:
    """Say yes, from this account, to the provider account of an OIDC_LINK_REQUIRED login."""
    data = {"user_id": principal.user_id, "link_token": body.link_token}
    return ok(await svc.call("identity", "ConfirmOidcLink", data))


@policy_router.put("/{workspace_id}/mfa-policy")
async def set_mfa_policy(
    workspace_id: uuid.UUID, body: MfaPolicyBody, principal: WorkspaceManager, svc: Svc
) -> JSONResponse:
    """Require a second factor of the workspace's members, or stop requiring it."""
    if str(workspace_id) != principal.workspace_id:
        raise WorkspaceNotFound()
    if principal.actor_type == "api_key":
        raise UserLoginRequired()
    data = {
        "user_id": principal.user_id,
        "workspace_id": str(workspace_id),
        "require_mfa": body.require_mfa,
    }
    return ok(await svc.call("identity", "SetWorkspaceMfaPolicy", data))
