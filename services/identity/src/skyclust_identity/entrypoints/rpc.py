from __future__ import annotations

from skyclust_common.messaging import Bus, serve_handlers

from ..handlers import api_keys, audit, auth, oidc, sessions, signing, workspaces
from ..handlers.base import IdentityDeps

HANDLERS = {
    "RegisterUser": auth.register,
    "Login": auth.login,
    "RefreshTokens": sessions.refresh,
    "Logout": sessions.logout,
    "SwitchWorkspace": sessions.switch_workspace,
    "CheckSession": sessions.check_session,
    "GetMe": sessions.me,
    "GetJwks": signing.jwks,
    "RotateSigningKey": signing.rotate_signing_key,
    "IssueStreamTicket": sessions.stream_ticket,
    "ListWorkspaces": workspaces.list_workspaces,
    "CreateWorkspace": workspaces.create_workspace,
    "GetWorkspace": workspaces.get_workspace,
    "UpdateWorkspace": workspaces.update_workspace,
    "ListMembers": workspaces.list_members,
    "AddMember": workspaces.add_member,
    "UpdateMember": workspaces.update_member,
    "RemoveMember": workspaces.remove_member,
    "CreateApiKey": api_keys.create_api_key,
    "ListApiKeys": api_keys.list_api_keys,
    "RevokeApiKey": api_keys.revoke_api_key,
    "VerifyApiKey": api_keys.verify_api_key,
    "RecordAudit": audit.record_audit,
    "ListAuditLogs": audit.list_audit_logs,
    "ListOidcProviders": oidc.list_providers,
    "StartOidcLogin": oidc.start_login,
    "CompleteOidcLogin": oidc.complete_login,
}


async def register(bus: Bus, deps: IdentityDeps) -> None:
    await serve_handlers(bus, HANDLERS, deps)
