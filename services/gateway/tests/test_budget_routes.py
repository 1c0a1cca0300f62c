"""The budget routes through the real gateway app, in process, on a fake cost service:
who may read and change budgets, what reaches the cost service, and bodies refused
before any call."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from skyclust_common.errors import NotFound
from skyclust_gateway.routers.deps import Services, services

from .cluster_fakes import WORKSPACE, as_

pytestmark = pytest.mark.unit

BASE = "/api/v1/budgets"
BUDGET = str(uuid.uuid4())
BODY = {"name": "platform", "amount": 1000.5, "period": "monthly", "thresholds": [50, "80.5"]}


class FakeCost(Services):
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def call(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        assert service == "cost"
        self.calls.append((name, data))
        if data.get("budget_id") not in (None, BUDGET):
            raise NotFound("no such budget")
        return {"budget_id": BUDGET, "asked": name}


@pytest.fixture
async def cost(clusters_app: FastAPI) -> Any:
    fake = FakeCost()
    clusters_app.dependency_overrides[services] = lambda: fake
    yield fake
    clusters_app.dependency_overrides.pop(services, None)


@pytest.fixture
async def client(clusters_app: FastAPI, cost: FakeCost) -> Any:
    transport = httpx.ASGITransport(app=clusters_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
        yield c


async def test_an_admin_creates_a_budget_with_amounts_sent_as_decimal_strings(
    client: httpx.AsyncClient, cost: FakeCost
) -> None:
    response = await client.post(BASE, json=BODY, headers=as_("admin"))
    assert response.status_code == 201
    name, data = cost.calls[0]
    assert name == "CreateBudget"
    assert data["workspace_id"] == WORKSPACE
    assert (data["amount"], data["thresholds"]) == ("1000.5", ["50", "80.5"])
    assert "scope" not in data


@pytest.mark.parametrize("role", ["viewer", "user"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("POST", BASE, BODY), ("PUT", f"{BASE}/{BUDGET}", BODY), ("DELETE", f"{BASE}/{BUDGET}", None)],
)
async def test_only_budget_managers_change_budgets(
    client: httpx.AsyncClient,
    cost: FakeCost,
    role: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    response = await client.request(method, path, json=body, headers=as_(role))
    assert response.status_code == 403
    assert response.json()["error"]["details"] == {"required": "budgets:manage"}
    assert cost.calls == []


async def test_viewers_read_budgets(client: httpx.AsyncClient, cost: FakeCost) -> None:
    listed = await client.get(BASE, headers=as_("viewer"))
    got = await client.get(f"{BASE}/{BUDGET}", headers=as_("viewer"))
    assert (listed.status_code, got.status_code) == (200, 200)
    assert [c[0] for c in cost.calls] == ["ListBudgets", "GetBudget"]
    assert cost.calls[1][1] == {"workspace_id": WORKSPACE, "budget_id": BUDGET}


@pytest.mark.parametrize(
    "body",
    [
        {**BODY, "amount": "ten"},
        {**BODY, "extra": 1},
        {k: v for k, v in BODY.items() if k != "period"},
        {**BODY, "thresholds": list(range(11))},
    ],
)
async def test_bad_bodies_are_422_before_any_call(
    client: httpx.AsyncClient, cost: FakeCost, body: dict[str, Any]
) -> None:
    response = await client.post(BASE, json=body, headers=as_("admin"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert cost.calls == []


async def test_a_bad_id_is_422_and_an_unknown_one_the_services_404(
    client: httpx.AsyncClient, cost: FakeCost
) -> None:
    assert (await client.get(f"{BASE}/nope", headers=as_("viewer"))).status_code == 422
    unknown = await client.get(f"{BASE}/{uuid.uuid4()}", headers=as_("viewer"))
    assert unknown.status_code == 404
