"""`skyclust costs ...`: the workspace's cost (summary, breakdown, forecast) and what a
cluster would cost, as the cost service answers them. Each answer's warnings (a cloud
whose billing API could not be read, default prices) go to stderr."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from ..output import Columns
from ..state import OutputOption, State, state
from .credentials import FileOption, read_body

app = typer.Typer(help="Cost: summary, breakdown, forecast and estimates.", no_args_is_help=True)


class Period(StrEnum):
    d7 = "7d"
    m1 = "1m"
    m3 = "3m"
    m6 = "6m"
    y1 = "1y"


class Method(StrEnum):
    seasonal_steps = "seasonal_steps"
    linear = "linear"


PeriodOption = Annotated[
    Period | None, typer.Option("--period", help="the last 7d, 1m (default), 3m, 6m or 1y")
]
ProviderOption = Annotated[
    str | None, typer.Option("--provider", "-p", help="only this cloud: aws, gcp or azure")
]
TypesOption = Annotated[
    str | None,
    typer.Option("--resource-types", help="all (default), vm, cluster or vm,cluster"),
]

DAILY: Columns = [("DATE", "date"), ("AMOUNT", "amount")]
ITEMS: Columns = [
    ("KEY", lambda i: i.get("key") or "(none)"),
    ("AMOUNT", "amount"),
    ("SHARE", lambda i: f"{100 * float(i.get('share') or 0):.1f}%"),
]
FORECAST: Columns = [
    ("DATE", "date"),
    ("MEAN", "mean"),
    ("80%", lambda p: f"{p['lower_80']} - {p['upper_80']}"),
    ("95%", lambda p: f"{p['lower_95']} - {p['upper_95']}"),
]
LINES: Columns = [
    ("KIND", "kind"),
    ("NAME", "name"),
    ("QTY", "quantity"),
    ("HOURLY", "hourly_unit"),
    ("MONTHLY", "monthly"),
    ("RANGE", lambda i: f"{i['monthly_min']} - {i['monthly_max']}"),
    ("PRICES", "price_source"),
]


def _query(**values: Any) -> dict[str, Any]:
    return {k: (v.value if isinstance(v, StrEnum) else v) for k, v in values.items() if v}


def _warn(st: State, answer: dict[str, Any]) -> None:
    for w in answer.get("warnings") or []:
        where = "/".join(x for x in (w.get("provider"), w.get("resource_type")) if x)
        st.output.note(
            f"warning: {w.get('code')}{f' ({where})' if where else ''}: {w.get('message')}"
        )


@app.command("summary")
def summary(
    ctx: typer.Context,
    period: PeriodOption = None,
    provider: ProviderOption = None,
    resource_types: TypesOption = None,
    output: OutputOption = None,
) -> None:
    """The total, per cloud and per day."""
    st = state(ctx, output)
    query = _query(period=period, provider=provider, resource_types=resource_types)
    answer: dict[str, Any] = st.api().get("/cost-analysis/summary", **query)
    if st.output.data(answer):
        return
    per_cloud = ", ".join(f"{k} {v}" for k, v in (answer.get("by_provider") or {}).items())
    st.output.note(
        f"{answer['start']} to {answer['end']}: {answer['total']} {answer['currency']}"
        + (f" ({per_cloud})" if per_cloud else "")
    )
    _warn(st, answer)
    st.output.table(answer.get("daily") or [], DAILY)


@app.command("breakdown")
def breakdown(
    ctx: typer.Context,
    by: Annotated[
        str,
        typer.Option(
            "--by", help="service (default), provider, region, cluster, node_group or tag:<key>"
        ),
    ] = "service",
    period: PeriodOption = None,
    provider: ProviderOption = None,
    resource_types: TypesOption = None,
    output: OutputOption = None,
) -> None:
    """The period's cost by one dimension, largest first."""
    st = state(ctx, output)
    query = _query(by=by, period=period, provider=provider, resource_types=resource_types)
    answer: dict[str, Any] = st.api().get("/cost-analysis/breakdown", **query)
    if st.output.data(answer):
        return
    st.output.note(f"{answer['total']} {answer['currency']} by {answer['by']}")
    _warn(st, answer)
    st.output.table(answer.get("items") or [], ITEMS)


@app.command("forecast")
def forecast(
    ctx: typer.Context,
    horizon: Annotated[
        Period | None, typer.Option("--horizon", help="7d, 1m (default), 3m, 6m or 1y ahead")
    ] = None,
    method: Annotated[
        Method | None, typer.Option("--method", help="seasonal_steps (default) or linear")
    ] = None,
    provider: ProviderOption = None,
    resource_types: TypesOption = None,
    output: OutputOption = None,
) -> None:
    """The next days' cost with 80% and 95% intervals."""
    st = state(ctx, output)
    query = _query(horizon=horizon, method=method, provider=provider, resource_types=resource_types)
    answer: dict[str, Any] = st.api().get("/cost-analysis/forecast", **query)
    if st.output.data(answer):
        return
    low, high = answer["intervals"]["95"]
    st.output.note(
        f"{answer['start']} to {answer['end']}: {answer['total']} {answer['currency']}"
        f" (95%: {low} - {high}; {answer['method']}, {len(answer.get('steps') or [])} step(s))"
    )
    _warn(st, answer)
    st.output.table(answer.get("daily") or [], FORECAST)


@app.command("estimate")
def estimate(
    ctx: typer.Context,
    from_file: FileOption,
    provider: ProviderOption = None,
    output: OutputOption = None,
) -> None:
    """What a cluster would cost a month: a create body (JSON or YAML) with `provider`."""
    st = state(ctx, output)
    body = read_body(from_file)
    if provider:
        body["provider"] = provider
    answer: dict[str, Any] = st.api().post("/cost-analysis/estimate", body)
    if st.output.data(answer):
        return
    st.output.note(
        f"{answer['monthly']} {answer['currency']} a month"
        f" ({answer['monthly_min']} - {answer['monthly_max']}; prices: {answer['price_source']})"
    )
    _warn(st, answer)
    st.output.table(answer.get("line_items") or [], LINES)
