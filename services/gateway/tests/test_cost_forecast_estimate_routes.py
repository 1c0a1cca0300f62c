"""The forecast and estimate routes through the real gateway app, in process, on a fake
cost service: every member may ask, what reaches the cost service (each request checked
against its contract), and bodies refused before any call."""

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
BASE = "/api/v1/cost-analysis"


class FakeCost(Services):
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def call(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        assert service == "cost"
        REGISTRY.validate(name, data, part="request")
        self.calls.append((name, data))
        return {"asked": name}


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


@pytest.mark.parametrize("role", ["viewer", "user", "admin"])
async def test_every_member_reads_the_forecast_with_its_query_passed_on(
    client: httpx.AsyncClient, cost: FakeCost, role: str
) -> None:
    params = {"horizon": "3m", "method": "linear", "provider": "gcp", "resource_types": "vm"}
    response = await client.get(f"{BASE}/forecast", params=params, headers=as_(role))
    assert response.status_code == 200, response.text
    assert cost.calls == [("GetCostForecast", {"workspace_id": WORKSPACE, **params})]


async def test_a_forecast_with_no_query_sends_only_the_workspace(
    client: httpx.AsyncClient, cost: FakeCost
) -> None:
    response = await client.get(f"{BASE}/forecast", headers=as_("viewer"))
    assert response.status_code == 200, response.text
    assert cost.calls == [("GetCostForecast", {"workspace_id": WORKSPACE})]


async def test_an_unknown_method_is_refused_before_cost_is_asked(
    client: httpx.AsyncClient, cost: FakeCost
) -> None:
    response = await client.get(f"{BASE}/forecast?method=prophet", headers=as_("viewer"))
    assert response.status_code == 422
    assert cost.calls == []


async def test_an_estimate_takes_a_create_body_and_sends_what_is_priced(
    client: httpx.AsyncClient, cost: FakeCost
) -> None:
    body = {
        "provider": "azure",
        "name": "web",
        "credential_id": CREDENTIAL,
        "region": "westeurope",
        "version": "1.30",
        "tags": {"team": "web"},
        "azure_config": {"resource_group": "rg-web", "vm_size": "Standard_D4s_v5"},
        "node_groups": [
            {"name": "apps", "min_size": 1, "max_size": 3, "desired_size": 2,
             "labels": {"tier": "web"}},
        ],
        "network_pieces": {"load_balancers": 1},
    }  # fmt: skip
    response = await client.post(f"{BASE}/estimate", json=body, headers=as_("viewer"))
    assert response.status_code == 200, response.text
    assert cost.calls == [
        (
            "EstimateClusterCost",
            {
                "workspace_id": WORKSPACE,
                "provider": "azure",
                "region": "westeurope",
                "version": "1.30",
                "azure_config": {"vm_size": "Standard_D4s_v5"},
                "node_groups": [{"name": "apps", "min_size": 1, "max_size": 3, "desired_size": 2}],
                "network_pieces": {"load_balancers": 1},
            },
        )
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"region": "us-east-1"},
        {"provider": "oracle", "region": "us-east-1"},
        {"provider": "aws", "region": "US East"},
        {"provider": "aws", "region": "us-east-1", "surprise": 1},
        {"provider": "aws", "region": "us-east-1", "network_pieces": {"nat_gateways": -1}},
    ],
)
async def test_a_bad_estimate_body_is_a_422_before_cost_is_asked(
    client: httpx.AsyncClient, cost: FakeCost, body: dict[str, Any]
) -> None:
    response = await client.post(f"{BASE}/estimate", json=body, headers=as_("viewer"))
    assert response.status_code == 422, response.text
    assert cost.calls == []
