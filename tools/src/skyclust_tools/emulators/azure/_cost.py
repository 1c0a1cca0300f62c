"""What the local Azure bills (AKS control planes on the Standard tier, agent pools' VMs) and
Cost Management's ``POST {scope}/providers/Microsoft.CostManagement/query`` and
``.../forecast``.

Agent pool VMs bill in the cluster's node resource group (``MC_...``) as AKS puts them,
tagged with the cluster's tags and the pool's, which AKS propagates to its scale sets.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zlib
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from .._billing import Ledger, LineItem, Meter, day_of, midnight, pairs
from .._prices import AKS_STANDARD_HOURLY, AZURE_VMS, CURRENCY, azure_meter_name
from ._arm import API_VERSION_RE, authenticate, authorize_subscription
from ._common import ArmError, json_response

if TYPE_CHECKING:
    from ._app import AzureEmulator

AKS_SERVICE = "Azure Kubernetes Service"
VM_SERVICE = "Virtual Machines"
PAGE_SIZE = 1000
COST_COLUMNS = {"PreTaxCost", "Cost", "CostUSD", "PreTaxCostUSD"}
DIMENSIONS: dict[str, Callable[[LineItem], str]] = {
    "servicename": lambda i: i.meter.service,
    "metercategory": lambda i: i.meter.service,
    "meter": lambda i: i.meter.sku,
    "resourcelocation": lambda i: i.meter.region,
    "resourcegroup": lambda i: i.meter.extra_map["resource_group"],
    "resourcegroupname": lambda i: i.meter.extra_map["resource_group"],
    "resourceid": lambda i: i.meter.resource_id,
    "resourcetype": lambda i: i.meter.extra_map.get("resource_type", ""),
    "subscriptionid": lambda i: i.meter.account,
    "chargetype": lambda i: "Usage",
}
_DIMENSION_NAMES = {
    "servicename": "ServiceName",
    "metercategory": "MeterCategory",
    "meter": "Meter",
    "resourcelocation": "ResourceLocation",
    "resourcegroup": "ResourceGroup",
    "resourcegroupname": "ResourceGroupName",
    "resourceid": "ResourceId",
    "resourcetype": "ResourceType",
    "subscriptionid": "SubscriptionId",
    "chargetype": "ChargeType",
}


def meters(emu: AzureEmulator) -> list[Meter]:
    from ._aks import MANAGED_CLUSTER, POOL

    out: list[Meter] = []
    for sub in emu.subscriptions.values():
        for key, resource in sub.resources.items():
            state = (resource.get("properties") or {}).get("provisioningState")
            if state == "Failed":
                continue
            if resource["_kind"] == MANAGED_CLUSTER.key:
                tier = (resource.get("sku") or {}).get("tier")
                if tier in ("Standard", "Premium"):
                    out.append(
                        Meter(
                            key=f"{key}#control-plane",
                            account=sub.subscription_id,
                            service=AKS_SERVICE,
                            region=resource["location"],
                            sku="Standard Uptime SLA",
                            sku_id="aks-standard-uptime-sla",
                            unit_price=AKS_STANDARD_HOURLY,
                            unit="1 Hour",
                            resource_id=resource["id"],
                            tags=pairs(resource.get("tags")),
                            extra=pairs(
                                {
                                    "resource_group": resource["_group"],
                                    "resource_type": "microsoft.containerservice/managedclusters",
                                }
                            ),
                        )
                    )
            elif resource["_kind"] == POOL.key:
                cluster = sub.resources.get(key.rsplit("/agentpools/", 1)[0])
                props = resource["properties"]
                vm = AZURE_VMS.get(str(props.get("vmSize")))
                if cluster is None or vm is None:
                    continue
                node_group = str(cluster["properties"].get("nodeResourceGroup") or "")
                scale_set = f"aks-{resource['name']}-{zlib.crc32(key.encode()) % 10**8:08d}-vmss"
                out.append(
                    Meter(
                        key=f"{key}#vms",
                        account=sub.subscription_id,
                        service=VM_SERVICE,
                        region=cluster["location"],
                        sku=azure_meter_name(vm.name),
                        sku_id=vm.name,
                        unit_price=vm.hourly,
                        quantity=float(props.get("count") or 0),
                        unit="1 Hour",
                        resource_id=f"/subscriptions/{sub.subscription_id}/resourceGroups/"
                        f"{node_group}/providers/Microsoft.Compute/virtualMachineScaleSets/"
                        f"{scale_set}",
                        tags=pairs({**(cluster.get("tags") or {}), **(props.get("tags") or {})}),
                        extra=pairs(
                            {
                                "resource_group": node_group.lower(),
                                "resource_type": "microsoft.compute/virtualmachinescalesets",
                            }
                        ),
                    )
                )
    return out


def _bad(message: str) -> ArmError:
    return ArmError(400, "BadRequest", f"Invalid query definition: {message}")


def _instant(value: Any) -> float:
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise _bad(f"'{value}' is not a date-time") from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def _period(body: dict[str, Any], today: dt.date) -> tuple[float, float]:
    timeframe = str(body.get("timeframe") or "")
    if timeframe == "Custom":
        period = body.get("timePeriod") or {}
        if "from" not in period or "to" not in period:
            raise _bad("timePeriod with from and to is required for the Custom timeframe")
        start, end = _instant(period["from"]), _instant(period["to"])
        # "to" names the last day included
        end = midnight(day_of(end)) + 86400 if end == midnight(day_of(end)) else end
    elif timeframe in ("MonthToDate", "BillingMonthToDate"):
        start, end = midnight(today.replace(day=1)), midnight(today) + 86400
    elif timeframe in ("TheLastMonth", "TheLastBillingMonth"):
        first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        start, end = midnight(first), midnight(today.replace(day=1))
    elif timeframe == "WeekToDate":
        start, end = midnight(today - dt.timedelta(days=today.weekday())), midnight(today) + 86400
    else:
        raise _bad(f"timeframe '{timeframe}' is not supported")
    if end <= start:
        raise _bad("timePeriod 'from' must be before 'to'")
    if end - start > 366 * 86400:
        raise _bad("the time period cannot be longer than 1 year")
    return start, end


def _matches(item: LineItem, expression: dict[str, Any]) -> bool:
    if "and" in expression:
        return all(_matches(item, e) for e in expression["and"])
    if "or" in expression:
        return any(_matches(item, e) for e in expression["or"])
    if "not" in expression:
        return not _matches(item, expression["not"])
    if "tags" in expression:
        spec = expression["tags"]
        return item.meter.tag_map.get(str(spec.get("name"))) in (spec.get("values") or [])
    if "dimensions" in expression:
        spec = expression["dimensions"]
        getter = DIMENSIONS.get(str(spec.get("name", "")).lower())
        if getter is None:
            raise _bad(f"dimension '{spec.get('name')}' is not supported")
        wanted = {str(v).lower() for v in spec.get("values") or []}
        return getter(item).lower() in wanted
    raise _bad("a filter needs and, or, not, tags or dimensions")


def _scope(emu: AzureEmulator, request: Request, segs: list[str], action: str) -> Any:
    """The subscription (and resource group, lower case, or None) a Cost Management call
    names, once its api-version, token and the caller's access are checked."""
    api_version = request.query_params.get("api-version")
    if not api_version or not API_VERSION_RE.match(api_version):
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required.",
        )
    principal = authenticate(emu, request)
    low = [s.lower() for s in segs]
    if (
        len(segs) not in (5, 7)
        or low[0] != "subscriptions"
        or (len(segs) == 7 and low[2] != "resourcegroups")
    ):
        raise ArmError(400, "BadRequest", f"Scope '/{'/'.join(segs[:-3])}' is not supported.")
    sub = authorize_subscription(emu, request, principal, segs[1], action)
    return sub, (low[3] if len(segs) == 7 else None)


def _result(
    segs: list[str], columns: list[dict[str, str]], rows: list[Any], next_link: Any
) -> dict[str, Any]:
    name = str(uuid.uuid4())
    scope = "/" + "/".join(segs[:-3])
    return {
        "id": f"{scope}/providers/Microsoft.CostManagement/query/{name}",
        "name": name,
        "type": "Microsoft.CostManagement/query",
        "location": None,
        "sku": None,
        "eTag": None,
        "properties": {"nextLink": next_link, "columns": columns, "rows": rows},
    }


async def forecast(emu: AzureEmulator, request: Request, segs: list[str]) -> Response:
    """``Forecast - Usage``: daily rows ``[cost, UsageDate, CostStatus, Currency]``, the
    days before today as ``Actual`` (with includeActualCost) and from today on as
    ``Forecast``: what runs now plus the seeded history's weekday mean, as for AWS."""
    sub, group = _scope(emu, request, segs, "Microsoft.CostManagement/forecast/action")
    body = await request.json()
    if body.get("type") not in ("ActualCost", "Usage", "AmortizedCost"):
        raise _bad(f"type '{body.get('type')}' is not supported")
    if body.get("timeframe") != "Custom":
        raise _bad("forecast supports the Custom timeframe only")
    ledger: Ledger = emu.ledger
    ledger.observe(emu.meters())
    today = day_of(ledger.clock.present())
    start, end = _period(body, today)
    dataset = body.get("dataset") or {}
    if (dataset.get("granularity") or "Daily") != "Daily":
        raise _bad("forecast supports the Daily granularity only")
    aggregation = dataset.get("aggregation") or {}
    if len(aggregation) != 1 or any(
        spec.get("function") != "Sum" or spec.get("name") not in COST_COLUMNS
        for spec in aggregation.values()
    ):
        raise _bad(f"aggregation {aggregation} is not supported: one Sum of a cost column")
    (spec,) = aggregation.values()
    expression = dataset.get("filter")

    def keep(meter: Meter) -> bool:
        item = LineItem(today, meter, 0, 0, 0, 0)
        return (
            meter.account == sub.subscription_id
            and (group is None or meter.extra_map.get("resource_group") == group)
            and (expression is None or _matches(item, expression))
        )

    actual: dict[dt.date, float] = defaultdict(float)
    if body.get("includeActualCost"):
        for item in ledger.items(start, min(end, midnight(today)), sub.subscription_id):
            if keep(item.meter):
                actual[item.day] += item.cost
    rows: list[list[Any]] = []
    day = day_of(start)
    while midnight(day) < end:
        stamp = int(day.strftime("%Y%m%d"))
        if day >= today:
            rows.append([round(ledger.forecast_day(day, keep), 10), stamp, "Forecast", CURRENCY])
        elif body.get("includeActualCost"):
            rows.append([round(actual[day], 10), stamp, "Actual", CURRENCY])
        day += dt.timedelta(days=1)
    columns = [
        {"name": spec["name"], "type": "Number"},
        {"name": "UsageDate", "type": "Number"},
        {"name": "CostStatus", "type": "String"},
        {"name": "Currency", "type": "String"},
    ]
    return json_response(_result(segs, columns, rows, None))


async def query(emu: AzureEmulator, request: Request, segs: list[str]) -> Response:
    sub, group = _scope(emu, request, segs, "Microsoft.CostManagement/query/action")
    body = await request.json()
    if body.get("type") not in ("ActualCost", "Usage", "AmortizedCost"):
        raise _bad(f"type '{body.get('type')}' is not supported")
    ledger: Ledger = emu.ledger
    ledger.observe(emu.meters())
    today = day_of(ledger.clock.present())
    start, end = _period(body, today)
    dataset = body.get("dataset") or {}
    granularity = dataset.get("granularity") or "None"
    if granularity not in ("Daily", "Monthly", "None"):
        raise _bad(f"granularity '{granularity}' is not supported")
    aggregation = dataset.get("aggregation") or {}
    for spec in aggregation.values():
        if spec.get("function") != "Sum" or spec.get("name") not in COST_COLUMNS | {
            "UsageQuantity"
        }:
            raise _bad(f"aggregation {spec} is not supported")
    groupings = list(dataset.get("grouping") or [])
    if len(groupings) > 2:
        raise _bad("at most 2 groupings are allowed")
    for grouping in groupings:
        if grouping.get("type") not in ("Dimension", "TagKey") or (
            grouping["type"] == "Dimension" and str(grouping.get("name")).lower() not in DIMENSIONS
        ):
            raise _bad(f"grouping {grouping} is not supported")
    expression = dataset.get("filter")
    items = [
        i
        for i in ledger.items(start, end, sub.subscription_id)
        if (group is None or i.meter.extra_map.get("resource_group") == group)
        and (expression is None or _matches(i, expression))
    ]
    columns: list[dict[str, str]] = [
        {"name": spec["name"], "type": "Number"} for spec in aggregation.values()
    ]
    if granularity == "Daily":
        columns.append({"name": "UsageDate", "type": "Number"})
    elif granularity == "Monthly":
        columns.append({"name": "BillingMonth", "type": "Datetime"})
    for grouping in groupings:
        if grouping["type"] == "TagKey":
            columns += [
                {"name": "TagKey", "type": "String"},
                {"name": "TagValue", "type": "String"},
            ]
        else:
            name = _DIMENSION_NAMES[str(grouping["name"]).lower()]
            columns.append({"name": name, "type": "String"})
    columns.append({"name": "Currency", "type": "String"})

    def key(item: LineItem) -> tuple[Any, ...]:
        parts: list[Any] = []
        if granularity == "Daily":
            parts.append(int(item.day.strftime("%Y%m%d")))
        elif granularity == "Monthly":
            parts.append(item.day.replace(day=1).strftime("%Y-%m-%dT00:00:00"))
        for grouping in groupings:
            if grouping["type"] == "TagKey":
                value = item.meter.tag_map.get(grouping["name"])
                parts += [grouping["name"] if value is not None else "", value or ""]
            else:
                parts.append(DIMENSIONS[str(grouping["name"]).lower()](item))
        return tuple(parts)

    buckets: dict[tuple[Any, ...], list[LineItem]] = defaultdict(list)
    for item in items:
        buckets[key(item)].append(item)
    rows = [
        [
            *(
                round(
                    sum(i.usage if spec["name"] == "UsageQuantity" else i.cost for i in found), 10
                )
                for spec in aggregation.values()
            ),
            *parts,
            CURRENCY,
        ]
        for parts, found in sorted(buckets.items())
    ]
    skip = int(request.query_params.get("$skiptoken") or 0)
    page = rows[skip : skip + PAGE_SIZE]
    next_link = None
    if skip + PAGE_SIZE < len(rows):
        next_link = (
            f"{str(request.base_url).rstrip('/')}{request.url.path}"
            f"?api-version={request.query_params['api-version']}&$skiptoken={skip + PAGE_SIZE}"
        )
    return json_response(
        _result(segs, columns, page, next_link),
        headers={
            "x-ms-ratelimit-microsoft.costmanagement-qpu-remaining": "QueryResource=399",
            "x-ms-ratelimit-microsoft.costmanagement-entity-retry-after": "0",
        },
    )
