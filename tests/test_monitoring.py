"""The Grafana dashboard (deploy/grafana/skyclust.json) and the alert rules
(deploy/prometheus/alerts.yaml) stay true to the code: every query names only metrics a
service exports, every alert has its expression, its wait, a severity and a runbook,
and every runbook is a section of docs/operations.md."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from skyclust_tools.metrics_catalog import series, skyclust_families

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
DASHBOARD = ROOT / "deploy" / "grafana" / "skyclust.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yaml"
OPERATIONS = ROOT / "docs" / "operations.md"
RUNBOOKS = "https://skyclust.io/docs/operations.md#"
SEVERITIES = {"critical", "warning", "info"}
ROWS = {"HTTP", "Sagas", "Bus", "Clouds", "SSE", "Notifications", "Cost"}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"' + r"|'(?:[^'\\]|\\.)*'")
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_VARIABLE = re.compile(r"\$\{?\w+\}?")
_NAME = re.compile(r"(?<![\w.:])([a-zA-Z_:][\w:]*)(\s*\()?")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", "atan2"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: what is left once strings, label
    matchers, ranges, grouping clauses, Grafana variables, functions and keywords are
    taken out."""
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    text = _VARIABLE.sub(" ", text)
    names = set()
    for match in _NAME.finditer(text):
        name, call = match.group(1), match.group(2)
        if call is None and name.lower() not in _KEYWORDS:
            names.add(name)
    return names


def balanced(expr: str) -> bool:
    """Brackets open and close in order (outside strings): a typo PromQL would refuse."""
    pairs, stack = {")": "(", "]": "[", "}": "{"}, []
    for char in _STRING.sub('""', expr):
        if char in "([{":
            stack.append(char)
        elif char in pairs and (not stack or stack.pop() != pairs[char]):
            return False
    return not stack


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for panel in board["panels"]:
        found.append(panel)
        found += panel.get("panels", [])
    return found


def dashboard_queries(board: dict[str, Any]) -> list[str]:
    queries = [t["expr"] for p in panels(board) for t in p.get("targets", [])]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            text = query["query"] if isinstance(query, dict) else query
            # label_values(metric, label): only the metric is a series.
            queries += re.findall(r"label_values\(\s*([a-zA-Z_:][\w:]*)", text)
    return queries


def rules() -> list[dict[str, Any]]:
    return [
        rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]
    ]


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", markdown, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def unknown(queries: list[str]) -> dict[str, set[str]]:
    assert [q for q in queries if not balanced(q)] == []
    exported = series()
    missing = {q: metric_names(q) - exported for q in queries}
    return {q: names for q, names in missing.items() if names}


def test_the_extractor_finds_the_metrics_of_a_query_and_nothing_else():
    expr = (
        "histogram_quantile(0.99, sum by (le, route) (rate(skyclust_http_request_duration_"
        'seconds_bucket{job=~"$job", route!="/a/{b}"}[$__rate_interval]))) > 2 '
        "unless on(job) up == 0 and bool max_over_time(skyclust_nope_total[5m] offset 1h)"
    )
    assert metric_names(expr) == {
        "skyclust_http_request_duration_seconds_bucket",
        "up",
        "skyclust_nope_total",
    }
    assert balanced(expr)
    assert not balanced("sum(rate(x[5m])") and not balanced('rate(x{a="("}[5m)]')
    # A query naming a metric no service exports is reported, with the name.
    assert unknown(["rate(skyclust_nope_total[5m])"]) == {
        "rate(skyclust_nope_total[5m])": {"skyclust_nope_total"}
    }


def test_every_dashboard_query_names_only_metrics_the_services_export():
    queries = dashboard_queries(dashboard())
    assert len(queries) > 30
    assert unknown(queries) == {}


def test_the_dashboard_has_a_row_per_area_and_shows_every_skyclust_metric():
    board = dashboard()
    titles = [p["title"] for p in board["panels"] if p["type"] == "row"]
    assert {area for area in ROWS if any(area in title for title in titles)} == ROWS
    for panel in panels(board):
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
    shown = {name for q in dashboard_queries(board) for name in metric_names(q)}
    exported = skyclust_families()
    # Each family is on the dashboard under one of its series' names.
    not_shown = {
        family
        for family in exported
        if not any(name == family or name.startswith(family + "_") for name in shown)
    }
    assert not_shown == set()


def test_every_alert_has_an_expression_a_wait_a_severity_and_a_runbook_in_the_docs():
    documented = anchors(OPERATIONS.read_text())
    found = rules()
    assert len(found) >= 10
    for rule in found:
        name = rule.get("alert")
        assert name and rule.get("expr"), rule
        assert re.fullmatch(r"\d+[smh]", str(rule.get("for", ""))), name
        assert rule.get("labels", {}).get("severity") in SEVERITIES, name
        annotations = rule.get("annotations", {})
        assert annotations.get("summary"), name
        url = annotations.get("runbook_url", "")
        assert url.startswith(RUNBOOKS), name
        assert url.removeprefix(RUNBOOKS) in documented, f"{name}: no runbook section {url}"
    assert len({rule["alert"] for rule in found}) == len(found)


def test_every_alert_expression_names_only_metrics_the_services_export():
    assert unknown([rule["expr"] for rule in rules()]) == {}


def test_every_metric_is_described_in_the_operations_guide():
    text = OPERATIONS.read_text()
    for family, kind in skyclust_families().items():
        name = family + "_total" if kind == "counter" else family
        assert f"`{name}`" in text, name
