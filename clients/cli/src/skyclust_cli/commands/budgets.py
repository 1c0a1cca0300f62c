"""`skyclust budgets ...`: the workspace's budgets. Everyone reads them; creating and
deleting one needs `budgets:manage` (admins), as the gateway checks."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from ..errors import CliError, ExitCode
from ..output import Columns
from ..state import OutputOption, YesOption, confirm, state

app = typer.Typer(help="Budgets: amounts, thresholds, and the guardrail.", no_args_is_help=True)
BudgetArg = Annotated[str, typer.Argument(help="the budget's name or id")]


class BudgetPeriod(StrEnum):
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"


class Mode(StrEnum):
    warn = "warn"
    enforce = "enforce"


def _scope(budget: dict[str, Any]) -> str:
    scope = budget.get("scope") or {}
    value = scope.get("value")
    return f"{scope.get('kind')}:{value}" if value else str(scope.get("kind") or "")


COLUMNS: Columns = [
    ("NAME", "name"),
    ("AMOUNT", lambda b: f"{b['amount']} {b['currency']}"),
    ("PERIOD", "period"),
    ("SCOPE", _scope),
    ("THRESHOLDS", lambda b: ",".join(f"{t}%" for t in b.get("thresholds") or [])),
    ("MODE", "mode"),
    ("FAIL CLOSED", "fail_closed"),
    ("ID", "budget_id"),
]
STATUS: Columns = [
    *COLUMNS,
    ("PERIOD KEY", lambda b: (b.get("status") or {}).get("period_key")),
    ("ACTUAL", lambda b: (b.get("status") or {}).get("actual")),
    ("FORECAST", lambda b: (b.get("status") or {}).get("forecast")),
    (
        "CROSSED",
        lambda b: ", ".join(
            f"{c['kind']} {c['threshold']}%" for c in (b.get("status") or {}).get("crossed") or []
        ),
    ),
]


def _scope_body(scope: str) -> dict[str, str]:
    """`workspace`, `provider:aws`, `cluster:<id>` or `tag:team=web`."""
    kind, _, value = scope.partition(":")
    if kind == "workspace" and not value:
        return {"kind": "workspace"}
    if kind in ("provider", "cluster", "tag") and value:
        return {"kind": kind, "value": value}
    raise CliError(
        "BAD_ARGUMENT",
        f"--scope is workspace, provider:<cloud>, cluster:<id> or tag:<key>=<value>, not {scope!r}",
        ExitCode.USAGE,
    )


def _find(st: Any, budget: str) -> dict[str, Any]:
    items: list[dict[str, Any]] = st.api().get("/budgets")["items"]
    found = [b for b in items if budget in (b["budget_id"], b["name"])]
    if not found:
        raise CliError("BUDGET_NOT_FOUND", f"no budget {budget!r}", ExitCode.API)
    if len(found) > 1:
        raise CliError(
            "AMBIGUOUS_NAME",
            f"{len(found)} budgets are named {budget!r}; use its id",
            ExitCode.USAGE,
        )
    return found[0]


@app.command("list")
def list_budgets(ctx: typer.Context, output: OutputOption = None) -> None:
    """Every budget of the workspace."""
    st = state(ctx, output)
    st.output.table(st.api().get("/budgets")["items"], COLUMNS)


@app.command("get")
def get_budget(ctx: typer.Context, budget: BudgetArg, output: OutputOption = None) -> None:
    """One budget with its spend, forecast and the thresholds crossed this period."""
    st = state(ctx, output)
    found = _find(st, budget)
    st.output.detail(st.api().get(f"/budgets/{found['budget_id']}"), STATUS)


@app.command("create")
def create_budget(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="the budget's name")],
    amount: Annotated[str, typer.Option("--amount", help="e.g. 1200 or 999.50")],
    period: Annotated[BudgetPeriod, typer.Option("--period")] = BudgetPeriod.monthly,
    scope: Annotated[
        str,
        typer.Option(
            "--scope", help="workspace (default), provider:<cloud>, cluster:<id>, tag:<k>=<v>"
        ),
    ] = "workspace",
    threshold: Annotated[
        list[str] | None,
        typer.Option("--threshold", help="a percentage, repeatable (default 80 and 100)"),
    ] = None,
    mode: Annotated[
        Mode, typer.Option("--mode", help="warn, or enforce: refuse what would pass 100%")
    ] = Mode.warn,
    currency: Annotated[str, typer.Option("--currency")] = "USD",
    fail_closed: Annotated[
        bool, typer.Option("--fail-closed", help="refuse changes while cost cannot be asked")
    ] = False,
    output: OutputOption = None,
) -> None:
    """Create a budget."""
    st = state(ctx, output)
    body: dict[str, Any] = {
        "name": name,
        "amount": amount,
        "period": period.value,
        "scope": _scope_body(scope),
        "mode": mode.value,
        "currency": currency,
        "fail_closed": fail_closed,
    }
    if threshold:
        body["thresholds"] = threshold
    created = st.api().post("/budgets", body)
    st.output.note(f"budget {created['name']} created ({created['budget_id']})")
    st.output.table(created, COLUMNS)


@app.command("delete")
def delete_budget(ctx: typer.Context, budget: BudgetArg, yes: YesOption = False) -> None:
    """Delete a budget."""
    st = state(ctx)
    found = _find(st, budget)
    confirm(st, f"delete budget {found['name']}?", yes)
    st.api().delete(f"/budgets/{found['budget_id']}")
    st.output.note(f"budget {found['name']} deleted")
