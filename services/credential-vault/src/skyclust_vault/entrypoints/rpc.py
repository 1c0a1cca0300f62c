from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from skyclust_common.messages.base import Rpc
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

Handler = Callable[[VaultDeps, dict[str, Any], RpcContext], Awaitable[dict[str, Any]]]


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
    contract.CONTRACT: contract.served(handler) for handler, contract in CONTRACTS.items()
}


async def register(bus: Bus, deps: VaultDeps) -> None:
    await serve_handlers(bus, HANDLERS, deps)
