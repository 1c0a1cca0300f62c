"""`skyclust costs ...`, `skyclust budgets ...` and the budget guardrail on `clusters
create`, through typer's runner against the fake gateway with the cost routes answered
as the gateway answers them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from skyclust_cli.errors import ExitCode

from .fake_gateway import CREDENTIAL, FakeGateway, failure, ok
from .test_commands import logged_in, run

pytestmark = pytest.mark.unit


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "skyclust" / "config.yaml"
    monkeypatch.setenv("SKYCLUST_CONFIG", str(path))
    monkeypatch.delenv("SKYCLUST_CONTEXT", raising=False)
    monkeypatch.delenv("SKYCLUST_GATEWAY_URL", raising=False)
    return path


WARNING = {
    "code": "API_PERMISSION_DENIED",
    "message": "Cost Explorer refused",
    "provider": "aws",
    "resource_type": "all",
}
BUDGET = {
    "budget_id": "55555555-5555-5555-5555-555555555555",
    "name": "aws cap",
    "amount": "1200.00",
    "currency": "USD",
    "period": "monthly",
    "scope": {"kind": "provider", "value": "aws"},
    "thresholds": ["80", "100"],
    "mode": "enforce",
    "fail_closed": False,
}


def answer(data: Any, seen: list[httpx.Request], status: int = 200) -> Any:
    def route(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok(data, status=status)

    return route


def test_summary_shows_the_total_per_cloud_and_the_days_with_warnings_on_stderr(
    gateway: FakeGateway, config_file: Path
) -> None:
    seen: list[httpx.Request] = []
    summary = {
        "start": "2026-11-27",
        "end": "2026-12-03",
        "currency": "USD",
        "total": 12.5,
        "by_provider": {"aws": 10.0, "gcp": 2.5},
        "daily": [{"date": "2026-12-03", "amount": 12.5}],
        "warnings": [WARNING],
    }
    gateway.routes["GET", "/cost-analysis/summary"] = answer(summary, seen)
    logged_in(config_file, gateway)
    code, out, err = run(gateway, "costs", "summary", "--period", "7d", "--provider", "aws")
    assert code == 0, err
    assert dict(seen[0].url.params) == {"period": "7d", "provider": "aws"}
    assert "12.5 USD (aws 10.0, gcp 2.5)" in err
    assert "warning: API_PERMISSION_DENIED (aws/all): Cost Explorer refused" in err
    assert out.splitlines()[1].split() == ["2026-12-03", "12.5"]


def test_breakdown_as_json_is_the_api_data(gateway: FakeGateway, config_file: Path) -> None:
    seen: list[httpx.Request] = []
    data = {
        "by": "cluster",
        "total": 3.0,
        "currency": "USD",
        "items": [{"key": "c1", "amount": 3.0, "share": 1.0}],
        "warnings": [],
    }
    gateway.routes["GET", "/cost-analysis/breakdown"] = answer(data, seen)
    logged_in(config_file, gateway)
    code, out, _ = run(gateway, "-o", "json", "costs", "breakdown", "--by", "cluster")
    assert code == 0
    assert json.loads(out) == data
    assert seen[0].url.params["by"] == "cluster"


def test_forecast_passes_its_horizon_and_method_and_shows_the_intervals(
    gateway: FakeGateway, config_file: Path
) -> None:
    seen: list[httpx.Request] = []
    point = {
        "date": "2026-12-04",
        "mean": 10.0,
        "lower_80": 8.0,
        "upper_80": 12.0,
        "lower_95": 7.0,
        "upper_95": 13.0,
    }
    data = {
        "start": "2026-12-04",
        "end": "2026-12-04",
        "currency": "USD",
        "method": "linear",
        "total": 10.0,
        "intervals": {"80": [8.0, 12.0], "95": [7.0, 13.0]},
        "daily": [point],
        "steps": [],
        "warnings": [],
    }
    gateway.routes["GET", "/cost-analysis/forecast"] = answer(data, seen)
    logged_in(config_file, gateway)
    code, out, err = run(gateway, "costs", "forecast", "--horizon", "3m", "--method", "linear")
    assert code == 0, err
    assert dict(seen[0].url.params) == {"horizon": "3m", "method": "linear"}
    assert "10.0 USD (95%: 7.0 - 13.0; linear, 0 step(s))" in err
    assert out.splitlines()[1].split() == [
        "2026-12-04",
        "10.0",
        "8.0",
        "-",
        "12.0",
        "7.0",
        "-",
        "13.0",
    ]


def test_a_bad_horizon_is_a_usage_error_before_any_request(
    gateway: FakeGateway, config_file: Path
) -> None:
    logged_in(config_file, gateway)
    code, _, _ = run(gateway, "costs", "forecast", "--horizon", "2w")
    assert code == ExitCode.USAGE
    assert not [r for r in gateway.requests if "cost-analysis" in r.url.path]


def test_estimate_posts_the_file_with_the_provider(
    gateway: FakeGateway, config_file: Path, tmp_path: Path
) -> None:
    seen: list[httpx.Request] = []
    line = {
        "kind": "control_plane",
        "name": "standard",
        "quantity": 1,
        "hourly_unit": "0.10",
        "monthly": "73.00",
        "monthly_min": "73.00",
        "monthly_max": "73.00",
        "price_source": "default_table",
    }
    data = {
        "provider": "gcp",
        "region": "us-central1",
        "currency": "USD",
        "monthly": "73.00",
        "monthly_min": "73.00",
        "monthly_max": "73.00",
        "price_source": "default_table",
        "line_items": [line],
        "warnings": [],
    }
    gateway.routes["POST", "/cost-analysis/estimate"] = answer(data, seen)
    body = tmp_path / "cluster.yaml"
    body.write_text("region: us-central1\ngcp_config:\n  node_count: 2\n")
    logged_in(config_file, gateway)
    code, out, err = run(gateway, "costs", "estimate", "-f", str(body), "-p", "gcp")
    assert code == 0, err
    assert json.loads(seen[0].content) == {
        "region": "us-central1",
        "gcp_config": {"node_count": 2},
        "provider": "gcp",
    }
    assert "73.00 USD a month" in err
    assert out.splitlines()[1].split()[:5] == ["control_plane", "standard", "1", "0.10", "73.00"]


def test_budgets_create_sends_the_scope_thresholds_and_mode(
    gateway: FakeGateway, config_file: Path
) -> None:
    seen: list[httpx.Request] = []
    gateway.routes["POST", "/budgets"] = answer(BUDGET, seen, status=201)
    logged_in(config_file, gateway)
    code, out, err = run(
        gateway,
        "budgets",
        "create",
        "--name",
        "aws cap",
        "--amount",
        "1200",
        "--scope",
        "provider:aws",
        "--threshold",
        "50",
        "--threshold",
        "90",
        "--mode",
        "enforce",
        "--fail-closed",
    )
    assert code == 0, err
    assert json.loads(seen[0].content) == {
        "name": "aws cap",
        "amount": "1200",
        "period": "monthly",
        "scope": {"kind": "provider", "value": "aws"},
        "mode": "enforce",
        "currency": "USD",
        "fail_closed": True,
        "thresholds": ["50", "90"],
    }
    assert f"budget aws cap created ({BUDGET['budget_id']})" in err
    assert "provider:aws" in out


@pytest.mark.parametrize("scope", ["provider", "cloud:aws", "tag:"])
def test_a_bad_scope_is_a_usage_error(gateway: FakeGateway, config_file: Path, scope: str) -> None:
    logged_in(config_file, gateway)
    code, _, err = run(
        gateway, "budgets", "create", "--name", "x", "--amount", "1", "--scope", scope
    )
    assert code == ExitCode.USAGE
    assert "BAD_ARGUMENT" in err


def test_budgets_list_get_and_delete_by_name(gateway: FakeGateway, config_file: Path) -> None:
    seen: list[httpx.Request] = []
    path = f"/budgets/{BUDGET['budget_id']}"
    status = {"period_key": "2026-12", "actual": "900.00", "forecast": "1300.00"}
    crossed = [{"kind": "actual", "threshold": "80"}]
    gateway.routes["GET", "/budgets"] = answer({"items": [BUDGET]}, seen)
    gateway.routes["GET", path] = answer({**BUDGET, "status": {**status, "crossed": crossed}}, seen)
    gateway.routes["DELETE", path] = answer({"budget_id": BUDGET["budget_id"]}, seen)
    logged_in(config_file, gateway)
    code, out, _ = run(gateway, "budgets", "list")
    assert code == 0
    assert "aws cap" in out and "1200.00 USD" in out and "80%,100%" in out
    code, out, _ = run(gateway, "budgets", "get", "aws cap")
    assert code == 0
    assert "actual 80%" in out and "1300.00" in out
    code, _, err = run(gateway, "budgets", "delete", "aws cap", "--yes")
    assert code == 0, err
    assert [(r.method, r.url.path) for r in seen][-1] == ("DELETE", f"/api/v1{path}")
    code, _, err = run(gateway, "budgets", "delete", "nope", "--yes")
    assert code == ExitCode.API
    assert "BUDGET_NOT_FOUND" in err


def test_clusters_create_asks_for_an_override_and_shows_the_warnings(
    gateway: FakeGateway, config_file: Path
) -> None:
    seen: list[httpx.Request] = []
    warning = {"code": "BUDGET_WOULD_BE_EXCEEDED", "message": "budget 'aws cap' would reach 130%"}
    created = {"id": "33333333-3333-3333-3333-333333333333", "name": "web", "status": "PENDING"}
    gateway.routes["POST", "/aws/kubernetes/clusters"] = answer(
        {**created, "warnings": [warning]}, seen, status=202
    )
    logged_in(config_file, gateway)
    code, _, err = run(
        gateway, "clusters", "create", "web", "-C", str(CREDENTIAL["name"]), "--version", "1.30",
        "--budget-override",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(seen[0].content)["budget_override"] is True
    assert "warning: BUDGET_WOULD_BE_EXCEEDED: budget 'aws cap' would reach 130%" in err


def test_a_refusal_by_an_enforce_budget_exits_1_with_its_code(
    gateway: FakeGateway, config_file: Path
) -> None:
    gateway.routes["POST", "/aws/kubernetes/clusters"] = lambda request: failure(
        409, "BUDGET_EXCEEDED", "budget 'aws cap' would reach 130% of its amount"
    )
    logged_in(config_file, gateway)
    code, _, err = run(
        gateway, "clusters", "create", "web", "-C", str(CREDENTIAL["name"]), "--version", "1.30"
    )
    assert code == ExitCode.API
    assert "error: BUDGET_EXCEEDED: budget 'aws cap' would reach 130% of its amount" in err


def test_node_group_adds_and_scales_carry_the_override_and_show_the_warnings(
    gateway: FakeGateway, config_file: Path
) -> None:
    seen: list[httpx.Request] = []
    cluster = gateway.clusters["aws"][0]
    groups = f"/aws/kubernetes/clusters/{cluster['id']}/node-groups"
    group = {"id": "66666666-6666-6666-6666-666666666666", "name": "web", "status": "UPDATING"}
    warning = {"code": "BUDGET_CHECK_SKIPPED", "message": "the cost service did not answer"}
    gateway.routes["POST", groups] = answer({**group, "warnings": [warning]}, seen, status=202)
    gateway.routes["GET", groups] = answer([group], seen)
    gateway.routes["PATCH", f"{groups}/{group['id']}"] = answer(
        {**group, "warnings": []}, seen, status=202
    )
    logged_in(config_file, gateway)
    code, _, err = run(
        gateway, "node-groups", "create", "demo", "web", "--desired", "2", "--budget-override"
    )
    assert code == 0, err
    assert json.loads(seen[0].content)["budget_override"] is True
    assert "warning: BUDGET_CHECK_SKIPPED: the cost service did not answer" in err
    code, _, err = run(gateway, "clusters", "scale", "demo", "--desired", "5", "--budget-override")
    assert code == 0, err
    assert json.loads(seen[-1].content) == {"desired_size": 5, "budget_override": True}
    code, _, err = run(gateway, "node-groups", "scale", "demo", "web", "--desired", "3")
    assert code == 0, err
    assert json.loads(seen[-1].content) == {"desired_size": 3}
