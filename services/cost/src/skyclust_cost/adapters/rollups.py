"""The breakdowns' monthly rollups on PostgreSQL: kept from the rows (`reroll`, in the
transaction that changes them) and read back (`by_dimension`, `by_tag`), a window's whole
months from the rollup and its partial months at either edge from the rows, so the sums
are the rows' own for any window."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    String,
    bindparam,
    case,
    delete,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.periods import Scope, month_of, next_month, whole_months
from .db import ALL_ROWS, CostRecord, DimensionMonth, TagMonth

_ROWS = (
    "FROM cost.cost_records AS r {join} "
    "WHERE r.workspace_id = :workspace_id AND r.provider = ANY(:providers) "
    "AND r.day >= :start AND r.day < :before "
)
# Each row counted once for each rolled-up dimension, under the months it falls in.
DIMENSIONS_FROM_ROWS = (
    "INSERT INTO cost.cost_dimension_months "
    "(workspace_id, dimension, month, provider, resource_type, key, amount) "
    "SELECT r.workspace_id, d.dimension, date_trunc('month', r.day)::date, r.provider, "
    "r.resource_type, d.key, sum(r.amount) "
    + _ROWS.format(
        join="CROSS JOIN LATERAL (VALUES ('service', r.service), ('region', r.region), "
        "('cluster', r.cluster_id), ('node_group', r.node_group)) AS d(dimension, key)"
    )
    + "GROUP BY 1, 2, 3, 4, 5, 6"
)
# Each row counted once under ALL_ROWS and once for each of its tags with a value (an
# empty value is the breakdown's `""`, as a missing key is).
TAGS_FROM_ROWS = (
    "INSERT INTO cost.cost_tag_months "
    "(workspace_id, month, provider, resource_type, tag_key, tag_value, amount, row_count) "
    "SELECT r.workspace_id, date_trunc('month', r.day)::date, r.provider, r.resource_type, "
    "t.key, t.value, sum(r.amount), count(*) "
    + _ROWS.format(
        join="CROSS JOIN LATERAL (SELECT '' AS key, '' AS value UNION ALL "
        "SELECT e.key, e.value FROM jsonb_each_text(r.tags) AS e "
        "WHERE e.key <> '' AND coalesce(e.value, '') <> '') AS t"
    )
    + "GROUP BY 1, 2, 3, 4, 5, 6"
)
_PROVIDERS = bindparam("providers", type_=ARRAY(String))
_REROLL = (
    text(DIMENSIONS_FROM_ROWS).bindparams(_PROVIDERS),
    text(TAGS_FROM_ROWS).bindparams(_PROVIDERS),
)
COLUMNS: dict[str, Any] = {
    "service": CostRecord.service,
    "provider": CostRecord.provider,
    "region": CostRecord.region,
    "cluster": CostRecord.cluster_id,
    "node_group": CostRecord.node_group,
}


def rows_where(scope: Scope) -> list[ColumnElement[bool]]:
    conditions = [
        CostRecord.workspace_id == scope.workspace_id,
        CostRecord.day >= scope.start,
        CostRecord.day <= scope.end,
        CostRecord.resource_type.in_(sorted(scope.resource_types)),
    ]
    if scope.provider:
        conditions.append(CostRecord.provider == scope.provider)
    return conditions


async def reroll(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    providers: set[str],
    start: date,
    end: date | None,
) -> None:
    """Both rollups of these providers' months that hold `start` (to `end`) summed again
    from the rows, whole months, so a partial write leaves none short."""
    first = month_of(start)
    before = next_month(end) if end else date.max
    for table in (DimensionMonth, TagMonth):
        await session.execute(
            delete(table).where(
                table.workspace_id == workspace_id,
                table.provider.in_(sorted(providers)),
                table.month >= first,
                table.month < before,
            )
        )
    values = {
        "workspace_id": workspace_id,
        "providers": sorted(providers),
        "start": first,
        "before": before,
    }
    for statement in _REROLL:
        await session.execute(statement, values)


def _edge(scope: Scope, start: date, end: date) -> Scope:
    return Scope(scope.workspace_id, start, end, scope.resource_types, scope.provider, scope.period)


def _edges(scope: Scope, months: tuple[date, date]) -> list[Scope]:
    first, last = months
    edges = []
    if scope.start < first:
        edges.append(_edge(scope, scope.start, first - timedelta(days=1)))
    if next_month(last) <= scope.end:
        edges.append(_edge(scope, next_month(last), scope.end))
    return edges


async def by_dimension(
    session: AsyncSession, scope: Scope, dimension: str
) -> list[tuple[str, Decimal]]:
    """One of `ROLLED_UP`: the whole months from the rollup, the edges from the rows
    (each one range of the covering index), summed together."""
    months = whole_months(scope.start, scope.end)
    column = COLUMNS[dimension]

    def rows(edge: Scope) -> Select[str, Any]:
        return (
            select(column.label("key"), func.sum(CostRecord.amount).label("amount"))
            .where(*rows_where(edge))
            .group_by(column)
        )

    if months is None:
        parts = [rows(scope)]
    else:
        conditions = [
            DimensionMonth.workspace_id == scope.workspace_id,
            DimensionMonth.dimension == dimension,
            DimensionMonth.month >= months[0],
            DimensionMonth.month <= months[1],
            DimensionMonth.resource_type.in_(sorted(scope.resource_types)),
        ]
        if scope.provider:
            conditions.append(DimensionMonth.provider == scope.provider)
        parts = [
            select(DimensionMonth.key.label("key"), func.sum(DimensionMonth.amount).label("amount"))
            .where(*conditions)
            .group_by(DimensionMonth.key),
            *(rows(edge) for edge in _edges(scope, months)),
        ]
    both = union_all(*parts).subquery()
    key = both.c.key.label("key")
    total = func.sum(both.c.amount).label("total")
    stmt = select(key, total).group_by(key).order_by(total.desc(), key)
    return [(k, Decimal(a)) for k, a in (await session.execute(stmt)).all()]


async def by_tag(session: AsyncSession, scope: Scope, tag: str) -> list[tuple[str, Decimal]]:
    """A tag key's values: the whole months from the tag rollup (`""`, the rows without
    a value, as the months' every row less those with one), the edges from the rows.
    Each part counts its rows too, so a key is listed exactly when some row has it."""
    months = whole_months(scope.start, scope.end)
    value = func.coalesce(CostRecord.tags[tag].astext, "")

    def rows(edge: Scope) -> Select[str, Any, Any]:
        return (
            select(
                value.label("key"),
                func.sum(CostRecord.amount).label("amount"),
                func.count().label("n"),
            )
            .where(*rows_where(edge))
            .group_by(value)
        )

    if months is None:
        parts = [rows(scope)]
    else:
        conditions = [
            TagMonth.workspace_id == scope.workspace_id,
            TagMonth.month >= months[0],
            TagMonth.month <= months[1],
            TagMonth.resource_type.in_(sorted(scope.resource_types)),
        ]
        if scope.provider:
            conditions.append(TagMonth.provider == scope.provider)
        sign = case((TagMonth.tag_key == ALL_ROWS, 1), else_=-1)
        parts = [
            select(
                TagMonth.tag_value.label("key"),
                func.sum(TagMonth.amount).label("amount"),
                func.sum(TagMonth.row_count).label("n"),
            )
            .where(*conditions, TagMonth.tag_key == tag)
            .group_by(TagMonth.tag_value),
            select(
                literal("").label("key"),
                func.sum(sign * TagMonth.amount).label("amount"),
                func.sum(sign * TagMonth.row_count).label("n"),
            ).where(*conditions, TagMonth.tag_key.in_([ALL_ROWS, tag])),
            *(rows(edge) for edge in _edges(scope, months)),
        ]
    both = union_all(*parts).subquery()
    key = both.c.key.label("key")
    total = func.sum(both.c.amount).label("total")
    stmt = (
        select(key, total).group_by(key).having(func.sum(both.c.n) > 0).order_by(total.desc(), key)
    )
    return [(k, Decimal(a)) for k, a in (await session.execute(stmt)).all()]
