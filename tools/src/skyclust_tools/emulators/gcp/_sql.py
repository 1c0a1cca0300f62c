"""The one query shape the BigQuery emulator answers, over the billing export's rows:

    SELECT <column or aggregate> [AS alias], ...
    FROM `<project>.<dataset>.gcp_billing_export_v1_<ACCOUNT>`
    [WHERE <condition> AND ...]
    [GROUP BY <alias | ordinal | column>, ...]
    [ORDER BY <alias | ordinal | column> [ASC|DESC], ...]
    [LIMIT n]

Columns and conditions are listed in tools/EMULATORS.md (`COLUMNS`, `_condition`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._billing import DAY, Ledger, LineItem, day_of, midnight
from .._prices import CURRENCY


class QueryError(ValueError):
    pass


Getter = Callable[[LineItem], Any]
_LABELS_FIELD = {
    "name": "labels",
    "type": "RECORD",
    "mode": "REPEATED",
    "fields": [
        {"name": "key", "type": "STRING", "mode": "NULLABLE"},
        {"name": "value", "type": "STRING", "mode": "NULLABLE"},
    ],
}


def _labels_json(item: LineItem) -> str:
    import json

    return json.dumps([{"key": k, "value": v} for k, v in item.meter.tags], separators=(",", ":"))


# normalised expression -> (BigQuery type, getter)
COLUMNS: dict[str, tuple[str, Getter]] = {
    "date(usage_start_time)": ("DATE", lambda i: i.day),
    "usage_start_time": ("TIMESTAMP", lambda i: i.start),
    "usage_end_time": ("TIMESTAMP", lambda i: i.end),
    "billing_account_id": ("STRING", lambda i: ""),
    "service.id": ("STRING", lambda i: _service_id(i)),
    "service.description": ("STRING", lambda i: i.meter.service),
    "sku.id": ("STRING", lambda i: i.meter.sku_id),
    "sku.description": ("STRING", lambda i: i.meter.sku),
    "project.id": ("STRING", lambda i: i.meter.account),
    "project.number": ("STRING", lambda i: i.meter.extra_map.get("project_number", "")),
    "location.region": ("STRING", lambda i: i.meter.region),
    "location.location": ("STRING", lambda i: i.meter.region),
    "resource.name": ("STRING", lambda i: i.meter.resource_id),
    "invoice.month": ("STRING", lambda i: i.day.strftime("%Y%m")),
    "currency": ("STRING", lambda i: CURRENCY),
    "cost": ("FLOAT", lambda i: i.cost),
    "usage.amount": ("FLOAT", lambda i: i.usage),
    "usage.unit": ("STRING", lambda i: i.meter.unit),
    "cost_type": ("STRING", lambda i: "regular"),
    "to_json_string(labels)": ("STRING", _labels_json),
    "labels": ("LABELS", lambda i: [[k, v] for k, v in i.meter.tags]),
}
AGGREGATES = {"sum(cost)": "cost", "sum(usage.amount)": "usage.amount", "count(*)": ""}
_LABEL_VALUE = re.compile(
    r"^\(select(?:\w+\.)?value\s*from\s*unnest\(labels\)(?:(?:as)?\w+)?\s*where\s*(?:\w+\.)?"
    r"key='([^']+)'(?:limit1)?\)$"
)
# cost net of credits, as Google's sample export queries write it
_NET_COST = re.compile(
    r"^sum\(cost\)\+sum\(ifnull\(\(selectsum\((\w+)\.amount\)fromunnest\(credits\)"
    r"(?:as)?\1\),0\)\)$"
)
_LABEL_EXISTS = re.compile(
    r"^exists\(select1fromunnest\(labels\)(?:(?:as)?\w+)?where(?:\w+\.)?key='([^']+)'"
    r"and(?:\w+\.)?value='([^']*)'\)$"
)
_SHAPE = re.compile(
    r"^\s*select\s+(?P<select>.+?)\s+from\s+(?P<table>`[^`]+`|\S+)"
    r"(?:\s+where\s+(?P<where>.+?))?(?:\s+group\s+by\s+(?P<group>.+?))?"
    r"(?:\s+order\s+by\s+(?P<order>.+?))?(?:\s+limit\s+(?P<limit>\d+))?\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_TABLE = re.compile(
    r"^`?(?P<project>[a-z][a-z0-9-]*)\.(?P<dataset>\w+)\.(?P<table>gcp_billing_export_v1_"
    r"(?P<account>[0-9A-Z]{6}_[0-9A-Z]{6}_[0-9A-Z]{6}))`?$",
    re.IGNORECASE,
)


def _service_id(item: LineItem) -> str:
    from ._billing import COMPUTE_ID, GKE_ID, GKE_NAME

    return GKE_ID if item.meter.service == GKE_NAME else COMPUTE_ID


def _norm(text: str) -> str:
    """Lower case and without whitespace, except inside quotes."""
    out, quoted = [], ""
    for ch in text.strip():
        if quoted:
            out.append(ch)
            quoted = "" if ch == quoted else quoted
        elif ch in "'\"":
            quoted = ch
            out.append("'")
        elif not ch.isspace():
            out.append(ch.lower())
    return "".join(out).replace('"', "'")


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` (a comma or a keyword) outside parentheses and quotes."""
    parts: list[str] = []
    depth, quoted, start, i = 0, "", 0, 0
    pattern = re.compile(rf"\s+{sep}\s+", re.IGNORECASE) if sep.isalpha() else None
    while i < len(text):
        ch = text[i]
        if quoted:
            quoted = "" if ch == quoted else quoted
        elif ch in "'\"":
            quoted = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            end = _separator_end(text, i, sep, pattern)
            if end is not None:
                parts.append(text[start:i])
                start = i = end
                continue
        i += 1
    parts.append(text[start:])
    out: list[str] = []
    for part in (p.strip() for p in parts if p.strip()):
        # "x BETWEEN a AND b" is one condition, not two
        if (
            out
            and re.search(r"\bbetween\s+\S.*$", out[-1], re.I)
            and not re.search(r"\bbetween\b.+\band\b", out[-1], re.I)
        ):
            out[-1] = f"{out[-1]} and {part}"
        else:
            out.append(part)
    return out


def _separator_end(text: str, i: int, sep: str, pattern: re.Pattern[str] | None) -> int | None:
    if pattern is None:
        return i + 1 if text[i] == sep else None
    found = pattern.match(text, i)
    return found.end() if found else None


@dataclass
class Column:
    name: str
    expr: str  # normalised
    type: str
    getter: Getter | None  # None: an aggregate
    aggregate: str | None = None

    def field(self) -> dict[str, Any]:
        if self.type == "LABELS":
            return {**_LABELS_FIELD, "name": self.name}
        return {"name": self.name, "type": self.type, "mode": "NULLABLE"}


@dataclass
class Query:
    table_project: str
    dataset: str
    table: str
    account: str
    columns: list[Column]
    conditions: list[Callable[[LineItem], bool]] = field(default_factory=list)
    start: float = 0.0
    end: float = float("inf")
    group: list[int] | None = None
    order: list[tuple[int, bool]] = field(default_factory=list)
    limit: int | None = None

    def schema(self) -> list[dict[str, Any]]:
        return [c.field() for c in self.columns]


def _column(item: str, position: int) -> Column:
    found = re.match(r"^(?P<expr>.+?)(?:\s+as\s+(?P<alias>\w+))?$", item, re.I | re.S)
    assert found is not None
    raw, alias = found["expr"], found["alias"]
    expr = _norm(raw)
    default = expr.rsplit(".", 1)[-1] if re.fullmatch(r"[a-z_.]+", expr) else f"f{position}_"
    name = alias or default
    if _NET_COST.match(expr):
        return Column(name, expr, "FLOAT", None, "cost")  # the emulator grants no credits
    if expr in AGGREGATES:
        kind = "INTEGER" if expr == "count(*)" else "FLOAT"
        return Column(name, expr, kind, None, AGGREGATES[expr])
    if expr in COLUMNS:
        kind, getter = COLUMNS[expr]
        return Column(name, expr, kind, getter)
    label = _LABEL_VALUE.match(expr)
    if label:
        key = label.group(1)
        return Column(name, expr, "STRING", lambda i: i.meter.tag_map.get(key))
    raise QueryError(f"Unrecognized name or unsupported expression: {raw.strip()} at [1:8]")


def _parameters(params: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    out = {}
    for p in params:
        out[str(p.get("name", "")).lower()] = (
            str((p.get("parameterType") or {}).get("type", "STRING")),
            str((p.get("parameterValue") or {}).get("value", "")),
        )
    return out


def _instant(text: str, params: dict[str, tuple[str, str]], now: float) -> float:
    """A TIMESTAMP or DATE operand as seconds since the epoch."""
    expr = _norm(text)
    if expr.startswith("@"):
        if expr[1:] not in params:
            raise QueryError(f"Query parameter '{expr[1:]}' not found at [1:1]")
        return _literal(params[expr[1:]][1])
    found = re.fullmatch(r"(?:timestamp|date|datetime)?\(?'([^']+)'\)?", expr)
    if found:
        return _literal(found.group(1))
    if expr in ("current_timestamp()", "current_date()"):
        return now if expr.startswith("current_t") else midnight(day_of(now))
    found = re.fullmatch(
        r"(timestamp|date)_sub\((current_timestamp|current_date)\(\),interval(\d+)day\)", expr
    )
    if found:
        base = now if found.group(2) == "current_timestamp" else midnight(day_of(now))
        return base - int(found.group(3)) * DAY
    raise QueryError(f"Unsupported time operand: {text.strip()}")


def _literal(text: str) -> float:
    try:
        if len(text) == 10:
            return midnight(dt.date.fromisoformat(text))
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" UTC", "+00:00"))
    except ValueError as exc:
        raise QueryError(f"Invalid timestamp: '{text}'") from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


_TIME_COLUMNS = (
    "usage_start_time",
    "date(usage_start_time)",
    "_partitiontime",
    "_partitiondate",
    "date(_partitiontime)",
)


def _condition(term: str, query: Query, params: dict[str, tuple[str, str]], now: float) -> None:
    between = re.match(r"^(?P<col>.+?)\s+between\s+(?P<lo>.+?)\s+and\s+(?P<hi>.+)$", term, re.I)
    if between and _norm(between["col"]) in _TIME_COLUMNS:
        inclusive_day = _norm(between["col"]).startswith("date") or "_partitiondate" in _norm(
            between["col"]
        )
        query.start = max(query.start, _instant(between["lo"], params, now))
        hi = _instant(between["hi"], params, now)
        query.end = min(query.end, hi + DAY if inclusive_day else hi + 1e-6)
        return
    found = re.match(
        r"^(?P<col>.+?)\s*(?P<op>>=|<=|>|<|=|\s+in\s+)\s*(?P<val>.+)$", term, re.I | re.S
    )
    expr = _norm(term)
    exists = _LABEL_EXISTS.match(expr)
    if exists:
        key, value = exists.groups()
        query.conditions.append(lambda i: i.meter.tag_map.get(key) == value)
        return
    if found is None:
        raise QueryError(f"Unsupported WHERE condition: {term.strip()}")
    col, op, val = _norm(found["col"]), found["op"].strip().lower(), found["val"]
    if col in _TIME_COLUMNS:
        at = _instant(val, params, now)
        is_day = col.startswith("date") or col == "_partitiondate"
        if op in (">=", ">"):
            query.start = max(query.start, at + (DAY if is_day and op == ">" else 0))
        elif op in ("<", "<="):
            query.end = min(query.end, at + (DAY if is_day and op == "<=" else 0))
        else:
            raise QueryError(f"Unsupported comparison on {found['col'].strip()}: {op}")
        return
    if col not in COLUMNS or COLUMNS[col][0] != "STRING":
        raise QueryError(f"Unsupported WHERE condition: {term.strip()}")
    getter = COLUMNS[col][1]
    values = [v[1:-1] for v in re.findall(r"'[^']*'", _norm(val))]
    if val.strip().startswith("@"):
        name = _norm(val)[1:]
        if name not in params:
            raise QueryError(f"Query parameter '{name}' not found at [1:1]")
        values = [params[name][1]]
    if not values or (op == "=" and len(values) != 1):
        raise QueryError(f"Unsupported WHERE condition: {term.strip()}")
    query.conditions.append(lambda i: getter(i) in values)


def _reference(text: str, columns: list[Column], clause: str) -> int:
    expr = _norm(text)
    if expr.isdigit() and 1 <= int(expr) <= len(columns):
        return int(expr) - 1
    for index, column in enumerate(columns):
        if expr in (column.name.lower(), column.expr):
            return index
    raise QueryError(f"{clause} expression {text.strip()} is not in the SELECT list")


def _masked(text: str) -> str:
    """``text`` with what is inside parentheses, quotes and backticks blanked, so clause
    keywords are only found at the top level."""
    out, depth, quoted = [], 0, ""
    for ch in text:
        if quoted:
            quoted = "" if ch == quoted else quoted
            out.append(ch if not quoted else " ")
        elif ch in "'\"`":
            quoted = ch
            out.append(ch)
        elif ch == "(":
            depth += 1
            out.append(ch if depth == 1 else " ")
        elif ch == ")":
            depth -= 1
            out.append(ch if depth == 0 else " ")
        else:
            out.append(ch if depth == 0 else " ")
    return "".join(out)


def _clauses(sql: str) -> dict[str, str] | None:
    found = _SHAPE.match(_masked(sql))
    if found is None:
        return None
    return {
        name: sql[found.start(name) : found.end(name)] if found.start(name) >= 0 else ""
        for name in ("select", "table", "where", "group", "order", "limit")
    }


def parse(sql: str, parameters: list[dict[str, Any]], now: float | None = None) -> Query:
    shape = _clauses(sql)
    if shape is None:
        raise QueryError(
            "Syntax error: the emulator supports SELECT ... FROM <billing export table> "
            "[WHERE ...] [GROUP BY ...] [ORDER BY ...] [LIMIT n] only"
        )
    table = _TABLE.match(shape["table"])
    if table is None:
        raise QueryError(f"Table {shape['table']} is not a standard billing export table")
    columns = [_column(item, n) for n, item in enumerate(_split(shape["select"], ","))]
    query = Query(table["project"], table["dataset"], table["table"], table["account"], columns)
    params = _parameters(parameters)
    for term in _split(shape["where"] or "", "and") if shape["where"] else []:
        _condition(term, query, params, now if now is not None else 0.0)
    if shape["group"]:
        query.group = [_reference(g, columns, "GROUP BY") for g in _split(shape["group"], ",")]
    plain = [i for i, c in enumerate(columns) if c.aggregate is None]
    if query.group is not None or len(plain) < len(columns):
        grouped = set(query.group or [])
        for index in plain:
            if columns[index].type == "LABELS":
                raise QueryError("Grouping by expressions of type ARRAY is not allowed")
            if index not in grouped:
                raise QueryError(
                    f"SELECT list expression references column {columns[index].name} which is "
                    "neither grouped nor aggregated at [1:8]"
                )
    for term in _split(shape["order"], ",") if shape["order"] else []:
        found = re.match(r"^(.+?)(?:\s+(asc|desc))?$", term, re.I)
        assert found is not None
        desc = (found.group(2) or "").lower() == "desc"
        query.order.append((_reference(found.group(1), columns, "ORDER BY"), desc))
    query.limit = int(shape["limit"]) if shape["limit"] else None
    return query


def run(query: Query, ledger: Ledger, now: float) -> list[list[Any]]:
    end = min(query.end, now + DAY)
    items = [
        i
        for i in ledger.items(query.start, end)
        if query.start <= i.start < query.end and all(c(i) for c in query.conditions)
    ]
    columns = query.columns
    if query.group is None and all(c.aggregate is None for c in columns):
        rows = [[c.getter(i) if c.getter else None for c in columns] for i in items]
    else:
        buckets: dict[tuple[Any, ...], list[LineItem]] = {}
        for item in items:
            key = tuple(c.getter(item) if c.getter else None for c in columns)
            buckets.setdefault(key, []).append(item)
        if not buckets and query.group is None:
            buckets[tuple(None for _ in columns)] = []
        rows = []
        for key, members in buckets.items():
            row = list(key)
            for index, column in enumerate(columns):
                if column.aggregate == "":
                    row[index] = len(members)
                elif column.aggregate is not None:
                    getter = COLUMNS[column.aggregate][1]
                    row[index] = sum(getter(i) for i in members)
            rows.append(row)
    for index, desc in reversed(query.order):
        rows.sort(key=lambda r: (r[index] is None, r[index]), reverse=desc)
    return rows[: query.limit] if query.limit is not None else rows
