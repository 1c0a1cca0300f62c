from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from skyclust_common.messages.base import Rpc, RpcRequest
from skyclust_common.messages.rpc import (
    AddMember,
    CheckSession,
    CreateApiKey,
    CreateWorkspace,
    GetMe,
    GetWorkspace,
    IssueStreamTicket,
    ListApiKeys,
    ListMembers,
    ListWorkspaces,
    Logout,
    RefreshTokens,
    RemoveMember,
    RevokeApiKey,
    SwitchWorkspace,
    UpdateMember,
    UpdateWorkspace,
    VerifyApiKey,
)
from skyclust_common.messaging import Bus, RpcContext, serve_handlers

from ..handlers import api_keys, audit, auth, oidc, sessions, signing, workspaces
from ..handlers.base import IdentityDeps

R = TypeVar("R", bound=RpcRequest)
Handler = Callable[[IdentityDeps, dict[str, Any], RpcContext], Awaitable[dict[str, Any]]]


def typed(
    rpc: type[Rpc[R, Any]],
    handler: Callable[[IdentityDeps, R, RpcContext], Awaitable[dict[str, Any]]],
) -> Handler:
    """A handler that takes the request as its contract's model, served like the others
    (the bus has validated the request against the contract already)."""

    async def call(deps: IdentityDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
        return await handler(deps, rpc.request(data), ctx)

    return call


HANDLERS: dict[str, Handler] = {
    "RegisterUser": auth.register,
    "Login": auth.login,
    "RefreshTokens": typed(RefreshTokens, sessions.refresh),
    "Logout": typed(Logout, sessions.logout),
    "SwitchWorkspace": typed(SwitchWorkspace, sessions.switch_workspace),
    "CheckSession": typed(CheckSession, sessions.check_session),
    "GetMe": typed(GetMe, sessions.me),
    "GetJwks": signing.jwks,
    "RotateSigningKey": signing.rotate_signing_key,
    "IssueStreamTicket": typed(IssueStreamTicket, sessions.stream_ticket),
    "ListWorkspaces": typed(ListWorkspaces, workspaces.list_workspaces),
    "CreateWorkspace": typed(CreateWorkspace, workspaces.create_workspace),
    "GetWorkspace": typed(GetWorkspace, workspaces.get_workspace),
    "UpdateWorkspace": typed(UpdateWorkspace, workspaces.update_workspace),
    "ListMembers": typed(ListMembers, workspaces.list_members),
    "AddMember": typed(AddMember, workspaces.add_member),
    "UpdateMember": typed(UpdateMember, workspaces.update_member),
    "RemoveMember": typed(RemoveMember, workspaces.remove_member),
    "CreateApiKey": typed(CreateApiKey, api_keys.create_api_key),
    "ListApiKeys": typed(ListApiKeys, api_keys.list_api_keys),
    "RevokeApiKey": typed(RevokeApiKey, api_keys.revoke_api_key),
    "VerifyApiKey": typed(VerifyApiKey, api_keys.verify_api_key),
    "RecordAudit": audit.record_audit,
    "ListAuditLogs": audit.list_audit_logs,
    "ListOidcProviders": oidc.list_providers,
    "StartOidcLogin": oidc.start_login,
    "CompleteOidcLogin": oidc.complete_login,
}


async def register(bus: Bus, deps: IdentityDeps) -> None:
    await serve_handlers(bus, HANDLERS, deps)
