"""A handler called as the bus calls it: with its request parsed by the contract it
serves (entrypoints/rpc.py), so a test's request is checked as a gateway's would be."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from skyclust_common.messaging import RpcContext
from skyclust_provisioning.entrypoints.rpc import CONTRACTS
from skyclust_provisioning.handlers.shared import ProvisioningDeps

CTX = RpcContext({})


async def call(
    handler: Callable[..., Awaitable[dict[str, Any]]],
    deps: ProvisioningDeps,
    body: dict[str, Any],
    ctx: RpcContext = CTX,
) -> dict[str, Any]:
    return await handler(deps, CONTRACTS[handler].request(body), ctx)
