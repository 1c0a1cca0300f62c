"""Cost Explorer ``GetCostAndUsage`` and ``GetCostForecast`` over the emulator's ledger."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from .._billing import Ledger, LineItem, Meter, day_of, midnight
from .._core import JSON
from .._prices import CURRENCY

PAGE_SIZE = 30  # ResultsByTime entries per page
COST_METRICS = {
    "UnblendedCost",
    "BlendedCost",
    "AmortizedCost",
    "NetUnblendedCost",
    "NetAmortizedCost",
}
USAGE_METRICS = {"UsageQuantity", "NormalizedUsageAmount"}
FORECAST_METRICS = {
    "UNBLENDED_COST",
    "BLENDED_COST",
    "AMORTIZED_COST",
    "NET_UNBLENDED_COST",
    "NET_AMORTIZED_COST",
}
DIMENSIONS: dict[str, Callable[[LineItem], str]] = {
    "SERVICE": lambda i: i.meter.service,
    "REGION": lambda i: i.meter.region,
    "LINKED_ACCOUNT": lambda i: i.meter.account,
    "INSTANCE_TYPE": lambda i: i.meter.sku if "BoxUsage" in i.meter.sku_id else "",
    "USAGE_TYPE": lambda i: i.meter.sku_id,
    "RECORD_TYPE": lambda i: "Usage",
}


class BillingError(Exception):
    """An error the service answers itself (JSON protocol: ``__type`` and ``message``)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _invalid(message: str) -> BillingError:
    return BillingError(400, "ValidationException", message)


def _date(value: Any, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise _invalid(f"{name} '{value}' is not a date of the form yyyy-MM-dd") from exc


def _period(body: JSON) -> tuple[dt.date, dt.date]:
    period = body.get("TimePeriod") or {}
    start = _date(period.get("Start"), "Start")
    end = _date(period.get("End"), "End")
    if start >= end:
        raise _invalid("Start date (inclusive) must be before end date (exclusive)")
    return start, end


def _periods(start: dt.date, end: dt.date, granularity: str) -> list[tuple[dt.date, dt.date]]:
    out: list[tuple[dt.date, dt.date]] = []
    day = start
    while day < end:
        if granularity == "MONTHLY":
            nxt = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        else:
            nxt = day + dt.timedelta(days=1)
        out.append((day, min(nxt, end)))
        day = min(nxt, end)
    return out


def _matches(item: LineItem, expression: JSON) -> bool:
    if "And" in expression:
        return all(_matches(item, e) for e in expression["And"])
    if "Or" in expression:
        return any(_matches(item, e) for e in expression["Or"])
    if "Not" in expression:
        return not _matches(item, expression["Not"])
    if "Dimensions" in expression:
        spec = expression["Dimensions"]
        getter = DIMENSIONS.get(str(spec.get("Key")))
        if getter is None:
            raise _invalid(f"Unsupported dimension: {spec.get('Key')}")
        return getter(item) in (spec.get("Values") or [])
    if "Tags" in expression:
        spec = expression["Tags"]
        tags = item.meter.tag_map
        if "ABSENT" in (spec.get("MatchOptions") or []):
            return spec.get("Key") not in tags
        return tags.get(str(spec.get("Key"))) in (spec.get("Values") or [])
    raise _invalid("Expression must have And, Or, Not, Dimensions or Tags")


def _amount(value: float, unit: str) -> JSON:
    return {"Amount": format(value, ".10f"), "Unit": unit}


def _metrics(items: list[LineItem], metrics: list[str]) -> JSON:
    cost = sum(i.cost for i in items)
    usage = sum(i.usage for i in items)
    units = {i.meter.unit for i in items}
    return {
        m: _amount(cost, CURRENCY)
        if m in COST_METRICS
        else _amount(usage, units.pop() if len(units) == 1 else "N/A")
        for m in metrics
    }


def _group_key(item: LineItem, group: JSON) -> str:
    if group["Type"] == "TAG":
        return f"{group['Key']}${item.meter.tag_map.get(group['Key'], '')}"
    return DIMENSIONS[group["Key"]](item)


def _items(ledger: Ledger, start: dt.date, end: dt.date, expression: JSON | None) -> list[LineItem]:
    items = ledger.items(midnight(start), midnight(end))
    return [i for i in items if expression is None or _matches(i, expression)]


def get_cost_and_usage(ledger: Ledger, body: JSON) -> JSON:
    start, end = _period(body)
    granularity = str(body.get("Granularity") or "")
    if granularity not in ("DAILY", "MONTHLY"):
        raise _invalid(f"Granularity '{granularity}' is not supported; use DAILY or MONTHLY")
    metrics = list(body.get("Metrics") or [])
    unknown = [m for m in metrics if m not in COST_METRICS | USAGE_METRICS]
    if not metrics or unknown:
        raise _invalid(f"Metrics must be a non-empty list of known metrics, not {unknown}")
    groups = list(body.get("GroupBy") or [])
    if len(groups) > 2:
        raise _invalid("You can group by at most two dimensions or tags")
    for group in groups:
        if group.get("Type") not in ("DIMENSION", "TAG") or (
            group.get("Type") == "DIMENSION" and group.get("Key") not in DIMENSIONS
        ):
            raise _invalid(f"Unsupported group definition: {group}")
    periods = _periods(start, end, granularity)
    offset = _offset(body.get("NextPageToken"))
    items = _items(ledger, start, end, body.get("Filter"))
    today = day_of(ledger.clock.present())
    results: list[JSON] = []
    for lo, hi in periods[offset : offset + PAGE_SIZE]:
        inside = [i for i in items if lo <= i.day < hi]
        result: JSON = {
            "TimePeriod": {"Start": lo.isoformat(), "End": hi.isoformat()},
            "Total": {} if groups else _metrics(inside, metrics),
            "Groups": [],
            "Estimated": hi > today,
        }
        if groups:
            by_key: dict[tuple[str, ...], list[LineItem]] = defaultdict(list)
            for item in inside:
                by_key[tuple(_group_key(item, g) for g in groups)].append(item)
            result["Groups"] = [
                {"Keys": list(keys), "Metrics": _metrics(by_key[keys], metrics)}
                for keys in sorted(by_key)
            ]
        results.append(result)
    out: JSON = {
        "GroupDefinitions": [{"Type": g["Type"], "Key": g["Key"]} for g in groups],
        "ResultsByTime": results,
        "DimensionValueAttributes": [],
    }
    if offset + PAGE_SIZE < len(periods):
        out["NextPageToken"] = base64.b64encode(
            json.dumps({"offset": offset + PAGE_SIZE}).encode()
        ).decode()
    return out


def _offset(token: Any) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.b64decode(str(token)))["offset"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BillingError(
            400, "InvalidNextTokenException", "The NextPageToken is invalid"
        ) from exc


def get_cost_forecast(ledger: Ledger, body: JSON) -> JSON:
    """Mean per day: what runs now plus the seeded history's weekday mean; the interval
    widens with the requested level."""
    start, end = _period(body)
    today = day_of(ledger.clock.present())
    if start < today:
        raise _invalid("Start date must be equal to or later than the current date")
    metric = str(body.get("Metric") or "")
    if metric not in FORECAST_METRICS:
        raise _invalid(f"Metric '{metric}' is not supported for cost forecasts")
    granularity = str(body.get("Granularity") or "")
    if granularity not in ("DAILY", "MONTHLY"):
        raise _invalid(f"Granularity '{granularity}' is not supported; use DAILY or MONTHLY")
    level = int(body.get("PredictionIntervalLevel") or 80)
    if not 51 <= level <= 99:
        raise _invalid("PredictionIntervalLevel must be between 51 and 99")
    expression = body.get("Filter")

    def keep(meter: Meter) -> bool:
        return expression is None or _matches(LineItem(today, meter, 0, 0, 0, 0), expression)

    spread = 0.05 + 0.15 * (level - 51) / 48
    results: list[JSON] = []
    total = 0.0
    for lo, hi in _periods(start, end, granularity):
        mean = sum(
            ledger.forecast_day(lo + dt.timedelta(days=d), keep) for d in range((hi - lo).days)
        )
        total += mean
        results.append(
            {
                "TimePeriod": {"Start": lo.isoformat(), "End": hi.isoformat()},
                "MeanValue": format(mean, ".10f"),
                "PredictionIntervalLowerBound": format(mean * (1 - spread), ".10f"),
                "PredictionIntervalUpperBound": format(mean * (1 + spread), ".10f"),
            }
        )
    return {"Total": _amount(total, CURRENCY), "ForecastResultsByTime": results}


def get_tags(ledger: Ledger, body: JSON) -> JSON:
    """Tag keys with cost in the period, or with ``TagKey`` that key's values."""
    start, end = _period(body)
    items = _items(ledger, start, end, body.get("Filter"))
    key = body.get("TagKey")
    found = {(i.meter.tag_map.get(key, "") if key else k) for i in items for k in i.meter.tag_map}
    return _listing("Tags", sorted(v for v in found if v or key), body.get("SearchString"))


def get_dimension_values(ledger: Ledger, body: JSON) -> JSON:
    start, end = _period(body)
    getter = DIMENSIONS.get(str(body.get("Dimension")))
    if getter is None:
        raise _invalid(f"Dimension '{body.get('Dimension')}' is not supported")
    items = _items(ledger, start, end, body.get("Filter"))
    values = sorted({getter(i) for i in items} - {""})
    listing = _listing("DimensionValues", values, body.get("SearchString"))
    listing["DimensionValues"] = [
        {"Value": v, "Attributes": {}} for v in listing["DimensionValues"]
    ]
    return listing


def _listing(name: str, values: list[str], search: Any) -> JSON:
    if search:
        values = [v for v in values if str(search).lower() in v.lower()]
    return {name: values, "ReturnSize": len(values), "TotalSize": len(values)}
