from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from skyclust_common.messages.rpc import (
    AddMember,
    CheckSession,
    CompleteMfaLogin,
    CompleteOidcLogin,
    CompletePasswordReset,
    ConfirmMfaEnrolment,
    ConfirmOidcLink,
    CreateApiKey,
    CreateWorkspace,
    DisableMfa,
    GetJwks,
    GetMe,
    GetWorkspace,
    IssueStreamTicket,
    ListApiKeys,
    ListAuditLogs,
    ListMembers,
    ListOidcProviders,
    ListWorkspaces,
    Login,
    Logout,
    RecordAudit,
    RefreshTokens,
    RegisterUser,
    RemoveMember,
    RequestEmailChange,
    RequestPasswordReset,
    ResendVerification,
    RevokeApiKey,
    RotateSigningKey,
    SetWorkspaceMfaPolicy,
    StartMfaEnrolment,
    StartOidcLogin,
    SwitchWorkspace,
    UpdateMember,
    UpdateWorkspace,
    VerifyApiKey,
    VerifyEmail,
)
from skyclust_common.messaging import Bus, RpcContext, serve_handlers

from ..handlers import accounts, api_keys, audit, auth, mfa, oidc, sessions, signing, workspaces
from ..handlers.base import IdentityDeps

Handler = Callable[[IdentityDeps, dict[str, Any], RpcContext], Awaitable[dict[str, Any]]]


HANDLERS: dict[str, Handler] = {
    "RegisterUser": RegisterUser.served(auth.register),
    "Login": Login.served(auth.login),
    "RefreshTokens": RefreshTokens.served(sessions.refresh),
    "Logout": Logout.served(sessions.logout),
    "SwitchWorkspace": SwitchWorkspace.served(sessions.switch_workspace),
    "CheckSession": CheckSession.served(sessions.check_session),
    "GetMe": GetMe.served(sessions.me),
    "GetJwks": GetJwks.served(signing.jwks),
    "RotateSigningKey": RotateSigningKey.served(signing.rotate_signing_key),
    "IssueStreamTicket": IssueStreamTicket.served(sessions.stream_ticket),
    "ListWorkspaces": ListWorkspaces.served(workspaces.list_workspaces),
    "CreateWorkspace": CreateWorkspace.served(workspaces.create_workspace),
    "GetWorkspace": GetWorkspace.served(workspaces.get_workspace),
    "UpdateWorkspace": UpdateWorkspace.served(workspaces.update_workspace),
    "ListMembers": ListMembers.served(workspaces.list_members),
    "AddMember": AddMember.served(workspaces.add_member),
    "UpdateMember": UpdateMember.served(workspaces.update_member),
    "RemoveMember": RemoveMember.served(workspaces.remove_member),
    "CreateApiKey": CreateApiKey.served(api_keys.create_api_key),
    "ListApiKeys": ListApiKeys.served(api_keys.list_api_keys),
    "RevokeApiKey": RevokeApiKey.served(api_keys.revoke_api_key),
    "VerifyApiKey": VerifyApiKey.served(api_keys.verify_api_key),
    "RecordAudit": RecordAudit.served(audit.record_audit),
    "ListAuditLogs": ListAuditLogs.served(audit.list_audit_logs),
    "ListOidcProviders": ListOidcProviders.served(oidc.list_providers),
    "StartOidcLogin": StartOidcLogin.served(oidc.start_login),
    "CompleteOidcLogin": CompleteOidcLogin.served(oidc.complete_login),
    "ConfirmOidcLink": ConfirmOidcLink.served(oidc.confirm_link),
    "VerifyEmail": VerifyEmail.served(accounts.verify_email),
    "ResendVerification": ResendVerification.served(accounts.resend_verification),
    "RequestEmailChange": RequestEmailChange.served(accounts.request_email_change),
    "RequestPasswordReset": RequestPasswordReset.served(accounts.request_password_reset),
    "CompletePasswordReset": CompletePasswordReset.served(accounts.complete_password_reset),
    "StartMfaEnrolment": StartMfaEnrolment.served(mfa.start_enrolment),
    "ConfirmMfaEnrolment": ConfirmMfaEnrolment.served(mfa.confirm_enrolment),
    "DisableMfa": DisableMfa.served(mfa.disable),
    "CompleteMfaLogin": CompleteMfaLogin.served(mfa.complete_login),
    "SetWorkspaceMfaPolicy": SetWorkspaceMfaPolicy.served(mfa.set_workspace_policy),
}


async def register(bus: Bus, deps: IdentityDeps) -> None:
    await serve_handlers(bus, HANDLERS, deps)
