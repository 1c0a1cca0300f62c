"""The budget guardrail before a create, a node-group add or a scale-up, on the in-memory
unit of work and cloud, with cost's answers played by a fake that answers as the
CheckBudgetGuardrail contract says (its reply validated) or fails as the bus does."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.errors import NoResponders, ServiceTimeout, SkyclustError
from skyclust_provisioning.adapters.fake_uow import (
    FakeProvisioningDatabase,
    FakeProvisioningUnitOfWork,
)
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.domain.budgets import FailClosedBudget
from skyclust_provisioning.handlers import (
    clusters,
    node_group_saga,
    node_groups,
    saga,
)

from .rpc_calls import call
from .saga_harness import CTX, delivery, make_deps

pytestmark = pytest.mark.unit
REGISTRY = load_registry()
OWN_NETWORK = {"aws_config": {"subnet_ids": ["subnet-a", "subnet-b"]}}
ESTIMATE = {"currency": "USD", "monthly": "283.24", "line_items": [], "price_source": "x"}
FINDING = {
    "budget_id": str(uuid.uuid4()),
    "name": "platform",
    "mode": "enforce",
    "amount": "200.00",
    "currency": "USD",
    "forecast": "90.00",
    "estimate": "283.24",
    "projected": "373.24",
    "percent": "186.62",
}


class FakeCost:
    """Cost's CheckBudgetGuardrail: each query checked against the contract, then the
    next scripted answer (a reply, or an error raised as the bus raises it)."""

    def __init__(self) -> None:
        self.queries: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any] | SkyclustError] = []

    def allow(self, **reply: Any) -> None:
        self.answers.append(
            {"action": "allow", "estimate": ESTIMATE, "findings": [], "warnings": [], **reply}
        )

    async def __call__(self, query: dict[str, Any]) -> dict[str, Any]:
        REGISTRY.validate("CheckBudgetGuardrail", query, part="request")
        self.queries.append(query)
        answer = self.answers.pop(0) if self.answers else None
        if answer is None:
            raise NoResponders("the cost service is not available")
        if isinstance(answer, SkyclustError):
            raise answer
        REGISTRY.validate("CheckBudgetGuardrail", answer, part="reply")
        return answer


def refusal(code: str = "BUDGET_EXCEEDED", status: int = 409) -> SkyclustError:
    return SkyclustError.from_dict(
        {
            "code": code,
            "status": status,
            "message": "budget 'platform' would reach 186.62% of its amount",
            "details": {"budgets": [FINDING], "estimate": "283.24"},
            "retryable": False,
        }
    )


class World:
    def __init__(self) -> None:
        self.db = FakeProvisioningDatabase()
        self.cost = FakeCost()
        self.workspace = str(uuid.uuid4())
        self.deps = make_deps(
            None,
            FakeClusterProvider(),
            uow=lambda: FakeProvisioningUnitOfWork(self.db, registry=REGISTRY),
            poll_interval=0.0,
            step_timeouts={},
            check_budget=self.cost,
        )

    async def create(self, **body: Any) -> dict[str, Any]:
        return await call(
            clusters.create_cluster,
            self.deps,
            {
                "workspace_id": self.workspace,
                "actor_id": "u1",
                "provider": "aws",
                "name": f"c{uuid.uuid4().hex[:8]}",
                "version": "1.29",
                "region": "us-east-1",
                "credential_id": str(uuid.uuid4()),
                "tags": {"team": "web"},
                **(OWN_NETWORK if body.get("provider", "aws") == "aws" else {}),
                **body,
            },
        )

    async def ready_cluster(self) -> dict[str, Any]:
        self.cost.allow()
        cluster = await self.create()
        await saga.advance(self.deps, cluster["workspace_id"], cluster["id"])
        return cluster

    async def add_group(self, cluster: dict[str, Any], **body: Any) -> dict[str, Any]:
        return await call(
            node_groups.create_node_group,
            self.deps,
            {
                "workspace_id": cluster["workspace_id"],
                "cluster_id": cluster["id"],
                "actor_id": "u1",
                "name": f"ng{uuid.uuid4().hex[:6]}",
                "instance_type": "m5.large",
                "min_size": 1,
                "max_size": 4,
                "desired_size": 2,
                **body,
            },
        )

    def names(self) -> list[str]:
        return [e.name for e in self.db.events()]

    def audits(self) -> list[dict[str, Any]]:
        return [e.data for e in self.db.events("AuditRecorded")]


async def test_a_create_is_priced_with_its_control_plane_and_groups_then_goes_ahead():
    world = World()
    world.cost.allow()
    cluster = await world.create(
        node_groups=[
            {
                "name": "web",
                "instance_type": "m5.large",
                "min_size": 1,
                "max_size": 5,
                "desired_size": 3,
            }
        ],
        actor_is_admin=False,
    )
    assert cluster["status"] == "PENDING"
    assert cluster["warnings"] == []
    (query,) = world.cost.queries
    assert query["workspace_id"] == world.workspace
    assert (query["provider"], query["region"], query["version"]) == ("aws", "us-east-1", "1.29")
    assert query["include_control_plane"] is True
    assert query["tags"] == {"team": "web"}
    assert query["node_groups"] == [
        {
            "name": "web",
            "instance_type": "m5.large",
            "desired_size": 3,
            "min_size": 1,
            "max_size": 5,
        }
    ]
    assert (query["override"], query["actor_is_admin"]) == (False, False)
    assert "ClusterRequested" in world.names()
    assert world.audits() == []


async def test_gke_and_aks_are_priced_with_the_pool_they_always_make():
    world = World()
    world.deps.providers = {"gcp": FakeClusterProvider(), "azure": FakeClusterProvider()}

    async def lookup(workspace_id: str, credential_id: str) -> dict[str, Any]:
        return {"id": credential_id, "provider": provider}

    world.deps.lookup_credential = lookup
    for provider, region, config, pool in (
        (
            "gcp",
            "us-central1",
            {"gcp_config": {"machine_type": "e2-standard-4", "node_count": 3}},
            "default",
        ),
        ("azure", "westeurope", {"azure_config": {"node_count": 2}}, "system"),
    ):
        world.cost.allow()
        await world.create(provider=provider, region=region, **config)
        first = world.cost.queries[-1]["node_groups"][0]
        assert first["name"] == pool
    gcp, azure = world.cost.queries
    assert gcp["node_groups"] == [
        {
            "name": "default",
            "instance_type": "e2-standard-4",
            "desired_size": 3,
            "min_size": 3,
            "max_size": 3,
        }
    ]
    # No vm_size: cost prices the type AKS defaults to.
    assert azure["node_groups"] == [
        {"name": "system", "desired_size": 2, "min_size": 2, "max_size": 2}
    ]


async def test_a_warn_budget_lets_it_go_ahead_with_the_warning_in_the_reply():
    world = World()
    warning = {"code": "BUDGET_WOULD_BE_EXCEEDED", "message": "would reach 186.62%", **FINDING}
    world.cost.allow(action="warn", findings=[{**FINDING, "mode": "warn"}], warnings=[warning])
    cluster = await world.create()
    assert cluster["warnings"] == [warning]
    assert world.names().count("ClusterRequested") == 1


async def test_an_enforce_refusal_stores_nothing_and_keeps_its_numbers():
    world = World()
    world.cost.answers.append(refusal())
    with pytest.raises(SkyclustError) as refused:
        await world.create()
    error = refused.value
    assert (error.status, error.code) == (409, "BUDGET_EXCEEDED")
    (budget,) = error.details["budgets"]
    assert (budget["forecast"], budget["estimate"], budget["projected"]) == (
        "90.00",
        "283.24",
        "373.24",
    )
    assert error.details["estimate"] == "283.24"
    assert world.db.events() == []
    listed = await call(clusters.list_clusters, world.deps, {"workspace_id": world.workspace}, CTX)
    assert listed["items"] == []


async def test_a_non_admins_override_is_refused_as_cost_refuses_it():
    world = World()
    world.cost.answers.append(refusal("BUDGET_OVERRIDE_FORBIDDEN", 403))
    with pytest.raises(SkyclustError) as refused:
        await world.create(budget_override=True, actor_is_admin=False)
    assert (refused.value.status, refused.value.code) == (403, "BUDGET_OVERRIDE_FORBIDDEN")
    assert world.cost.queries[0]["override"] is True
    assert world.db.events() == []


async def test_an_admins_override_goes_ahead_and_is_audited_with_the_request():
    world = World()
    warning = {"code": "BUDGET_WOULD_BE_EXCEEDED", "message": "would reach 186.62%", **FINDING}
    world.cost.allow(action="override", findings=[FINDING], warnings=[warning])
    cluster = await world.create(budget_override=True, actor_is_admin=True)
    assert cluster["warnings"] == [warning]
    (audit,) = world.audits()
    assert audit["action"] == "override_budget"
    assert (audit["resource_type"], audit["resource_id"]) == ("cluster", cluster["id"])
    assert (audit["actor_id"], audit["outcome"]) == ("u1", "success")
    assert audit["details"]["budgets"] == [FINDING]
    assert audit["details"]["monthly_estimate"] == "283.24"
    assert audit["details"]["budget_checked"] is True
    # In the transaction that accepted the request: with its ClusterRequested.
    assert world.names() == ["ClusterRequested", "AuditRecorded"]


@pytest.mark.parametrize(
    "failure",
    [NoResponders("cost is not available"), ServiceTimeout("cost did not answer in time")],
)
async def test_when_cost_cannot_be_asked_it_goes_ahead_with_a_warning(failure):
    world = World()
    world.cost.answers.append(failure)
    cluster = await world.create()
    assert [w["code"] for w in cluster["warnings"]] == ["BUDGET_CHECK_SKIPPED"]
    assert "ClusterRequested" in world.names()


async def test_a_node_group_add_prices_only_its_nodes_under_the_clusters_budgets():
    world = World()
    cluster = await world.ready_cluster()
    world.cost.allow()
    group = await world.add_group(cluster, name="batch")
    assert group["warnings"] == []
    query = world.cost.queries[-1]
    assert query["include_control_plane"] is False
    assert query["cluster_id"] == cluster["id"]
    assert query["tags"] == {"team": "web"}
    assert query["node_groups"] == [
        {
            "name": "batch",
            "instance_type": "m5.large",
            "desired_size": 2,
            "min_size": 1,
            "max_size": 4,
        }
    ]


async def test_a_refused_node_group_add_stores_nothing():
    world = World()
    cluster = await world.ready_cluster()
    before = len(world.db.events())
    world.cost.answers.append(refusal())
    with pytest.raises(SkyclustError) as refused:
        await world.add_group(cluster)
    assert refused.value.code == "BUDGET_EXCEEDED"
    assert len(world.db.events()) == before
    listed = await call(
        node_groups.list_node_groups,
        world.deps,
        {"workspace_id": cluster["workspace_id"], "cluster_id": cluster["id"]},
        CTX,
    )
    assert listed["items"] == []


async def test_a_scale_up_is_priced_for_the_nodes_it_adds_and_a_scale_down_is_not_asked():
    world = World()
    cluster = await world.ready_cluster()
    world.cost.allow()
    group = await world.add_group(cluster, name="web", min_size=1, max_size=4, desired_size=2)
    await _make_ready(world, group)
    key = {
        "workspace_id": cluster["workspace_id"],
        "cluster_id": cluster["id"],
        "node_group_id": group["id"],
        "actor_id": "u1",
    }
    asked = len(world.cost.queries)
    world.cost.allow()
    scaled = await call(
        node_groups.update_node_group, world.deps, {**key, "desired_size": 4, "max_size": 6}
    )
    assert scaled["warnings"] == []
    query = world.cost.queries[-1]
    assert len(world.cost.queries) == asked + 1
    assert query["node_groups"] == [
        {
            "name": "web",
            "instance_type": "m5.large",
            "desired_size": 2,
            "min_size": 2,
            "max_size": 4,
        }
    ]
    await _make_ready(world, group)
    down = await call(node_groups.update_node_group, world.deps, {**key, "desired_size": 1})
    assert down["warnings"] == []
    assert len(world.cost.queries) == asked + 1


async def test_a_refused_scale_up_leaves_the_group_as_it_was():
    world = World()
    cluster = await world.ready_cluster()
    world.cost.allow()
    group = await world.add_group(cluster, name="web")
    await _make_ready(world, group)
    world.cost.answers.append(refusal())
    key = {
        "workspace_id": cluster["workspace_id"],
        "cluster_id": cluster["id"],
        "node_group_id": group["id"],
        "actor_id": "u1",
    }
    with pytest.raises(SkyclustError):
        await call(node_groups.update_node_group, world.deps, {**key, "desired_size": 4})
    del key["actor_id"]
    now = await call(node_groups.get_node_group, world.deps, key, CTX)
    assert (now["status"], now["desired_size"]) == ("READY", 2)


async def _make_ready(world: World, group: dict[str, Any]) -> None:
    """Run the node group's saga on its last request (the in-memory cloud is at once)."""
    asked = [
        e
        for e in world.db.events()
        if e.name in ("NodeGroupRequested", "NodeGroupUpdateRequested")
        and e.data["node_group_id"] == group["id"]
    ]
    step = (
        node_group_saga.on_node_group_requested
        if asked[-1].name == "NodeGroupRequested"
        else node_group_saga.on_node_group_update_requested
    )
    await step(world.deps, asked[-1], delivery())


@pytest.mark.parametrize(
    ("scope", "value", "covered"),
    [
        ("workspace", None, True),
        ("provider", "aws", True),
        ("provider", "gcp", False),
        ("cluster", "c1", True),
        ("cluster", "c2", False),
        ("tag", "team=web", True),
        ("tag", "team=data", False),
        ("tag", "owner=web", False),
    ],
)
def test_a_fail_closed_budget_covers_as_its_scope_says(scope, value, covered):
    budget = FailClosedBudget("b", "n", scope, value)
    assert budget.covers("aws", "c1", {"team": "web"}) is covered
