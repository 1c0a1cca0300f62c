"""The whole cost chain through the gateway, on each cloud: a cluster is made → a billed
day later its cost is in the summary and the breakdown by cluster, read from that cloud's
billing API → the forecast has its intervals, and the cloud's own forecast next to it
(AWS, Azure) → a budget crosses 80% and then 100% of its amount, each announced once on
the SSE stream however often the check runs, and once in the admins' inbox → in
`enforce` mode it refuses the next cluster with BUDGET_EXCEEDED and the numbers → the
admin's override goes ahead and is in the audit log.

While it runs the cloud bills at its clock's own pace (`PACE`, not a billed day per
minute): the days billed are the ones `advance_billing` adds, and the test's own minutes
are a rounding error next to them, so each step sees the bill the previous one left."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from typing import Any

import pytest

from .client import Api, Sse, SseStream
from .test_budget_guardrail import audited
from .test_cluster_lifecycle import add_credential
from .test_cluster_saga import REGIONS, VERSIONS, credential_body
from .test_cost import DAY, SERVICES, cloud_admin, collect

pytestmark = pytest.mark.e2e
# Billed seconds per second of the cloud's clock; `advance_billing` bills at this pace too.
PACE = 1.0
BILLING_APIS = {"aws": "cost_explorer", "azure": "cost_management"}
CLOUD_FORECAST_SOURCES = {"aws": "aws_cost_explorer", "azure": "azure_cost_management"}


def cluster_body(credential_id: str, provider: str, **more: Any) -> dict[str, Any]:
    return {
        "credential_id": credential_id,
        "name": f"chain-{uuid.uuid4().hex[:6]}",
        "version": VERSIONS[provider][0],
        "region": REGIONS[provider],
        "node_groups": [{"name": "workers", "min_size": 1, "max_size": 3, "desired_size": 2}],
        **more,
    }


def crossing(stream: SseStream, seen: list[Sse], budget_id: str, kind: str, threshold: str) -> Sse:
    """The first BudgetThresholdCrossed of that budget, kind and threshold on the stream;
    every event taken is kept in `seen` for the count at the end."""
    deadline = time.monotonic() + 60
    while True:
        for item in stream.take(1, timeout=max(deadline - time.monotonic(), 0.1)):
            seen.append(item)
            data = item.data.get("data") or {}
            if (
                item.event == "BudgetThresholdCrossed"
                and item.data.get("subject") == budget_id
                and (data.get("kind"), data.get("threshold")) == (kind, threshold)
            ):
                return item


def budget_alerts(api: Api, budget_id: str, expected: int) -> list[dict[str, Any]]:
    """The caller's notifications about the budget, once `expected` have arrived (and a
    moment more, so that a duplicate would show)."""
    deadline = time.monotonic() + 60
    while True:
        page = api.get("/api/v1/notifications", params={"limit": 100})
        assert page.status_code == 200, page.text
        items = [n for n in page.json()["data"]["items"] if n["resource_id"] == budget_id]
        if len(items) >= expected:
            time.sleep(1.5)
            page = api.get("/api/v1/notifications", params={"limit": 100})
            return [n for n in page.json()["data"]["items"] if n["resource_id"] == budget_id]
        assert time.monotonic() < deadline, f"{len(items)} of {expected} budget alerts arrived"
        time.sleep(0.3)


def budget(amount: Decimal, provider: str, mode: str = "warn") -> dict[str, Any]:
    return {
        "name": f"{provider} chain",
        "amount": str(amount),
        "period": "monthly",
        "scope": {"kind": "provider", "value": provider},
        "mode": mode,
    }


@pytest.mark.parametrize("provider", ["aws", "gcp", "azure"])
def test_cost_forecast_budget_alerts_and_guardrail_in_one_chain(
    platform: Any, provider: str
) -> None:
    api: Api = platform.api()
    api.signup()
    credential = add_credential(api, credential_body(platform, provider))
    stream = api.stream()
    seen: list[Sse] = []
    base = f"/api/v1/{provider}/kubernetes/clusters"
    cloud = cloud_admin(platform, provider)
    made: list[str] = []
    speed = cloud.billing()["speed"]
    try:
        created = api.post(base, json=cluster_body(credential["id"], provider))
        assert created.status_code == 202, created.text
        cluster_id = created.json()["data"]["id"]
        made.append(cluster_id)
        stream.until("ClusterReady", cluster_id, timeout=120)
        cloud.set_billing_speed(PACE)
        cloud.advance_billing(DAY)

        # Its cost, from the cloud's billing API.
        collected = collect(api, provider)
        assert collected["warnings"] == [] and collected["providers"][provider] > 0
        query = f"period=7d&provider={provider}"
        summary = api.get(f"/api/v1/cost-analysis/summary?{query}").json()["data"]
        assert summary["warnings"] == [] and summary["total"] > 0.5
        by_cluster = api.get(f"/api/v1/cost-analysis/breakdown?by=cluster&{query}").json()["data"]
        mine = {i["key"]: i["amount"] for i in by_cluster["items"]}[cluster_id]
        assert mine > 0.5 and summary["by_provider"][provider] >= mine
        by_service = api.get(f"/api/v1/cost-analysis/breakdown?by=service&{query}").json()["data"]
        services = {i["key"] for i in by_service["items"]}
        assert SERVICES[provider] <= services
        assert not services & {"Compute", "Kubernetes control plane"}, "no estimate rows"

        # The forecast, with its 80% and 95% intervals.
        reply = api.get(f"/api/v1/cost-analysis/forecast?horizon=7d&provider={provider}")
        assert reply.status_code == 200, reply.text
        forecast = reply.json()["data"]
        assert len(forecast["daily"]) == 7 and forecast["history_start"] is not None
        for day in forecast["daily"]:
            assert day["lower_95"] <= day["lower_80"] <= day["mean"]
            assert day["mean"] <= day["upper_80"] <= day["upper_95"]
        # Each day and the total rounded to cents.
        means = sum(d["mean"] for d in forecast["daily"])
        assert forecast["total"] == pytest.approx(means, abs=0.01 * len(forecast["daily"]))
        (low95, high95), (low80, high80) = forecast["intervals"]["95"], forecast["intervals"]["80"]
        assert low95 <= low80 <= forecast["total"] <= high80 <= high95
        assert forecast["total"] > 0 and forecast["warnings"] == []
        # Next to it, the cloud's own forecast of the same days, where the cloud has one.
        theirs = forecast["cloud_forecasts"]
        if provider == "gcp":
            assert theirs == []
        else:
            (own,) = theirs
            assert own["provider"] == provider and own["credential_id"] == credential["id"]
            assert own["source"] == CLOUD_FORECAST_SOURCES[provider]
            assert own["currency"] == "USD" and own["total"] > 0
            if provider == "aws":
                assert own["lower_80"] < own["total"] < own["upper_80"]
            else:
                assert own["lower_80"] is None and own["upper_80"] is None
            # The cloud refusing its forecast (another window: not the one kept): left out
            # with its warning, and the answer still comes.
            cloud.inject_billing_fault(BILLING_APIS[provider], "permission_denied", times=None)
            try:
                refused = api.get(f"/api/v1/cost-analysis/forecast?horizon=1m&provider={provider}")
            finally:
                cloud.clear_faults()
            assert refused.status_code == 200, refused.text
            data = refused.json()["data"]
            assert data["cloud_forecasts"] == [] and data["total"] > 0
            found = [(w["code"], w["provider"]) for w in data["warnings"]]
            assert found == [("API_PERMISSION_DENIED", provider)]

        # A budget the month's spend so far is 1/1.1 of: past 80%, not 100%.
        made_budget = api.post("/api/v1/budgets", json=budget(Decimal(10**6), provider))
        assert made_budget.status_code == 201, made_budget.text
        budget_id = made_budget.json()["data"]["budget_id"]
        path = f"/api/v1/budgets/{budget_id}"
        actual = Decimal(api.get(path).json()["data"]["status"]["actual"])
        assert actual > 0
        amount = (actual * Decimal("1.1")).quantize(Decimal("0.01"))
        replaced = api.request("PUT", path, json=budget(amount, provider))
        assert replaced.status_code == 200, replaced.text
        collect(api, provider)  # a collection checks the workspace's budgets
        eighty = crossing(stream, seen, budget_id, "actual", "80")
        assert eighty.data["data"]["amount"] == f"{amount}"
        # A few seconds billed since, at most a cent.
        assert abs(Decimal(eighty.data["data"]["spend"]) - actual) <= Decimal("0.01")
        assert 80 <= Decimal(eighty.data["data"]["percent"]) < 100
        status = api.get(path).json()["data"]["status"]
        assert {("80", "actual")} <= {(c["threshold"], c["kind"]) for c in status["crossed"]}
        assert ("100", "actual") not in {(c["threshold"], c["kind"]) for c in status["crossed"]}

        # Another billed day: past 100%.
        cloud.advance_billing(DAY)
        collect(api, provider)
        hundred = crossing(stream, seen, budget_id, "actual", "100")
        assert Decimal(hundred.data["data"]["percent"]) >= 100
        assert Decimal(hundred.data["data"]["spend"]) > actual
        # Checked again and again: nothing new.
        collect(api, provider)
        collect(api, provider)
        seen.extend(stream.drain(3))
        announced = [
            (e.data["data"]["kind"], e.data["data"]["threshold"])
            for e in seen
            if e.event == "BudgetThresholdCrossed" and e.data.get("subject") == budget_id
        ]
        assert announced.count(("actual", "80")) == 1, announced
        assert announced.count(("actual", "100")) == 1, announced
        assert all(announced.count(key) == 1 for key in announced), announced
        # The admins are told in-app (a new workspace's default rule), once per crossing
        # (of actual spend, and of forecast spend when the forecast crossed too).
        alerts = budget_alerts(api, budget_id, len(announced))
        assert [a["event_type"] for a in alerts] == ["BudgetThresholdCrossed"] * len(announced)
        assert {a["severity"] for a in alerts} == {"warning"}
        assert all(a["link"].endswith(f"/api/v1/budgets/{budget_id}") for a in alerts)
        told = sorted(a["body"].rsplit("threshold ", 1)[1].rstrip("%).") for a in alerts)
        assert told == sorted(threshold for _, threshold in announced)

        # Enforced: the next cluster is refused with the numbers, and nothing is made.
        enforced = api.request("PUT", path, json=budget(amount, provider, "enforce"))
        assert enforced.status_code == 200, enforced.text
        body = cluster_body(credential["id"], provider)
        refused = api.post(base, json=body)
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["code"] == "BUDGET_EXCEEDED"
        (finding,) = error["details"]["budgets"]
        assert finding["budget_id"] == budget_id and Decimal(finding["amount"]) == amount
        estimate = Decimal(error["details"]["estimate"])
        assert estimate > 0 and Decimal(finding["estimate"]) > 0
        assert Decimal(finding["forecast"]) >= Decimal(hundred.data["data"]["spend"])
        assert Decimal(finding["projected"]) == Decimal(finding["forecast"]) + Decimal(
            finding["estimate"]
        )
        assert Decimal(finding["percent"]) > 100
        assert body["name"] not in [c["name"] for c in api.get(base).json()["data"]]

        # The admin's override goes ahead, with the warning, and is audited.
        overridden = api.post(base, json={**body, "budget_override": True})
        assert overridden.status_code == 202, overridden.text
        second = overridden.json()["data"]
        made.append(second["id"])
        warned = [w for w in second["warnings"] if w["code"] == "BUDGET_WOULD_BE_EXCEEDED"]
        assert [w["budget_id"] for w in warned] == [budget_id]
        record = audited(api, "override_budget", second["id"])
        assert record["resource_type"] == "cluster" and record["outcome"] == "success"
        assert [b["budget_id"] for b in record["details"]["budgets"]] == [budget_id]
        assert Decimal(record["details"]["monthly_estimate"]) == estimate
    finally:
        cloud.set_billing_speed(speed)
        stream.close()
        for cluster in made:
            api.delete(f"{base}/{cluster}")
