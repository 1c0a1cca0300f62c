"""Collection: each known credential's billing API read for recent days, stored as daily
rows (an upsert per day and dimension, so running it again changes nothing). A cloud
whose API refuses gets its days estimated from the inventory instead, with its warning
kept for the reads. One cloud failing never stops the others."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from skyclust_common.errors import SkyclustError
from skyclust_common.messages.rpc import CollectCosts
from skyclust_common.messaging import RpcContext

from ..adapters.billing.base import BillingUnavailable
from ..domain import periods, run_rate
from ..domain.records import CREDENTIAL_ERROR, CostRow, CostWarning
from .budget_check import check_after_collection
from .common import CostDeps

log = logging.getLogger(__name__)


async def _estimate(
    deps: CostDeps, workspace_id: uuid.UUID, provider: str, start: Any, end: Any
) -> tuple[list[CostRow], list[CostWarning]]:
    now = datetime.now(UTC)
    begin = datetime.combine(start, datetime.min.time(), UTC)
    async with deps.uow() as uow:
        runs = await uow.inventory.overlapping(workspace_id, provider, begin, now)
    spans = [
        run_rate.RunSpan(
            str(r.cluster_id),
            r.node_group_id,
            r.provider,
            r.region,
            r.instance_type,
            r.count,
            r.since,
            r.until,
        )
        for r in runs
    ]
    rows, unpriced = run_rate.estimate(spans, start, end, now, deps.price)
    # Estimated from the shipped table: the price book says why no live prices.
    warnings = [w for w in deps.prices.warnings if w.provider == provider] if rows else []
    if unpriced:
        warnings.append(
            CostWarning(
                "VM_COST_CALCULATION_FAILED",
                f"no price known for {', '.join(sorted(unpriced))}; their cost is left out",
                provider,
                "vm",
            )
        )
    return rows, warnings


async def collect_provider(
    deps: CostDeps,
    workspace_id: uuid.UUID,
    credential_id: uuid.UUID,
    provider: str,
    days: int,
) -> tuple[int, list[CostWarning]]:
    end = deps.today()
    start = end - timedelta(days=days - 1)
    collector = deps.collectors.get(provider)
    warning: CostWarning | None = None
    rows: list[CostRow] = []
    try:
        if collector is None:
            raise BillingUnavailable(
                CostWarning(
                    "KUBERNETES_COST_CALCULATION_FAILED",
                    f"no billing adapter for {provider}",
                    provider,
                    "cluster",
                )
            )
        decrypted = await deps.decrypt_credential(
            str(workspace_id), str(credential_id), "cost collection", str(uuid.uuid4())
        )
        rows = await collector.collect(dict(decrypted["data"]), start, end)
    except BillingUnavailable as exc:
        warning = exc.warning
    except SkyclustError as exc:
        warning = CostWarning(CREDENTIAL_ERROR, exc.message, provider, "all")
    extra: list[CostWarning] = []
    async with deps.uow() as uow:
        stored = await uow.records.upsert(workspace_id, rows) if rows else 0
        if warning is not None:
            estimates, extra = await _estimate(deps, workspace_id, provider, start, end)
            stored += await uow.records.replace_estimates(workspace_id, provider, start, estimates)
        else:
            # Billing answered: what was estimated for those days is superseded.
            await uow.records.replace_estimates(workspace_id, provider, start, [])
        await uow.statuses.record(
            workspace_id, provider, stored, warning or (extra[0] if extra else None)
        )
        await uow.commit()
    found = ([warning] if warning else []) + extra
    if warning:
        log.info("cost: %s billing unavailable (%s), estimated", provider, warning.code)
    return stored, found


async def collect_workspace(
    deps: CostDeps, workspace_id: uuid.UUID, provider: str | None, days: int
) -> tuple[dict[str, int], list[CostWarning]]:
    async with deps.uow() as uow:
        credentials = await uow.credentials.of_workspace(workspace_id)
    counts: dict[str, int] = {}
    warnings: list[CostWarning] = []
    for credential_id, name in credentials:
        if provider and name != provider:
            continue
        stored, found = await collect_provider(deps, workspace_id, credential_id, name, days)
        counts[name] = counts.get(name, 0) + stored
        warnings.extend(found)
    await check_after_collection(deps, workspace_id)
    return counts, warnings


async def collect_costs(
    deps: CostDeps, req: CollectCosts.Request, ctx: RpcContext
) -> dict[str, Any]:
    counts, warnings = await collect_workspace(
        deps, req.workspace_id, periods.provider(req.provider), req.days or deps.collect_days
    )
    return {
        "rows": sum(counts.values()),
        "providers": counts,
        "warnings": [w.view() for w in warnings],
    }


async def collect_everything(deps: CostDeps) -> None:
    async with deps.uow() as uow:
        workspaces = await uow.credentials.workspaces()
    for workspace_id in workspaces:
        try:
            await collect_workspace(deps, workspace_id, None, deps.collect_days)
        except Exception:
            # One workspace's failure is logged; the next is still collected.
            log.exception("cost: collecting workspace %s failed", workspace_id)
