"""Budgets: what they cover, which thresholds spend and forecast cross, when a crossing
is news, and the guardrail's decision before a create or scale-up.

A crossing is identified by (budget, threshold, kind, period key). The service stores
that key uniquely, so `BudgetThresholdCrossed` goes out once per key however often the
check runs, and `BudgetRecovered` once when the spend falls back below it. The seed
alerts at 80% (warning) and 100% (critical); those are the default thresholds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from .errors import BudgetExceeded, BudgetOverrideForbidden, InvalidBudget

PERIODS = ("monthly", "quarterly", "yearly")
SCOPES = ("workspace", "provider", "cluster", "tag")
MODES = ("warn", "enforce")
KINDS = ("actual", "forecast")
DEFAULT_THRESHOLDS = (Decimal("80"), Decimal("100"))
HUNDRED = Decimal("100")
DAYS_PER_MONTH = Decimal("30.4375")  # 365.25 / 12

Kind = Literal["actual", "forecast"]


@dataclass(frozen=True)
class Scope:
    kind: str  # workspace | provider | cluster | tag
    value: str | None = None  # provider name, cluster id, or "key=value"

    def covers(self, provider: str | None, cluster_id: str | None, tags: Mapping[str, str]) -> bool:
        if self.kind == "workspace":
            return True
        if self.kind == "provider":
            return provider == self.value
        if self.kind == "cluster":
            return cluster_id is not None and cluster_id == self.value
        key, _, val = (self.value or "").partition("=")
        return tags.get(key) == val


@dataclass(frozen=True)
class Budget:
    budget_id: str
    workspace_id: str
    name: str
    amount: Decimal
    currency: str
    period: str
    scope: Scope
    thresholds: tuple[Decimal, ...] = DEFAULT_THRESHOLDS
    mode: str = "warn"
    fail_closed: bool = False

    def __post_init__(self) -> None:
        check_budget(self)


def check_budget(b: Budget) -> None:
    problems: dict[str, str] = {}
    if not b.amount > 0:
        problems["amount"] = "must be positive"
    if b.period not in PERIODS:
        problems["period"] = f"one of {', '.join(PERIODS)}"
    if b.mode not in MODES:
        problems["mode"] = f"one of {', '.join(MODES)}"
    if b.scope.kind not in SCOPES:
        problems["scope"] = f"one of {', '.join(SCOPES)}"
    elif b.scope.kind != "workspace" and not b.scope.value:
        problems["scope"] = f"a {b.scope.kind} scope needs a value"
    elif b.scope.kind == "tag" and "=" not in (b.scope.value or ""):
        problems["scope"] = "a tag scope is key=value"
    if not b.thresholds or any(not 0 < t <= 1000 for t in b.thresholds):
        problems["thresholds"] = "one or more percentages in (0, 1000]"
    elif len(set(b.thresholds)) != len(b.thresholds):
        problems["thresholds"] = "each threshold once"
    if len(b.currency) != 3 or not b.currency.isalpha() or not b.currency.isupper():
        problems["currency"] = "an ISO 4217 code such as USD"
    if problems:
        raise InvalidBudget("the budget is not valid", details=problems)


# periods --------------------------------------------------------------------------------


def period_window(period: str, today: date) -> tuple[date, date]:
    """[start, end) of the budget period containing `today`."""
    if period == "monthly":
        start = today.replace(day=1)
        end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    elif period == "quarterly":
        q_month = 3 * ((today.month - 1) // 3) + 1
        start = date(today.year, q_month, 1)
        end = date(today.year + (q_month == 10), (q_month + 2) % 12 + 1, 1)
    elif period == "yearly":
        start, end = date(today.year, 1, 1), date(today.year + 1, 1, 1)
    else:
        raise InvalidBudget("unknown period", details={"period": period})
    return start, end


def period_key(period: str, today: date) -> str:
    """ "2026-12", "2026-Q4" or "2026": the period a crossing belongs to."""
    if period == "monthly":
        return f"{today.year}-{today.month:02d}"
    if period == "quarterly":
        return f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    if period == "yearly":
        return str(today.year)
    raise InvalidBudget("unknown period", details={"period": period})


# thresholds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Crossing:
    budget_id: str
    threshold: Decimal
    kind: Kind
    period_key: str
    spend: Decimal  # actual spend so far, or the forecast for the whole period
    amount: Decimal
    percent: Decimal

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.budget_id, _pct(self.threshold), self.kind, self.period_key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "budget_id": self.budget_id,
            "threshold": _pct(self.threshold),
            "kind": self.kind,
            "period_key": self.period_key,
            "spend": str(self.spend),
            "amount": str(self.amount),
            "percent": str(self.percent),
        }


def _pct(value: Decimal) -> str:
    return format(value.normalize(), "f")


def percent_of(spend: Decimal, amount: Decimal) -> Decimal:
    return (spend * HUNDRED / amount).quantize(Decimal("0.01"))


def crossed(budget: Budget, today: date, actual: Decimal, forecast: Decimal) -> list[Crossing]:
    """Every (threshold, kind) at or above which spend stands now."""
    key = period_key(budget.period, today)
    out = []
    for kind, spend in (("actual", actual), ("forecast", forecast)):
        pct = percent_of(spend, budget.amount)
        for t in sorted(budget.thresholds):
            if pct >= t:
                out.append(Crossing(budget.budget_id, t, kind, key, spend, budget.amount, pct))  # type: ignore[arg-type]
    return out


@dataclass(frozen=True)
class Transitions:
    crossed: tuple[Crossing, ...]  # new this period: emit BudgetThresholdCrossed
    recovered: tuple[tuple[str, str, str, str], ...]  # were crossed, now below: BudgetRecovered


def transitions(
    now: Sequence[Crossing], open_keys: Iterable[tuple[str, str, str, str]]
) -> Transitions:
    """`open_keys` are the crossings recorded and not yet recovered. A recorded key no
    longer crossed has recovered, and so has every key of a period that has ended (the
    new period's spend starts again from nothing). A key crossed again after it recovered
    is news again: the service reopens its row rather than adding one."""
    open_set = set(open_keys)
    current = {c.key: c for c in now}
    new = tuple(c for k, c in current.items() if k not in open_set)
    recovered = tuple(sorted(k for k in open_set if k not in current))
    return Transitions(new, recovered)


# the guardrail --------------------------------------------------------------------------


@dataclass(frozen=True)
class CoveringBudget:
    budget: Budget
    forecast: Decimal  # the forecast spend for the budget's whole current period


@dataclass(frozen=True)
class Finding:
    budget_id: str
    name: str
    mode: str
    amount: Decimal
    currency: str
    forecast: Decimal
    estimate: Decimal  # the request's cost over the rest of the period
    projected: Decimal
    percent: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "budget_id": self.budget_id,
            "name": self.name,
            "mode": self.mode,
            "amount": str(self.amount),
            "currency": self.currency,
            "forecast": str(self.forecast),
            "estimate": str(self.estimate),
            "projected": str(self.projected),
            "percent": str(self.percent),
        }


@dataclass(frozen=True)
class Decision:
    action: Literal["allow", "warn", "override"]
    warnings: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    findings: tuple[Finding, ...] = field(default_factory=tuple)


def period_impact(monthly: Decimal, period: str, today: date) -> Decimal:
    """What a new monthly run-rate adds to a budget's period: a full month for a monthly
    budget (the request may run the whole next month), else the rest of the period."""
    _, end = period_window(period, today)
    months = Decimal((end - today).days) / DAYS_PER_MONTH
    return (monthly * max(months, Decimal(1))).quantize(Decimal("0.01"))


def guardrail(
    covering: Sequence[CoveringBudget],
    monthly_estimate: Decimal,
    today: date,
    *,
    override: bool = False,
    is_admin: bool = False,
) -> Decision:
    """allow, warn (a warn budget would pass 100%), or override (an admin went past an
    enforce budget); raises BudgetExceeded when an enforce budget would pass 100%."""
    findings = []
    for c in covering:
        b = c.budget
        impact = period_impact(monthly_estimate, b.period, today)
        projected = c.forecast + impact
        if projected > b.amount:
            findings.append(
                Finding(
                    b.budget_id,
                    b.name,
                    b.mode,
                    b.amount,
                    b.currency,
                    c.forecast,
                    impact,
                    projected,
                    percent_of(projected, b.amount),
                )
            )
    enforced = [f for f in findings if f.mode == "enforce"]
    warnings = tuple(
        {
            "code": "BUDGET_WOULD_BE_EXCEEDED",
            "message": f"budget {f.name!r} would reach {f.percent}% of {f.amount} {f.currency}",
            **f.as_dict(),
        }
        for f in findings
    )
    if enforced:
        details = {"budgets": [f.as_dict() for f in enforced], "estimate": str(monthly_estimate)}
        if not override:
            raise BudgetExceeded(
                f"budget {enforced[0].name!r} would reach {enforced[0].percent}% of its amount",
                details=details,
            )
        if not is_admin:
            raise BudgetOverrideForbidden("only a workspace admin may override a budget")
        return Decision("override", warnings, tuple(findings))
    return Decision("warn" if findings else "allow", warnings, tuple(findings))
