"""What the cost unit tests share: deps on the fake store, a handler called as the bus
calls it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from skyclust_cost.adapters.billing.base import BillingCollector
from skyclust_cost.adapters.fake_uow import FakeCostUnitOfWork
from skyclust_cost.entrypoints.rpc import CONTRACTS
from skyclust_cost.handlers.common import CostDeps

from skyclust_common.fake_uow import FakeDatabase
from skyclust_common.messaging import RpcContext

TODAY = date(2026, 12, 3)
CTX = RpcContext({})


async def decrypt_nothing(ws: str, cred: str, reason: str, corr: str) -> dict[str, Any]:
    return {"data": {"secret": "x"}}


def make_deps(
    collectors: dict[str, BillingCollector] | None = None,
    db: FakeDatabase | None = None,
    **kwargs: Any,
) -> CostDeps:
    shared = db if db is not None else FakeDatabase()
    return CostDeps(
        uow=lambda: FakeCostUnitOfWork(shared),
        collectors=collectors or {},
        decrypt_credential=decrypt_nothing,
        today=lambda: TODAY,
        **kwargs,
    )


async def call(handler: Callable[..., Any], deps: CostDeps, body: dict[str, Any]) -> Any:
    """A handler as the bus calls it: its request parsed by the contract it serves."""
    return await handler(deps, CONTRACTS[handler].request(body), CTX)
