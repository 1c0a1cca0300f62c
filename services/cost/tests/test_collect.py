"""Collection on the fake store: billing rows stored, and a refusing cloud estimated
from the inventory with its warning, without failing the others."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from skyclust_cost.adapters.billing.base import BillingUnavailable
from skyclust_cost.domain.records import CostRow, CostWarning
from skyclust_cost.handlers import collect, inventory, queries

from skyclust_common.envelope import new_event

from .cost_harness import call, make_deps

pytestmark = pytest.mark.unit


class Refusing:
    provider = "gcp"

    async def collect(self, secret: dict[str, Any], start: date, end: date) -> list[CostRow]:
        raise BillingUnavailable(CostWarning("API_PERMISSION_DENIED", "no", "gcp"))


class Answering:
    provider = "aws"

    async def collect(self, secret: dict[str, Any], start: date, end: date) -> list[CostRow]:
        return [CostRow(end, "aws", "1", "EC2", "us-east-1", Decimal("2.5"), cluster_id="c")]


async def test_one_refusing_cloud_is_estimated_and_warned_the_other_stored(
    workspace: uuid.UUID,
) -> None:
    deps = make_deps(
        {"aws": Answering(), "gcp": Refusing()},
        price=lambda provider, kind, region: Decimal("0.5") if kind == "e2-medium" else None,
    )
    async with deps.uow() as uow:
        await uow.credentials.remember(workspace, uuid.uuid4(), "aws")
        await uow.credentials.remember(workspace, uuid.uuid4(), "gcp")
        await uow.commit()
    cluster_id = uuid.uuid4()
    since = datetime.now(UTC) - timedelta(hours=4)
    async with deps.uow() as uow:
        await uow.inventory.open(
            workspace, cluster_id, "ng", "ng", "gcp", "us-central1", "e2-medium", 2, since
        )
        await uow.commit()
    deps.today = lambda: datetime.now(UTC).date()

    reply = await call(collect.collect_costs, deps, {"workspace_id": str(workspace)})

    assert [w["code"] for w in reply["warnings"]] == ["API_PERMISSION_DENIED"]
    summary = await call(queries.get_cost_summary, deps, {"workspace_id": str(workspace)})
    assert summary["by_provider"]["aws"] == 2.5
    # 4 hours x 2 nodes x 0.5 (the run may straddle midnight: summed over days).
    assert summary["by_provider"]["gcp"] == pytest.approx(4.0, rel=1e-3)
    assert [w["code"] for w in summary["warnings"]] == ["API_PERMISSION_DENIED"]


async def test_scaling_events_close_a_run_and_open_the_next(workspace: uuid.UUID) -> None:
    deps = make_deps()
    cluster_id = str(uuid.uuid4())
    ws = str(workspace)
    base = {"cluster_id": cluster_id, "provider": "aws", "name": "c"}
    # Whole events, as their contracts have them: the handlers read their models.
    cluster = {"version": "1.31", "credential_id": str(uuid.uuid4()), "tags": {}}
    group = {"node_group_id": str(uuid.uuid4()), "min_size": 0, "max_size": 10}
    group |= {"labels": {}, "taints": []}
    events = [
        new_event(
            "ClusterRequested",
            {**base, **cluster, "region": "eu-west-1", "aws_config": None},
            source="provisioning",
            workspace_id=ws,
        ),
        new_event(
            "NodeGroupRequested",
            {**base, **group, "instance_type": "m5.large", "desired_size": 2},
            source="provisioning",
            workspace_id=ws,
        ),
        new_event(
            "NodeGroupReady",
            {**base, **group, "cloud_id": "ng-1", "desired_size": 2},
            source="provisioning",
            workspace_id=ws,
        ),
        new_event(
            "NodeGroupScaled",
            {**base, **group, "desired_size": 5},
            source="provisioning",
            workspace_id=ws,
        ),
    ]
    handlers = [
        inventory.on_cluster_requested,
        inventory.on_node_group_requested,
        inventory.on_node_group_sized,
        inventory.on_node_group_sized,
    ]
    for handler, event in zip(handlers, events, strict=True):
        # The second call is a redelivery: the inbox skips it.
        await handler(deps, event, None)  # type: ignore[arg-type]
        await handler(deps, event, None)  # type: ignore[arg-type]
    async with deps.uow() as uow:
        runs = await uow.inventory.overlapping(
            workspace, None, datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        )
    assert [(r.count, r.until is None, r.instance_type, r.region) for r in runs] == [
        (2, False, "m5.large", "eu-west-1"),
        (5, True, "m5.large", "eu-west-1"),
    ]
