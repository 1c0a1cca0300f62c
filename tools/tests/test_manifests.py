"""The rendered manifests are valid Kubernetes (kubernetes-validate, strict, against a
current version) for the default values and other value sets, and a broken one fails.
The monitoring objects are the chart's (compared with Helm's own render of the chart);
the Prometheus Operator's two are checked against the shape of its CRDs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from helm_python.chart import Chart

from skyclust_tools.manifests import (
    CHART,
    GRAFANA_DASHBOARD,
    PROMETHEUS_ALERTS,
    SERVICES,
    ValuesError,
    load_values,
    main,
    render,
)

pytestmark = pytest.mark.unit

VERSION = "1.37.0"


def validate_all(docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        kubernetes_validate.validate(doc, VERSION, strict=True)


def deployments(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == "Deployment"]


def kinds(docs: list[dict[str, Any]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for doc in docs:
        found.setdefault(doc["kind"], set()).add(doc["metadata"]["name"])
    return found


def test_the_default_values_render_every_service_validly() -> None:
    docs = render(load_values())
    validate_all(docs)
    found = kinds(docs)
    assert found["Deployment"] == {f"skyclust-{s}" for s in SERVICES}
    assert found["Service"] == {f"skyclust-{s}" for s in SERVICES}
    # Every service with a database migrates in a Job of its own; the gateway has none.
    assert found["Job"] == {f"skyclust-{s}-migrate" for s, (_, db) in SERVICES.items() if db}
    for doc in docs:
        if doc["kind"] != "Deployment":
            continue
        (container,) = doc["spec"]["template"]["spec"]["containers"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["runAsNonRoot"] is True
        assert container["resources"]["limits"]["memory"] == "512Mi"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert doc["spec"]["replicas"] == 2
    assert found["PodDisruptionBudget"] == found["Deployment"]
    policies = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "NetworkPolicy"}
    assert set(policies) == found["Deployment"]
    # Only the gateway's API is open to all; every other port is the scrape's alone.
    open_ingress = {
        name for name, spec in policies.items() for rule in spec["ingress"] if "from" not in rule
    }
    assert open_ingress == {"skyclust-gateway"}


def test_a_disabled_service_and_a_scaled_one() -> None:
    values = load_values()
    values["services"]["cost"] = {"enabled": False}
    values["services"]["gateway"] = {"enabled": True, "replicas": 5}
    docs = render(values)
    validate_all(docs)
    names = {doc["metadata"]["name"] for doc in docs}
    assert not {"skyclust-cost", "skyclust-cost-migrate"} & names
    (gateway,) = (d for d in deployments(docs) if d["metadata"]["name"] == "skyclust-gateway")
    assert gateway["spec"]["replicas"] == 5
    values["services"]["network"] = {"enabled": True, "replicas": 1}
    budgets = {d["metadata"]["name"] for d in render(values) if d["kind"] == "PodDisruptionBudget"}
    assert "skyclust-network" not in budgets and "skyclust-gateway" in budgets


def test_an_existing_nats_and_traces_exported() -> None:
    values = load_values(
        overrides={
            "nats": {"url": "nats://shared-nats:4222", "streamReplicas": 1},
            "otlpEndpoint": "http://otel:4318",
        }
    )
    docs = render(values)
    validate_all(docs)
    for doc in docs:
        if doc["kind"] == "Deployment":
            env = {
                e["name"]: e.get("value")
                for e in doc["spec"]["template"]["spec"]["containers"][0]["env"]
            }
            assert env["SKYCLUST_NATS_URL"] == "nats://shared-nats:4222"
            assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel:4318"
            assert env["SKYCLUST_HEALTH_HOST"] == "0.0.0.0"


def test_an_invalid_manifest_fails_validation() -> None:
    docs = render(load_values())
    broken = copy.deepcopy(next(d for d in docs if d["kind"] == "Deployment"))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSION, strict=True)
    unknown_field = copy.deepcopy(broken)
    unknown_field["spec"]["replicas"] = 2
    unknown_field["spec"]["template"]["spec"]["containers"][0]["imagePullSecret"] = "x"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(unknown_field, VERSION, strict=True)


def test_unknown_services_in_the_values_are_refused() -> None:
    values = load_values()
    values["services"]["billing"] = {"enabled": True}
    with pytest.raises(ValueError, match="billing"):
        render(values)


# --- monitoring: the chart's objects, rendered without Helm ------------------------------

MONITORING_ON = {
    "monitoring": {
        "dashboard": {"enabled": True, "labels": {"grafana_dashboard": "1", "team": "ops"}},
        "prometheusRule": {
            "enabled": True,
            "labels": {"release": "kube-prometheus-stack"},
            "runbookBaseUrl": "https://docs.internal.example/skyclust/operations",
        },
        "podMonitor": {"enabled": True, "labels": {"release": "kps"}, "interval": "15s"},
    }
}
MONITORING_OFF = {
    "monitoring": {
        "dashboard": {"enabled": False},
        "prometheusRule": {"enabled": False},
        "podMonitor": {"enabled": False},
    }
}
CUSTOM_RESOURCES = {"monitoring.coreos.com/v1"}
# The Prometheus Operator's duration (its CRDs' pattern for `for`, `interval`...).
DURATION = (
    r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?"
    r"(([0-9]+)ms)?)$"
)
LABELS = {"type": "object", "additionalProperties": {"type": "string"}}


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


def _resource(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return _object(
        ["apiVersion", "kind", "metadata", "spec"],
        apiVersion={"const": "monitoring.coreos.com/v1"},
        kind={"const": kind},
        metadata=_object(
            ["name", "namespace"],
            name={"type": "string", "pattern": "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"},
            namespace={"type": "string", "minLength": 1},
            labels=LABELS,
        ),
        spec=spec,
    )


# kubernetes-validate has no schema for the Prometheus Operator's CRDs, so their shape is
# checked here: the fields these objects use, as the operator's v1 CRDs type them (a
# subset: any other field is refused, so a misspelt one fails like kubernetes-validate's
# strict mode would), and each rule is an alert or a recording rule with an `expr`.
_RULE = _object(
    ["expr"],
    alert={"type": "string", "minLength": 1},
    record={"type": "string", "minLength": 1},
    expr={"type": ["string", "integer"], "minLength": 1},
    **{"for": {"type": "string", "pattern": DURATION}},
    keep_firing_for={"type": "string", "pattern": DURATION},
    labels=LABELS,
    annotations=LABELS,
)
_RULE["oneOf"] = [{"required": ["alert"]}, {"required": ["record"]}]
PROMETHEUS_RULE = _resource(
    "PrometheusRule",
    _object(
        ["groups"],
        groups={
            "type": "array",
            "minItems": 1,
            "items": _object(
                ["name", "rules"],
                name={"type": "string", "minLength": 1},
                interval={"type": "string", "pattern": DURATION},
                rules={"type": "array", "minItems": 1, "items": _RULE},
            ),
        },
    ),
)
POD_MONITOR = _resource(
    "PodMonitor",
    _object(
        ["selector"],
        namespaceSelector=_object(
            [], any={"type": "boolean"}, matchNames={"type": "array", "items": {"type": "string"}}
        ),
        selector=_object([], matchLabels=LABELS),
        podMetricsEndpoints={
            "type": "array",
            "minItems": 1,
            "items": _object(
                [],
                port={"type": "string", "minLength": 1},
                path={"type": "string", "pattern": "^/"},
                interval={"type": "string", "pattern": DURATION},
                scrapeTimeout={"type": "string", "pattern": DURATION},
            ),
        },
    ),
)
CUSTOM_SCHEMAS = {"PrometheusRule": PROMETHEUS_RULE, "PodMonitor": POD_MONITOR}


def validate_custom(doc: dict[str, Any]) -> None:
    jsonschema.Draft7Validator(CUSTOM_SCHEMAS[doc["kind"]]).validate(doc)
    if doc["kind"] == "PrometheusRule":
        names = [group["name"] for group in doc["spec"]["groups"]]
        assert len(names) == len(set(names)), "the operator refuses two groups of one name"


def validate_any(docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        if doc["apiVersion"] in CUSTOM_RESOURCES:
            validate_custom(doc)
        else:
            kubernetes_validate.validate(doc, VERSION, strict=True)


def monitoring(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    names = {"skyclust-grafana-dashboard", "skyclust"}
    return {d["kind"]: d for d in docs if d["metadata"]["name"] in names}


def chart_render(values: dict[str, Any]) -> list[dict[str, Any]]:
    manifests = Chart.load(CHART).render(
        values, name="skyclust", namespace="skyclust", is_install=True
    )
    return [
        doc
        for path, text in manifests.items()
        if not path.endswith("NOTES.txt")
        for doc in yaml.safe_load_all(text)
        if doc
    ]


def test_the_monitoring_objects_are_rendered_when_enabled_and_absent_when_not() -> None:
    default = monitoring(render(load_values()))
    # As in the chart: the dashboard is on by default, the operator's objects opt in.
    assert set(default) == {"ConfigMap"}
    assert default["ConfigMap"]["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert monitoring(render(load_values(overrides=MONITORING_OFF))) == {}

    docs = render(load_values(overrides=MONITORING_ON))
    validate_any(docs)
    found = monitoring(docs)
    assert set(found) == {"ConfigMap", "PrometheusRule", "PodMonitor"}
    shipped = json.loads(found["ConfigMap"]["data"]["skyclust.json"])
    assert shipped == json.loads(GRAFANA_DASHBOARD.read_text())
    rule = found["PrometheusRule"]
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    source = yaml.safe_load(PROMETHEUS_ALERTS.read_text())
    rendered = [r for group in rule["spec"]["groups"] for r in group["rules"]]
    expected = [r for group in source["groups"] for r in group["rules"]]
    assert [r["alert"] for r in rendered] == [r["alert"] for r in expected]
    for got, want in zip(rendered, expected, strict=True):
        anchor = want["annotations"]["runbook_url"].split("#")[1]
        assert got["annotations"]["runbook_url"] == (
            f"https://docs.internal.example/skyclust/operations#{anchor}"
        )
        assert got["expr"] == want["expr"] and got["labels"] == want["labels"]
    (endpoint,) = found["PodMonitor"]["spec"]["podMetricsEndpoints"]
    assert endpoint == {"port": "health", "path": "/metrics", "interval": "15s"}


def test_the_podmonitor_selects_every_service_pod_and_no_migrate_job() -> None:
    docs = render(load_values(overrides=MONITORING_ON))
    monitor = monitoring(docs)["PodMonitor"]
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert monitor["spec"]["namespaceSelector"]["matchNames"] == ["skyclust"]
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    scraped = set()
    for doc in docs:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        pod = doc["spec"]["template"]
        labels = pod["metadata"]["labels"]
        ports = {p["name"] for c in pod["spec"]["containers"] for p in c.get("ports", [])}
        if all(labels.get(k) == v for k, v in selector.items()) and endpoint["port"] in ports:
            scraped.add(doc["metadata"]["name"])
    assert scraped == {f"skyclust-{s}" for s in SERVICES}


@pytest.mark.parametrize(
    "values", [MONITORING_ON, MONITORING_OFF, {}], ids=["on", "off", "default"]
)
def test_the_monitoring_objects_are_the_charts(values: dict[str, Any]) -> None:
    ours = monitoring(render(load_values(overrides=values)))
    charts = monitoring(chart_render(values))
    assert set(ours) == set(charts)
    for kind, chart_doc in charts.items():
        if chart_doc["apiVersion"] in CUSTOM_RESOURCES:
            validate_custom(chart_doc)
        expected = copy.deepcopy(chart_doc)
        if kind == "PodMonitor":
            # The chart's pods also carry the release's instance label; these do not.
            del expected["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"]
        assert ours[kind] == expected, kind


def test_a_misshapen_custom_resource_fails_the_shape_check() -> None:
    found = monitoring(render(load_values(overrides=MONITORING_ON)))
    rule = copy.deepcopy(found["PrometheusRule"])
    del rule["spec"]["groups"][0]["rules"][0]["expr"]
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(rule)
    neither = copy.deepcopy(found["PrometheusRule"])
    del neither["spec"]["groups"][0]["rules"][0]["alert"]
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(neither)
    monitor = copy.deepcopy(found["PodMonitor"])
    monitor["spec"]["podMetricsEndpoints"][0]["interval"] = "30 seconds"
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(monitor)
    misspelt = copy.deepcopy(found["PodMonitor"])
    misspelt["spec"]["podMetricEndpoints"] = misspelt["spec"].pop("podMetricsEndpoints")
    with pytest.raises(jsonschema.ValidationError):
        validate_custom(misspelt)


def test_values_outside_the_charts_schema_are_refused() -> None:
    bad = {"monitoring": {"prometheusRule": {"runbookBaseUrl": "docs/operations.md"}}}
    with pytest.raises(ValuesError, match=r"monitoring\.prometheusRule\.runbookBaseUrl"):
        render(load_values(overrides=bad))
    with pytest.raises(ValuesError, match=r"nats\.streamReplicas"):
        render(load_values(overrides={"nats": {"streamReplicas": 2}}))


def test_the_command_merges_a_values_file_over_the_charts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = tmp_path / "values.yaml"
    own.write_text("monitoring:\n  podMonitor:\n    enabled: true\n")
    assert main(["--values", str(own)]) == 0
    docs = list(yaml.safe_load_all(capsys.readouterr().out))
    found = monitoring(docs)
    # Only `enabled` was given: the interval and the dashboard are the chart's defaults.
    assert found["PodMonitor"]["spec"]["podMetricsEndpoints"][0]["interval"] == "30s"
    assert "ConfigMap" in found
    own.write_text("monitoring:\n  podMonitor:\n    interval: often\n")
    assert main(["--values", str(own)]) == 2
    err = capsys.readouterr().err
    assert "monitoring.podMonitor.interval" in err and "often" in err
    assert main(["--values", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml" in capsys.readouterr().err
