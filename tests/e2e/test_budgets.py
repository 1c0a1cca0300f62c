"""Budgets through the gateway on the running platform: created, read with their
standing in the period, refused with the cost service's code for a bad field, invisible
to another workspace, replaced and deleted."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

BUDGET = {
    "name": "platform",
    "amount": 1200,
    "period": "monthly",
    "scope": {"kind": "provider", "value": "aws"},
    "thresholds": [50, 90],
}


def test_a_budget_through_the_gateway(platform: Any) -> None:
    admin = platform.api()
    admin.signup()
    made = admin.post("/api/v1/budgets", json=BUDGET)
    assert made.status_code == 201, made.text
    budget = made.json()["data"]
    assert (budget["amount"], budget["thresholds"]) == ("1200.00", ["50", "90"])
    path = f"/api/v1/budgets/{budget['budget_id']}"

    got = admin.get(path)
    assert got.status_code == 200, got.text
    status = got.json()["data"]["status"]
    assert status["actual"] == "0.00"
    assert status["crossed"] == []
    listed = admin.get("/api/v1/budgets").json()["data"]["items"]
    assert [b["budget_id"] for b in listed] == [budget["budget_id"]]

    bad = admin.post("/api/v1/budgets", json={**BUDGET, "period": "weekly", "amount": -1})
    assert bad.status_code == 422, bad.text
    error = bad.json()["error"]
    assert error["code"] == "INVALID_BUDGET"
    assert set(error["details"]) == {"amount", "period"}

    stranger = platform.api()
    stranger.signup()
    assert stranger.get(path).json()["error"]["code"] == "BUDGET_NOT_FOUND"
    assert stranger.get("/api/v1/budgets").json()["data"]["items"] == []

    replaced = admin.request("PUT", path, json={**BUDGET, "amount": "99.99", "mode": "enforce"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["data"]["mode"] == "enforce"
    assert admin.delete(path).status_code == 200
    assert admin.get(path).status_code == 404
