"""GetCostForecast and EstimateClusterCost on the fake store, and the run-rate steps that
the forecast and a budget's standing are told of: clusters and node groups that began,
were scaled or ended since the history's first day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from skyclust_cost.domain.errors import InvalidHorizon
from skyclust_cost.domain.records import CostRow
from skyclust_cost.domain.run_rate import CONTROL_PLANE, RunSpan, run_rate_steps
from skyclust_cost.handlers import budgets, estimates, guardrail, queries

from skyclust_common.contracts import load_registry

from .cost_harness import TODAY, call, make_deps

pytestmark = pytest.mark.unit
REGISTRY = load_registry()
# The default table's list prices (domain/prices.py): EKS's control plane and m5.large.
EKS_PER_DAY = Decimal("0.10") * 24
M5_PER_DAY = Decimal("0.096") * 24


def moment(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, time(hour), UTC)


async def history(deps: Any, workspace: uuid.UUID, days: int) -> None:
    """`days` of AWS cost up to today with a weekly shape: weekdays 100, weekends 40."""
    rows = [
        CostRow(day, "aws", "1", "EC2", "us-east-1", Decimal(40 if day.weekday() >= 5 else 100))
        for day in (TODAY - timedelta(days=i) for i in range(days))
    ]
    async with deps.uow() as uow:
        await uow.records.upsert(workspace, rows)
        await uow.commit()


async def run_cluster(
    deps: Any, workspace: uuid.UUID, since: datetime, nodes: int = 2, provider: str = "aws"
) -> uuid.UUID:
    cluster = uuid.uuid4()
    async with deps.uow() as uow:
        await uow.inventory.open(
            workspace, cluster, "", "", provider, "us-east-1", CONTROL_PLANE, 1, since
        )
        await uow.inventory.open(
            workspace, cluster, "ng1", "web", provider, "us-east-1", "m5.large", nodes, since
        )
        await uow.commit()
    return cluster


async def forecast(deps: Any, workspace: uuid.UUID, **query: Any) -> dict[str, Any]:
    reply: dict[str, Any] = await call(
        queries.get_cost_forecast, deps, {"workspace_id": str(workspace), **query}
    )
    REGISTRY.validate("GetCostForecast", reply, part="reply")
    return reply


async def test_a_forecast_follows_the_weekly_shape_with_intervals(workspace: uuid.UUID) -> None:
    deps = make_deps()
    await history(deps, workspace, 56)
    reply = await forecast(deps, workspace, horizon="7d")
    assert (reply["start"], reply["end"]) == ("2026-12-04", "2026-12-10")
    assert reply["history_start"] == (TODAY - timedelta(days=55)).isoformat()
    assert reply["method"] == "seasonal_steps"
    by_day = {date.fromisoformat(p["date"]): p for p in reply["daily"]}
    assert len(by_day) == 7
    for day, point in by_day.items():
        expected = 40 if day.weekday() >= 5 else 100
        assert point["mean"] == pytest.approx(expected, abs=0.5)
        assert point["lower_95"] <= point["lower_80"] <= point["mean"] <= point["upper_80"]
        assert point["upper_80"] <= point["upper_95"]
    assert reply["total"] == pytest.approx(5 * 100 + 2 * 40, abs=2)
    low, high = reply["intervals"]["95"]
    assert low <= reply["total"] <= high
    assert reply["steps"] == []


async def test_with_no_cost_yet_a_running_cluster_is_forecast_at_its_run_rate(
    workspace: uuid.UUID,
) -> None:
    deps = make_deps()
    await run_cluster(deps, workspace, moment(TODAY, 9))
    reply = await forecast(deps, workspace, horizon="1m")
    per_day = float(EKS_PER_DAY + 2 * M5_PER_DAY)
    assert reply["history_start"] is None
    assert reply["steps"] == [{"date": "2026-12-04", "delta_per_day": round(per_day, 2)}]
    assert len(reply["daily"]) == 30
    assert reply["total"] == pytest.approx(30 * per_day, rel=0.01)


async def test_a_cluster_deleted_takes_its_cost_out_of_the_forecast(workspace: uuid.UUID) -> None:
    deps = make_deps()
    await history(deps, workspace, 56)
    cluster = await run_cluster(deps, workspace, moment(TODAY - timedelta(days=70)))
    async with deps.uow() as uow:
        await uow.inventory.close(cluster, None, moment(TODAY, 6))
        await uow.commit()
    reply = await forecast(deps, workspace, horizon="7d")
    per_day = float(EKS_PER_DAY + 2 * M5_PER_DAY)
    # Begun before the history: only its end is a step, from the first whole day after.
    assert reply["steps"] == [{"date": "2026-12-04", "delta_per_day": round(-per_day, 2)}]
    plain = await forecast(make_deps(), workspace, horizon="7d")
    assert plain["total"] == 0  # another store: nothing at all
    without = await forecast(deps, workspace, horizon="7d", resource_types="vm")
    assert without["steps"] == []
    assert reply["total"] == pytest.approx(without["total"] - 7 * per_day, abs=1)


async def test_the_seeds_line_is_there_to_compare_and_takes_no_steps(
    workspace: uuid.UUID,
) -> None:
    deps = make_deps()
    await history(deps, workspace, 28)
    await run_cluster(deps, workspace, moment(TODAY, 9))
    reply = await forecast(deps, workspace, method="linear")
    assert reply["method"] == "linear"
    assert reply["steps"] == []


async def test_a_bad_horizon_is_invalid_horizon(workspace: uuid.UUID) -> None:
    with pytest.raises(InvalidHorizon) as bad:
        await forecast(make_deps(), workspace, horizon="2w")
    assert (bad.value.status, bad.value.code) == (422, "INVALID_HORIZON")


def test_a_scale_nets_to_its_change_and_a_change_at_midnight_counts_that_day() -> None:
    start = date(2026, 11, 1)

    def span(count: int, since: datetime, until: datetime | None) -> RunSpan:
        return RunSpan("c", "ng", "aws", "us-east-1", "m5.large", count, since, until)

    scaled_at = moment(date(2026, 11, 20), 15)
    runs = [
        span(2, moment(date(2026, 11, 10)), scaled_at),
        span(5, scaled_at, None),
        span(1, moment(date(2026, 10, 1)), moment(date(2026, 11, 25), 0)),
        span(1, moment(date(2026, 11, 12)), None),
    ]
    unknown = RunSpan("c", "x", "aws", "us-east-1", "z9.huge", 1, moment(start), None)
    hourly = {"m5.large": Decimal("0.1")}
    steps, unpriced = run_rate_steps([*runs, unknown], start, lambda r: hourly.get(r.instance_type))
    assert [(s.day.isoformat(), round(s.delta_per_day, 2)) for s in steps] == [
        ("2026-11-10", 4.8),
        ("2026-11-12", 2.4),
        ("2026-11-21", 7.2),  # 2 → 5 nodes from the first whole day after
        ("2026-11-25", -2.4),
    ]
    assert unpriced == {"z9.huge"}


async def test_a_budget_with_no_cost_yet_forecasts_the_clusters_running_in_its_scope(
    workspace: uuid.UUID,
) -> None:
    deps = make_deps()
    await run_cluster(deps, workspace, moment(TODAY, 9))
    await run_cluster(deps, workspace, moment(TODAY, 9), provider="gcp")
    body = {"workspace_id": str(workspace), "actor_id": "u1", "period": "monthly"}
    aws = await call(
        budgets.create_budget,
        deps,
        {**body, "name": "aws", "amount": "300", "scope": {"kind": "provider", "value": "aws"}},
    )
    got = await call(
        budgets.get_budget,
        deps,
        {"workspace_id": str(workspace), "budget_id": aws["budget_id"]},
    )
    # December 4th to 31st at the AWS cluster's rate; the GCP one is not in scope.
    per_day = EKS_PER_DAY + 2 * M5_PER_DAY
    assert Decimal(got["status"]["forecast"]) == pytest.approx(28 * per_day, rel=Decimal("0.01"))
    assert got["status"]["actual"] == "0.00"

    # And the guardrail counts it: the running cluster's forecast (about 196) plus the new
    # cluster's month (about 213) passes 300, which the new one alone would not.
    reply = await call(
        guardrail.check_budget_guardrail,
        deps,
        {
            "workspace_id": str(workspace),
            "actor_id": "u1",
            "provider": "aws",
            "region": "us-east-1",
            "node_groups": [{"instance_type": "m5.large", "desired_size": 2}],
        },
    )
    assert reply["action"] == "warn"
    (finding,) = reply["findings"]
    assert Decimal(finding["forecast"]) == Decimal(got["status"]["forecast"])
    assert Decimal(finding["estimate"]) < Decimal("300") < Decimal(finding["projected"])


async def test_an_estimate_prices_the_pool_gke_makes_and_the_groups_with_sources(
    workspace: uuid.UUID,
) -> None:
    reply = await call(
        estimates.estimate_cluster_cost,
        make_deps(),
        {
            "workspace_id": str(workspace),
            "provider": "gcp",
            "region": "us-central1",
            "gcp_config": {"machine_type": "e2-standard-4", "node_count": 3},
            "node_groups": [
                {"name": "batch", "instance_type": "e2-standard-2", "min_size": 0,
                 "max_size": 4, "desired_size": 1},
            ],
            "network_pieces": {"nat_gateways": 1},
        },
    )  # fmt: skip
    REGISTRY.validate("EstimateClusterCost", reply, part="reply")
    lines = {(i["kind"], i["name"]): i for i in reply["line_items"]}
    assert set(lines) == {
        ("control_plane", "standard"),
        ("nodes", "e2-standard-4"),
        ("nodes", "e2-standard-2"),
        ("network", "nat_gateway"),
    }
    assert lines["nodes", "e2-standard-4"]["quantity"] == 3
    small = lines["nodes", "e2-standard-2"]
    assert (small["quantity"], small["monthly_min"]) == (1, "0.00")
    assert Decimal(reply["monthly"]) == sum(Decimal(i["monthly"]) for i in reply["line_items"])
    assert reply["price_source"] == "default_table"
    assert {i["price_source"] for i in reply["line_items"]} == {"default_table"}
    assert [w["code"] for w in reply["warnings"]] == ["DEFAULT_PRICES"]
