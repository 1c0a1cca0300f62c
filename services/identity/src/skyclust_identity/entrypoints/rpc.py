from __future__ import annotations

from skyclust_common.messaging import Bus, serve_handlers

from ..handlers import auth

HANDLERS = {
    "RegisterUser": auth.register,
    "Login": auth.login,
    "GetMe": auth.me,
    "GetJwks": auth.jwks,
    "IssueStreamTicket": auth.stream_ticket,
}


async def register(bus: Bus, deps: auth.IdentityDeps) -> None:
    await serve_handlers(bus, HANDLERS, deps)
