"""The wizard's budget check through the real gateway app, in process, on a fake cost
service: the would-be cluster goes to cost's CheckBudgetGuardrail (checked against its
contract) as provisioning would send it, and its answer comes back as a verdict; a
refusal by an enforce budget is `refuse`, not an error, and nothing else is asked."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from skyclust_common.contracts import load_registry
from skyclust_gateway.routers.deps import Services, services

from .cluster_fakes import CREDENTIAL, WORKSPACE, as_

pytestmark = pytest.mark.unit
REGISTRY = load_registry()
URL = "/api/v1/cost-analysis/budget-check"
FINDING = {
    "budget_id": "7d1f7f38-5b3c-4a57-9c3e-2f0d6f0a9b11",
    "name": "tight",
    "mode": "enforce",
    "amount": "5",
    "currency": "USD",
    "forecast": "1.20",
    "estimate": "73.00",
    "projected": "74.20",
    "percent": "1484.00",
}
ESTIMATE = {"currency": "USD", "monthly": "73.00", "line_items": [], "price_source": "table"}


class FakeCost(Services):
    def __init__(self, action: str, findings: list[dict[str, Any]]) -> None:
        self.action = action
        self.findings = findings
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def call(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        assert service == "cost"
        REGISTRY.validate(name, data, part="request")
        self.calls.append((name, data))
        reply = {
            "action": self.action,
            "estimate": ESTIMATE,
            "findings": self.findings,
            "warnings": [{"code": "BUDGET_WOULD_BE_EXCEEDED", "message": "tight"}],
        }
        REGISTRY.validate(name, reply, part="reply")
        return reply


@pytest.fixture
def answer(clusters_app: FastAPI) -> Any:
    async def ask(fake: FakeCost, body: dict[str, Any], role: str) -> httpx.Response:
        clusters_app.dependency_overrides[services] = lambda: fake
        transport = httpx.ASGITransport(app=clusters_app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
                return await c.post(URL, json=body, headers=as_(role))
        finally:
            clusters_app.dependency_overrides.pop(services, None)

    return ask


AWS = {
    "provider": "aws",
    "name": "web",
    "credential_id": CREDENTIAL,
    "region": "us-east-1",
    "version": "1.31",
    "tags": {"team": "web"},
    "node_groups": [
        {"name": "workers", "min_size": 1, "max_size": 3, "desired_size": 2,
         "labels": {"tier": "web"}},
    ],
}  # fmt: skip


async def test_an_enforce_budget_passed_is_a_refuse_verdict_not_an_error(answer) -> None:
    fake = FakeCost("override", [FINDING])
    response = await answer(fake, AWS, "user")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["verdict"] == "refuse" and data["can_override"] is False
    assert data["findings"] == [FINDING] and data["estimate"] == ESTIMATE
    assert "action" not in data
    # Asked as an override so that cost answers every finding instead of raising.
    assert fake.calls == [
        (
            "CheckBudgetGuardrail",
            {
                "workspace_id": WORKSPACE,
                "actor_id": fake.calls[0][1]["actor_id"],
                "actor_is_admin": True,
                "override": True,
                "provider": "aws",
                "region": "us-east-1",
                "version": "1.31",
                "tags": {"team": "web"},
                "node_groups": [
                    {"name": "workers", "min_size": 1, "max_size": 3, "desired_size": 2}
                ],
            },
        )
    ]


@pytest.mark.parametrize(("action", "verdict"), [("allow", "allow"), ("warn", "warn")])
async def test_allow_and_warn_are_passed_on_and_an_admin_may_override(
    answer, action: str, verdict: str
) -> None:
    findings = [] if action == "allow" else [{**FINDING, "mode": "warn"}]
    response = await answer(FakeCost(action, findings), AWS, "admin")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["verdict"], data["can_override"], data["findings"]) == (verdict, True, findings)


async def test_gke_and_aks_default_pools_are_priced_as_provisioning_prices_them(answer) -> None:
    gcp = {"provider": "gcp", "region": "europe-west1",
           "gcp_config": {"machine_type": "e2-standard-4", "node_count": 3}}  # fmt: skip
    fake = FakeCost("allow", [])
    assert (await answer(fake, gcp, "viewer")).status_code == 200
    azure = {"provider": "azure", "region": "westeurope", "node_groups": AWS["node_groups"]}
    assert (await answer(fake, azure, "viewer")).status_code == 200
    assert fake.calls[0][1]["node_groups"] == [
        {"name": "default", "min_size": 3, "max_size": 3, "desired_size": 3,
         "instance_type": "e2-standard-4"},
    ]  # fmt: skip
    assert [g["name"] for g in fake.calls[1][1]["node_groups"]] == ["system", "workers"]
    assert fake.calls[1][1]["node_groups"][0]["desired_size"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"region": "us-east-1"},
        {"provider": "aws", "region": "us-east-1", "surprise": 1},
        {"provider": "aws", "region": "us-east-1", "version": "latest"},
    ],
)
async def test_a_bad_body_is_a_422_before_cost_is_asked(answer, body: dict[str, Any]) -> None:
    fake = FakeCost("allow", [])
    response = await answer(fake, body, "viewer")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"]
    assert fake.calls == []
