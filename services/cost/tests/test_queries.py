"""The reads on the fake store: summary, breakdown, trend, comparison, bad values."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from skyclust_cost.domain.errors import InvalidBreakdown, InvalidPeriod, InvalidResourceTypes
from skyclust_cost.domain.records import CostRow, CostWarning
from skyclust_cost.handlers import queries

from .cost_harness import TODAY, call, make_deps

pytestmark = pytest.mark.unit


def row(days_ago: int, amount: str, **kw: str) -> CostRow:
    fields = {"provider": "aws", "account": "123", "service": "EC2", "region": "us-east-1"}
    fields.update(kw)
    return CostRow(day=TODAY - timedelta(days=days_ago), amount=Decimal(amount), **fields)  # type: ignore[arg-type]


async def seed(deps, workspace: uuid.UUID, rows: list[CostRow], warning: CostWarning | None = None):
    async with deps.uow() as uow:
        await uow.records.upsert(workspace, rows)
        if warning:
            await uow.statuses.record(workspace, warning.provider, 0, warning)
        await uow.commit()


async def test_summary_sums_per_provider_and_day_over_the_period(workspace: uuid.UUID) -> None:
    deps = make_deps()
    await seed(
        deps,
        workspace,
        [
            row(0, "1.50"),
            row(0, "2.25", provider="gcp", account="p"),
            row(6, "3"),
            row(7, "100"),  # outside 7d
        ],
    )
    reply = await call(
        queries.get_cost_summary, deps, {"workspace_id": str(workspace), "period": "7d"}
    )
    assert reply["total"] == 6.75
    assert reply["by_provider"] == {"aws": 4.5, "gcp": 2.25}
    assert len(reply["daily"]) == 7
    assert reply["daily"][0] == {"date": (TODAY - timedelta(days=6)).isoformat(), "amount": 3.0}
    assert reply["daily"][-1]["amount"] == 3.75
    assert reply["currency"] == "USD" and reply["warnings"] == []


async def test_an_upsert_of_the_same_day_and_dimension_replaces_it(workspace: uuid.UUID) -> None:
    deps = make_deps()
    await seed(deps, workspace, [row(1, "5")])
    await seed(deps, workspace, [row(1, "7")])
    reply = await call(queries.get_cost_summary, deps, {"workspace_id": str(workspace)})
    assert reply["total"] == 7.0


async def test_breakdown_by_cluster_and_by_tag(workspace: uuid.UUID) -> None:
    deps = make_deps()
    await seed(
        deps,
        workspace,
        [
            CostRow(
                TODAY,
                "aws",
                "1",
                "EC2",
                "us-east-1",
                Decimal(4),
                cluster_id="c1",
                tags={"team": "a"},
            ),
            CostRow(
                TODAY,
                "aws",
                "1",
                "EKS",
                "us-east-1",
                Decimal(1),
                cluster_id="c1",
                tags={"team": "a"},
            ),
            CostRow(TODAY, "gcp", "p", "GCE", "us-central1", Decimal(2)),
        ],
    )
    by_cluster = await call(
        queries.get_cost_breakdown, deps, {"workspace_id": str(workspace), "by": "cluster"}
    )
    assert [(i["key"], i["amount"]) for i in by_cluster["items"]] == [("c1", 5.0), ("", 2.0)]
    assert by_cluster["total"] == 7.0
    by_tag = await call(
        queries.get_cost_breakdown, deps, {"workspace_id": str(workspace), "by": "tag:team"}
    )
    assert [(i["key"], i["amount"]) for i in by_tag["items"]] == [("a", 5.0), ("", 2.0)]
    only_vm = await call(
        queries.get_cost_breakdown,
        deps,
        {"workspace_id": str(workspace), "by": "provider", "resource_types": "vm"},
    )
    assert [(i["key"], i["amount"]) for i in only_vm["items"]] == [("gcp", 2.0)]


async def test_trend_compares_the_later_half_with_the_earlier(workspace: uuid.UUID) -> None:
    deps = make_deps()
    await seed(deps, workspace, [row(d, "1" if d >= 4 else "3") for d in range(8)])
    reply = await call(
        queries.get_cost_trend, deps, {"workspace_id": str(workspace), "period": "7d"}
    )
    # 7 days: the first 3 (6..4 days ago) at 1, the last 4 at 3.
    assert reply["first_half"] == 3.0 and reply["second_half"] == 12.0
    assert reply["direction"] == "increasing" and reply["change_percent"] == 300.0


async def test_comparison_against_the_previous_period(workspace: uuid.UUID) -> None:
    deps = make_deps()
    await seed(
        deps, workspace, [row(1, "10"), row(8, "4"), row(8, "1", provider="azure", account="s")]
    )
    reply = await call(
        queries.get_cost_comparison, deps, {"workspace_id": str(workspace), "period": "7d"}
    )
    assert (reply["current"], reply["previous"], reply["change"]) == (10.0, 5.0, 5.0)
    assert reply["change_percent"] == 100.0
    assert reply["by_provider"] == {
        "aws": {"current": 10.0, "previous": 4.0},
        "azure": {"current": 0.0, "previous": 1.0},
    }


async def test_warnings_of_the_last_collection_come_with_the_answer(workspace: uuid.UUID) -> None:
    deps = make_deps()
    warning = CostWarning("API_PERMISSION_DENIED", "denied", "gcp", "all")
    await seed(deps, workspace, [row(0, "1")], warning)
    reply = await call(queries.get_cost_summary, deps, {"workspace_id": str(workspace)})
    assert reply["warnings"] == [warning.view()]
    aws_only = await call(
        queries.get_cost_summary, deps, {"workspace_id": str(workspace), "provider": "aws"}
    )
    assert aws_only["warnings"] == []


@pytest.mark.parametrize(
    ("body", "error", "code"),
    [
        ({"period": "2w"}, InvalidPeriod, "INVALID_PERIOD"),
        ({"resource_types": "vm,disk"}, InvalidResourceTypes, "INVALID_RESOURCE_TYPES"),
    ],
)
async def test_bad_query_values_are_named_422s(
    workspace: uuid.UUID, body: dict[str, str], error: type[Exception], code: str
) -> None:
    with pytest.raises(error) as caught:
        await call(queries.get_cost_summary, make_deps(), {"workspace_id": str(workspace), **body})
    assert caught.value.code == code and caught.value.status == 422  # type: ignore[attr-defined]


async def test_a_bad_dimension_is_invalid_breakdown(workspace: uuid.UUID) -> None:
    with pytest.raises(InvalidBreakdown):
        await call(
            queries.get_cost_breakdown, make_deps(), {"workspace_id": str(workspace), "by": "color"}
        )
