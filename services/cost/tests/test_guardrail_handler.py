"""CheckBudgetGuardrail on the fake store: the request's estimate against the budgets
that cover it, each at its forecast, with the domain's decision and refusals."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from skyclust_cost.domain.errors import BudgetExceeded, BudgetOverrideForbidden
from skyclust_cost.domain.records import CostRow
from skyclust_cost.handlers import budgets, guardrail

from .cost_harness import TODAY, call, make_deps

pytestmark = pytest.mark.unit


def ask(workspace: uuid.UUID, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "workspace_id": str(workspace),
        "actor_id": "u1",
        "provider": "aws",
        "region": "us-east-1",
        "node_groups": [{"name": "web", "instance_type": "m5.large", "desired_size": 3}],
    }
    out.update(kw)
    return out


async def budget(deps: Any, workspace: uuid.UUID, amount: str, **kw: Any) -> dict[str, Any]:
    body = {
        "workspace_id": str(workspace),
        "actor_id": "u1",
        "name": kw.pop("name", "platform"),
        "amount": amount,
        "period": "monthly",
        **kw,
    }
    made: dict[str, Any] = await call(budgets.create_budget, deps, body)
    return made


async def test_no_covering_budget_allows_with_the_estimate(workspace: uuid.UUID) -> None:
    deps = make_deps()
    await budget(deps, workspace, "1", scope={"kind": "provider", "value": "gcp"}, mode="enforce")
    reply = await call(guardrail.check_budget_guardrail, deps, ask(workspace))
    assert reply["action"] == "allow"
    assert reply["findings"] == []
    assert Decimal(reply["estimate"]["monthly"]) > 0


async def test_a_warn_budget_past_its_amount_warns_with_the_numbers(
    workspace: uuid.UUID,
) -> None:
    deps = make_deps()
    made = await budget(deps, workspace, "10")
    reply = await call(guardrail.check_budget_guardrail, deps, ask(workspace))
    assert reply["action"] == "warn"
    (finding,) = reply["findings"]
    assert finding["budget_id"] == made["budget_id"]
    assert Decimal(finding["projected"]) > Decimal("10")
    assert reply["warnings"][0]["code"] == "BUDGET_WOULD_BE_EXCEEDED"


async def test_an_enforce_budget_refuses_unless_an_admin_overrides(workspace: uuid.UUID) -> None:
    deps = make_deps()
    first = TODAY.replace(day=1)
    async with deps.uow() as uow:
        rows = [
            CostRow(first + timedelta(days=i), "aws", "1", "EC2", "us-east-1", Decimal("30"))
            for i in range(3)
        ]
        await uow.records.upsert(workspace, rows)
        await uow.commit()
    made = await budget(deps, workspace, "200", mode="enforce")
    with pytest.raises(BudgetExceeded) as refused:
        await call(guardrail.check_budget_guardrail, deps, ask(workspace))
    (named,) = refused.value.details["budgets"]
    assert named["budget_id"] == made["budget_id"]
    assert Decimal(named["forecast"]) >= Decimal("90")
    with pytest.raises(BudgetOverrideForbidden):
        await call(guardrail.check_budget_guardrail, deps, ask(workspace, override=True))
    reply = await call(
        guardrail.check_budget_guardrail,
        deps,
        ask(workspace, override=True, actor_is_admin=True),
    )
    assert reply["action"] == "override"


async def test_a_small_request_under_the_budget_is_allowed(workspace: uuid.UUID) -> None:
    deps = make_deps()
    await budget(deps, workspace, "100000", mode="enforce")
    reply = await call(
        guardrail.check_budget_guardrail,
        deps,
        ask(workspace, include_control_plane=False, tags={"team": "web"}),
    )
    assert reply["action"] == "allow"


async def test_tag_and_cluster_budgets_cover_only_their_requests(workspace: uuid.UUID) -> None:
    deps = make_deps()
    cluster = str(uuid.uuid4())
    await budget(deps, workspace, "1", name="team", scope={"kind": "tag", "value": "team=web"})
    await budget(deps, workspace, "1", name="c", scope={"kind": "cluster", "value": cluster})
    untagged = await call(guardrail.check_budget_guardrail, deps, ask(workspace))
    assert untagged["action"] == "allow"
    both = await call(
        guardrail.check_budget_guardrail,
        deps,
        ask(workspace, tags={"team": "web"}, cluster_id=cluster, include_control_plane=False),
    )
    assert sorted(f["name"] for f in both["findings"]) == ["c", "team"]
