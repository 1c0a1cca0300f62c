"""The budget guardrail through the gateway on the running platform: an enforce budget
refuses the next cluster with BUDGET_EXCEEDED and the numbers, a member's override is
refused, an admin's goes ahead and is in /audit-logs, and a warn budget lets a cluster
through with the warning in the 202."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from typing import Any

import pytest

from .client import Api
from .mailbox import verify

pytestmark = pytest.mark.e2e
CLUSTERS = "/api/v1/aws/kubernetes/clusters"


def cluster_body(credential_id: str, **more: Any) -> dict[str, Any]:
    return {
        "credential_id": credential_id,
        "name": f"g-{uuid.uuid4().hex[:8]}",
        "version": "1.29",
        "region": "us-east-1",
        "node_groups": [
            {
                "name": "web",
                "instance_type": "m5.large",
                "min_size": 1,
                "max_size": 3,
                "desired_size": 2,
            }
        ],
        **more,
    }


def member_of(platform: Any, admin: Api, role: str) -> Api:
    member = platform.api()
    account = member.signup()
    verify(platform, account["email"])
    workspace_id = admin.get("/api/v1/auth/me").json()["data"]["workspace"]["id"]
    added = admin.post(
        f"/api/v1/workspaces/{workspace_id}/members",
        json={"email": account["email"], "role": role},
    )
    assert added.status_code == 201, added.text
    switched = member.post("/api/v1/auth/switch-workspace", json={"workspace_id": workspace_id})
    assert switched.status_code == 200, switched.text
    member.token = switched.json()["data"]["access_token"]
    return member


def audited(admin: Api, action: str, resource_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        page = admin.get("/api/v1/audit-logs", params={"action": action, "limit": 100})
        assert page.status_code == 200, page.text
        for item in page.json()["data"]["items"]:
            if item["resource_id"] == resource_id:
                return dict(item)
        if time.monotonic() > deadline:
            raise AssertionError(f"no {action} audit record for {resource_id}")
        time.sleep(0.3)


def test_an_enforce_budget_refuses_and_only_an_admins_override_passes_audited(
    platform, local_aws_credential
):
    admin = platform.api()
    admin.signup()
    credential = admin.post("/api/v1/credentials", json=local_aws_credential)
    assert credential.status_code == 201, credential.text
    credential_id = credential.json()["data"]["id"]
    made = admin.post(
        "/api/v1/budgets",
        json={
            "name": "aws cap",
            "amount": "50",
            "period": "monthly",
            "scope": {"kind": "provider", "value": "aws"},
            "mode": "enforce",
        },
    )
    assert made.status_code == 201, made.text
    budget = made.json()["data"]

    body = cluster_body(credential_id)
    refused = admin.post(CLUSTERS, json=body)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "BUDGET_EXCEEDED"
    (finding,) = error["details"]["budgets"]
    assert finding["budget_id"] == budget["budget_id"]
    assert Decimal(finding["amount"]) == Decimal("50")
    # The forecast of a workspace with no cost yet, plus a month of the estimate
    # (the EKS control plane and two m5.large at their list prices).
    estimate = Decimal(error["details"]["estimate"])
    assert estimate > Decimal("50")
    assert Decimal(finding["projected"]) == Decimal(finding["forecast"]) + Decimal(
        finding["estimate"]
    )
    assert Decimal(finding["percent"]) > 100
    names = [c["name"] for c in admin.get(CLUSTERS).json()["data"]]
    assert body["name"] not in names

    member = member_of(platform, admin, "user")
    forbidden = member.post(CLUSTERS, json={**body, "budget_override": True})
    assert forbidden.status_code == 403, forbidden.text
    assert forbidden.json()["error"]["code"] == "BUDGET_OVERRIDE_FORBIDDEN"

    overridden = admin.post(CLUSTERS, json={**body, "budget_override": True})
    assert overridden.status_code == 202, overridden.text
    cluster = overridden.json()["data"]
    assert cluster["name"] == body["name"]
    warnings = [w for w in cluster["warnings"] if w["code"] == "BUDGET_WOULD_BE_EXCEEDED"]
    assert [w["budget_id"] for w in warnings] == [budget["budget_id"]]
    record = audited(admin, "override_budget", cluster["id"])
    assert record["resource_type"] == "cluster"
    assert record["outcome"] == "success"
    assert [b["budget_id"] for b in record["details"]["budgets"]] == [budget["budget_id"]]
    assert Decimal(record["details"]["monthly_estimate"]) == estimate

    # The same budget in warn mode: the next cluster goes ahead with the warning.
    path = f"/api/v1/budgets/{budget['budget_id']}"
    replaced = admin.request(
        "PUT",
        path,
        json={
            "name": "aws cap",
            "amount": "50",
            "period": "monthly",
            "scope": {"kind": "provider", "value": "aws"},
            "mode": "warn",
        },
    )
    assert replaced.status_code == 200, replaced.text
    warned = admin.post(CLUSTERS, json=cluster_body(credential_id))
    assert warned.status_code == 202, warned.text
    codes = [w["code"] for w in warned.json()["data"]["warnings"]]
    assert "BUDGET_WOULD_BE_EXCEEDED" in codes

    for made_cluster in (cluster, warned.json()["data"]):
        gone = admin.delete(f"{CLUSTERS}/{made_cluster['id']}")
        assert gone.status_code in (202, 409), gone.text
