from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from skyclust_common.messages.base import Rpc, RpcRequest
from skyclust_common.messages.rpc import (
    CreateCredential,
    DecryptCredential,
    DeleteCredential,
    GetCredential,
    ListCredentials,
    RotateCredential,
    ValidateCredential,
)
from skyclust_common.messaging import Bus, RpcContext, serve_handlers

from ..handlers import credentials
from ..handlers.credentials import VaultDeps

R = TypeVar("R", bound=RpcRequest)
Handler = Callable[[VaultDeps, dict[str, Any], RpcContext], Awaitable[dict[str, Any]]]


def typed(
    rpc: type[Rpc[R, Any]],
    handler: Callable[[VaultDeps, R, RpcContext], Awaitable[dict[str, Any]]],
) -> Handler:
    """The handler served with its request parsed into the contract's model (the bus
    has validated it against the contract already)."""

    async def call(deps: VaultDeps, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
        return await handler(deps, rpc.request(data), ctx)

    return call


# Each handler and the contract it serves; the harnesses of the tests call a handler
# with its request parsed the same way.
CONTRACTS: dict[Callable[..., Awaitable[dict[str, Any]]], type[Rpc[Any, Any]]] = {
    credentials.create: CreateCredential,
    credentials.list_: ListCredentials,
    credentials.get: GetCredential,
    credentials.rotate: RotateCredential,
    credentials.validate: ValidateCredential,
    credentials.delete: DeleteCredential,
    credentials.decrypt: DecryptCredential,
}
HANDLERS: dict[str, Handler] = {
    contract.CONTRACT: typed(contract, handler) for handler, contract in CONTRACTS.items()
}


async def register(bus: Bus, deps: VaultDeps) -> None:
    await serve_handlers(bus, HANDLERS, deps)
