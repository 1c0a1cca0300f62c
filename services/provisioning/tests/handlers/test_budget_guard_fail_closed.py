"""The guardrail while cost cannot be asked: the fail-closed budgets provisioning knows
from cost's BudgetChanged events (the latest change of each winning, each event once),
and what they refuse, on the in-memory unit of work and cloud."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import SkyclustError
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.handlers import budget_guard

from .saga_harness import delivery
from .test_budget_guard import REGISTRY, World

pytestmark = pytest.mark.unit


def budget_changed(
    world: World,
    name: str,
    scope: str,
    value: str | None,
    *,
    change: str = "created",
    fail_closed: bool = True,
    at: datetime | None = None,
    budget_id: str | None = None,
) -> CloudEvent:
    """cost's BudgetChanged, as it publishes it."""
    budget = budget_id or str(uuid.uuid4())
    data: dict[str, Any] = {
        "budget_id": budget,
        "name": name,
        "change": change,
        "scope": scope,
        "scope_value": value,
        "mode": "enforce",
        "fail_closed": fail_closed,
        "changed_at": (at or datetime.now(UTC)).isoformat(),
    }
    REGISTRY.validate("BudgetChanged", data)
    return new_event(
        "BudgetChanged",
        data,
        source="cost",
        subject=data["budget_id"],
        workspace_id=world.workspace,
    )


async def learn(world: World, event: CloudEvent, n: int = 1) -> None:
    await budget_guard.on_budget_changed(world.deps, event, delivery(n))


async def test_a_fail_closed_budget_cost_announced_refuses_while_cost_is_down():
    world = World()
    closed = budget_changed(world, "aws-guard", "provider", "aws")
    await learn(world, closed)
    await learn(world, budget_changed(world, "open", "workspace", None, fail_closed=False))
    with pytest.raises(SkyclustError) as refused:
        await world.create()  # cost down
    error = refused.value
    assert (error.status, error.code, error.retryable) == (409, "BUDGET_CHECK_UNAVAILABLE", True)
    assert error.details["budgets"] == [
        {"budget_id": closed.data["budget_id"], "name": "aws-guard"}
    ]
    assert world.names().count("ClusterRequested") == 0

    # Not covered (another provider): goes ahead with the warning.
    world.deps.providers = {**world.deps.providers, "gcp": FakeClusterProvider()}

    async def lookup(workspace_id: str, credential_id: str) -> dict[str, Any]:
        return {"id": credential_id, "provider": "gcp"}

    world.deps.lookup_credential = lookup
    other = await world.create(provider="gcp", region="us-central1")
    assert [w["code"] for w in other["warnings"]] == ["BUDGET_CHECK_SKIPPED"]


async def test_the_latest_change_of_a_budget_wins_however_events_arrive():
    world = World()
    budget_id = str(uuid.uuid4())
    then = datetime.now(UTC) - timedelta(minutes=5)
    created = budget_changed(world, "all", "workspace", None, at=then, budget_id=budget_id)
    deleted = budget_changed(
        world, "all", "workspace", None, change="deleted", at=then + timedelta(minutes=1),
        budget_id=budget_id,
    )  # fmt: skip
    await learn(world, created)
    await learn(world, deleted)
    await learn(world, created, 2)  # redelivered after the delete: changes nothing
    late_older = budget_changed(
        world, "all", "workspace", None, change="updated", at=then, budget_id=budget_id
    )
    await learn(world, late_older)  # an older update delivered late: ignored
    made = await world.create()
    assert [w["code"] for w in made["warnings"]] == ["BUDGET_CHECK_SKIPPED"]
    # Another that fails closed refuses; set to fail open later, it no longer does.
    again = budget_changed(world, "all", "workspace", None, at=then + timedelta(minutes=2))
    await learn(world, again)
    with pytest.raises(SkyclustError):
        await world.create()
    opened = budget_changed(
        world, "all", "workspace", None, change="updated", fail_closed=False,
        at=then + timedelta(minutes=3), budget_id=again.data["budget_id"],
    )  # fmt: skip
    await learn(world, opened)
    assert [w["code"] for w in (await world.create())["warnings"]] == ["BUDGET_CHECK_SKIPPED"]


async def test_past_a_fail_closed_budget_only_an_admins_override_goes_ahead_audited():
    world = World()
    closed = budget_changed(world, "all", "workspace", None)
    await learn(world, closed)
    with pytest.raises(SkyclustError) as refused:
        await world.create(budget_override=True, actor_is_admin=False)
    assert (refused.value.status, refused.value.code) == (403, "BUDGET_OVERRIDE_FORBIDDEN")
    cluster = await world.create(budget_override=True, actor_is_admin=True)
    assert [w["code"] for w in cluster["warnings"]] == ["BUDGET_CHECK_SKIPPED"]
    (audit,) = world.audits()
    assert audit["resource_id"] == cluster["id"]
    assert audit["details"]["budget_checked"] is False
    assert audit["details"]["budgets"] == [{"budget_id": closed.data["budget_id"], "name": "all"}]
