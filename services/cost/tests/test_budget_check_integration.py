"""Budgets on a real PostgreSQL and nats-server, through the service's own start-up path
(migrations, outbox relay, rpc handlers): repeated and concurrent checks publish each
crossing once, and its recovery once; the rpcs answer over the bus, and a bad field or
an unknown budget comes back as its error and code."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import nats
import pytest
from skyclust_cost.adapters.db import metadata
from skyclust_cost.bootstrap import MIGRATIONS, SERVICE, bootstrap, wire
from skyclust_cost.domain.records import CostRow
from skyclust_cost.handlers import budgets
from skyclust_cost.handlers.budget_check import check_workspace
from skyclust_cost.settings import CostSettings

from skyclust_common.contracts import load_registry
from skyclust_common.dbadmin import provision_service
from skyclust_common.errors import SkyclustError
from skyclust_common.messages.rpc import CreateBudget
from skyclust_common.messaging import Bus, BusConfig, RpcContext
from skyclust_common.migrations import upgrade_head
from skyclust_common.runtime import start_runtime, stop_runtime

pytestmark = pytest.mark.integration

TODAY = date(2026, 12, 3)


def row(day: date, amount: str) -> CostRow:
    return CostRow(day, "aws", "123", "EC2", "us-east-1", Decimal(amount))


async def until(predicate: Any, timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


async def test_repeated_and_concurrent_checks_publish_each_crossing_once(
    nats_server: Any, postgres: Any
) -> None:
    url = await provision_service(postgres.url, SERVICE, "cost-test")
    # The operator's migrate step: the service only checks its schema at start.
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    settings = CostSettings(
        nats_url=nats_server.url,
        database_url=url,
        collect_interval_seconds=0,
        budget_check_interval_seconds=0,
        outbox_poll_seconds=0.1,
    )
    runtime = await start_runtime(SERVICE, settings, metadata, MIGRATIONS)
    watcher = await nats.connect(nats_server.url)
    try:
        deps = bootstrap(runtime, settings, collectors={})
        deps.today = lambda: TODAY
        workspace = uuid.uuid4()
        seen: list[tuple[str, dict[str, Any]]] = []

        async def record(msg: Any) -> None:
            seen.append((msg.subject.rsplit(".", 1)[1], json.loads(msg.data)["data"]))

        await watcher.subscribe(f"skyclust.evt.{workspace}.*", cb=record)
        await watcher.flush()

        first = TODAY.replace(day=1)
        async with deps.uow() as uow:
            await uow.records.upsert(
                workspace, [row(first + timedelta(days=i), "300") for i in range(3)]
            )
            await uow.commit()
        request = CreateBudget.request(
            {
                "workspace_id": str(workspace),
                "actor_id": "u1",
                "name": "platform",
                "amount": "1000",
                "period": "monthly",
                "thresholds": ["80"],
            }
        )
        made = await budgets.create_budget(deps, request, RpcContext({}))

        await asyncio.gather(*(check_workspace(deps, workspace) for _ in range(4)))
        for _ in range(3):
            await check_workspace(deps, workspace)
        await until(lambda: any(name == "BudgetThresholdCrossed" for name, _ in seen))
        await asyncio.sleep(1.0)  # room for a duplicate to arrive, were one sent
        crossed = [d for name, d in seen if name == "BudgetThresholdCrossed"]
        keys = sorted((d["kind"], d["threshold"], d["period_key"]) for d in crossed)
        assert ("actual", "80", "2026-12") in keys
        assert len(keys) == len(set(keys))
        assert all(d["budget_id"] == made["budget_id"] for d in crossed)

        async with deps.uow() as uow:
            await uow.records.upsert(
                workspace, [row(first + timedelta(days=i), "1") for i in range(3)]
            )
            await uow.commit()
        await asyncio.gather(*(check_workspace(deps, workspace) for _ in range(3)))
        await check_workspace(deps, workspace)
        await until(lambda: any(name == "BudgetRecovered" for name, _ in seen))
        await asyncio.sleep(1.0)
        recovered = sorted(
            (d["kind"], d["threshold"], d["period_key"])
            for name, d in seen
            if name == "BudgetRecovered"
        )
        assert recovered == keys
        assert len([1 for name, _ in seen if name == "BudgetThresholdCrossed"]) == len(keys)
    finally:
        await watcher.close()
        await stop_runtime(runtime)


async def test_the_budget_rpcs_answer_over_the_bus_with_their_codes(
    nats_server: Any, postgres: Any
) -> None:
    url = await provision_service(postgres.url, SERVICE, "cost-test")
    # The operator's migrate step: the service only checks its schema at start.
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    settings = CostSettings(
        nats_url=nats_server.url,
        database_url=url,
        collect_interval_seconds=0,
        budget_check_interval_seconds=0,
        outbox_poll_seconds=0.1,
    )
    runtime = await start_runtime(SERVICE, settings, metadata, MIGRATIONS)
    gateway = Bus(await nats.connect(nats_server.url), load_registry(), BusConfig("gateway"))
    try:
        await wire(runtime, settings, collectors={})
        await runtime.bus.nc.flush()
        workspace = str(uuid.uuid4())
        made = await gateway.request(
            SERVICE,
            "CreateBudget",
            {
                "workspace_id": workspace,
                "actor_id": "u1",
                "name": "team web",
                "amount": "500.25",
                "period": "quarterly",
                "scope": {"kind": "tag", "value": "team=web"},
                "mode": "enforce",
            },
        )
        assert (made["amount"], made["period"], made["mode"]) == ("500.25", "quarterly", "enforce")
        got = await gateway.request(
            SERVICE, "GetBudget", {"workspace_id": workspace, "budget_id": made["budget_id"]}
        )
        assert got["status"]["actual"] == "0.00"
        assert got["status"]["crossed"] == []
        listed = await gateway.request(SERVICE, "ListBudgets", {"workspace_id": workspace})
        assert [b["budget_id"] for b in listed["items"]] == [made["budget_id"]]

        with pytest.raises(SkyclustError) as bad:
            await gateway.request(
                SERVICE,
                "CreateBudget",
                {
                    "workspace_id": workspace,
                    "actor_id": "u1",
                    "name": "x",
                    "amount": "0",
                    "period": "daily",
                },
            )
        assert (bad.value.status, bad.value.code) == (422, "INVALID_BUDGET")
        assert set(bad.value.details) == {"amount", "period"}
        other = {"workspace_id": str(uuid.uuid4()), "budget_id": made["budget_id"]}
        with pytest.raises(SkyclustError) as missing:
            await gateway.request(SERVICE, "GetBudget", other)
        assert (missing.value.status, missing.value.code) == (404, "BUDGET_NOT_FOUND")
        gone = await gateway.request(
            SERVICE, "DeleteBudget", {**other, "workspace_id": workspace, "actor_id": "u1"}
        )
        assert gone["deleted"] is True
    finally:
        await gateway.nc.close()
        await stop_runtime(runtime)
