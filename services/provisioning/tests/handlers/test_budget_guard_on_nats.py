"""The budget guardrail across a real nats-server and PostgreSQL: provisioning, started as
it runs (its runtime, bootstrap and rpc handlers), asks a responder that serves cost's
CheckBudgetGuardrail subject as cost does; a caller on the gateway's side sends
CreateCluster. A refusal crosses both hops with its status, code and numbers; a cost that
is slow or not there lets the create go ahead with a warning, unless a fail-closed budget
that cost announced (BudgetChanged, through provisioning's own consumer and table)
covers it."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.dbadmin import provision_service
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import Conflict, SkyclustError
from skyclust_common.messaging import Bus, BusConfig, Delivery, RpcContext, connect_nats
from skyclust_common.runtime import Runtime, start_runtime, stop_runtime
from skyclust_provisioning.adapters.db import metadata
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.bootstrap import MIGRATIONS, bootstrap
from skyclust_provisioning.entrypoints import events, rpc
from skyclust_provisioning.handlers import budget_guard
from skyclust_provisioning.settings import ProvisioningSettings

pytestmark = pytest.mark.integration
ESTIMATE = {"currency": "USD", "monthly": "283.24", "line_items": [], "price_source": "x"}
TIMEOUT = 0.5


class BudgetExceeded(Conflict):
    code = "BUDGET_EXCEEDED"


@dataclass
class Cost:
    """What the responder does next: "refuse", "warn", "allow", "slow"."""

    mode: str = "allow"
    asked: list[dict[str, Any]] = field(default_factory=list)

    async def answer(self, data: dict[str, Any], ctx: RpcContext) -> dict[str, Any]:
        self.asked.append(data)
        if self.mode == "slow":
            await asyncio.sleep(TIMEOUT * 4)
        if self.mode == "refuse":
            raise BudgetExceeded(
                "budget 'platform' would reach 186.62% of its amount",
                details={
                    "budgets": [{"budget_id": str(uuid.uuid4()), "projected": "373.24"}],
                    "estimate": "283.24",
                },
            )
        warnings = []
        if self.mode == "warn":
            warnings = [{"code": "BUDGET_WOULD_BE_EXCEEDED", "message": "would reach 120%"}]
        return {
            "action": "warn" if warnings else "allow",
            "estimate": ESTIMATE,
            "findings": [],
            "warnings": warnings,
        }


@dataclass
class Running:
    runtime: Runtime
    gateway: Bus
    cost_bus: Bus
    cost: Cost


@pytest.fixture(scope="module")
async def running(nats_server: Any, postgres: Any, sessions: Any) -> AsyncIterator[Running]:
    url = await provision_service(postgres.url, "provisioning", "saga-test")
    settings = ProvisioningSettings(
        nats_url=nats_server.url,
        database_url=url,
        outbox_poll_seconds=0.1,
        budget_check_timeout_seconds=TIMEOUT,
    )
    runtime = await start_runtime("provisioning", settings, metadata, MIGRATIONS)
    deps = bootstrap(runtime, settings, providers={"aws": FakeClusterProvider()})

    async def lookup(workspace_id: str, credential_id: str) -> dict[str, Any]:
        return {"id": credential_id, "provider": "aws"}

    deps.lookup_credential = lookup
    await rpc.register(runtime.bus, deps)

    async def on_budget(event: CloudEvent, delivery: Delivery) -> None:
        await events.BUDGETS[event.name](deps, event, delivery)

    # Only the budgets' consumer: the saga is not what these tests are about.
    await runtime.bus.consume(
        budget_guard.CONSUMER, ["skyclust.evt.*.BudgetChanged"], on_budget, concurrency=1
    )
    registry = load_registry()
    gateway = Bus(
        await connect_nats(nats_server.url, name="gateway"), registry, BusConfig("gateway")
    )
    cost = Cost()
    cost_bus = Bus(await connect_nats(nats_server.url, name="cost"), registry, BusConfig("cost"))
    await cost_bus.serve("CheckBudgetGuardrail", cost.answer)
    await runtime.bus.nc.flush()
    yield Running(runtime, gateway, cost_bus, cost)
    await gateway.close()
    await cost_bus.close()
    await stop_runtime(runtime)


def create(workspace: str, **body: Any) -> dict[str, Any]:
    return {
        "workspace_id": workspace,
        "actor_id": "u1",
        "provider": "aws",
        "name": f"c{uuid.uuid4().hex[:8]}",
        "version": "1.29",
        "region": "us-east-1",
        "credential_id": str(uuid.uuid4()),
        "aws_config": {"subnet_ids": ["subnet-a", "subnet-b"]},
        "node_groups": [
            {
                "name": "web",
                "instance_type": "m5.large",
                "min_size": 1,
                "max_size": 3,
                "desired_size": 2,
            }
        ],
        "actor_is_admin": False,
        **body,
    }


async def clusters_of(running: Running, workspace: str) -> list[dict[str, Any]]:
    listed = await running.gateway.request(
        "provisioning", "ListClusters", {"workspace_id": workspace}
    )
    items: list[dict[str, Any]] = listed["items"]
    return items


async def test_a_refusal_crosses_both_hops_with_its_numbers_and_nothing_is_made(
    running: Running,
) -> None:
    workspace = str(uuid.uuid4())
    running.cost.mode = "refuse"
    with pytest.raises(SkyclustError) as refused:
        await running.gateway.request("provisioning", "CreateCluster", create(workspace))
    error = refused.value
    assert (error.status, error.code, error.retryable) == (409, "BUDGET_EXCEEDED", False)
    assert error.details["estimate"] == "283.24"
    assert error.details["budgets"][0]["projected"] == "373.24"
    assert running.cost.asked[-1]["node_groups"][0]["desired_size"] == 2
    assert await clusters_of(running, workspace) == []


async def test_a_warning_comes_back_in_the_reply(running: Running) -> None:
    workspace = str(uuid.uuid4())
    running.cost.mode = "warn"
    made = await running.gateway.request("provisioning", "CreateCluster", create(workspace))
    assert [w["code"] for w in made["warnings"]] == ["BUDGET_WOULD_BE_EXCEEDED"]
    assert [c["id"] for c in await clusters_of(running, workspace)] == [made["id"]]


async def test_a_cost_too_slow_to_answer_lets_it_go_ahead_with_a_warning(
    running: Running,
) -> None:
    workspace = str(uuid.uuid4())
    running.cost.mode = "slow"
    started = asyncio.get_running_loop().time()
    made = await running.gateway.request("provisioning", "CreateCluster", create(workspace))
    took = asyncio.get_running_loop().time() - started
    assert [w["code"] for w in made["warnings"]] == ["BUDGET_CHECK_SKIPPED"]
    assert took < TIMEOUT * 3  # it waited for the check's timeout, not the responder
    assert len(await clusters_of(running, workspace)) == 1


async def test_an_announced_fail_closed_budget_refuses_while_cost_is_slow_and_retry_works(
    running: Running,
) -> None:
    workspace = str(uuid.uuid4())
    budget_id = str(uuid.uuid4())
    running.cost.mode = "slow"
    announced = new_event(
        "BudgetChanged",
        {
            "budget_id": budget_id,
            "name": "all",
            "change": "created",
            "scope": "workspace",
            "scope_value": None,
            "mode": "enforce",
            "fail_closed": True,
            "changed_at": datetime.now(UTC).isoformat(),
        },
        source="cost",
        subject=budget_id,
        workspace_id=workspace,
    )
    await running.cost_bus.publish(announced)
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        with contextlib.suppress(SkyclustError):
            await running.gateway.request("provisioning", "CreateCluster", create(workspace))
            # Went ahead: the consumer has not stored the budget yet; each try is a
            # cluster made with BUDGET_CHECK_SKIPPED.
            assert asyncio.get_running_loop().time() < deadline, "the budget never arrived"
            continue
        break
    made_before = len(await clusters_of(running, workspace))
    with pytest.raises(SkyclustError) as refused:
        await running.gateway.request("provisioning", "CreateCluster", create(workspace))
    error = refused.value
    assert (error.status, error.code, error.retryable) == (409, "BUDGET_CHECK_UNAVAILABLE", True)
    assert error.details["budgets"] == [{"budget_id": budget_id, "name": "all"}]
    assert len(await clusters_of(running, workspace)) == made_before
    running.cost.mode = "allow"
    again = await running.gateway.request("provisioning", "CreateCluster", create(workspace))
    assert again["warnings"] == []
    assert len(await clusters_of(running, workspace)) == made_before + 1
