from __future__ import annotations

from skyclust_common.messaging import Bus, serve_handlers

from ..handlers import credentials

HANDLERS = {
    "CreateCredential": credentials.create,
    "ListCredentials": credentials.list_,
    "GetCredential": credentials.get,
    "RotateCredential": credentials.rotate,
    "ValidateCredential": credentials.validate,
    "DeleteCredential": credentials.delete,
    "DecryptCredential": credentials.decrypt,
}


async def register(bus: Bus, deps: credentials.VaultDeps) -> None:
    await serve_handlers(bus, HANDLERS, deps)
