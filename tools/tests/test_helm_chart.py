"""The Helm chart deploy/helm/skyclust, rendered with Helm's own engine (helm-python-sdk
binds Helm's Go SDK: real template functions, values merging and values.schema.json) and
every rendered manifest validated with kubernetes-validate (strict, Kubernetes 1.37), for
the default values and other value sets; `helm lint` passes; bad values and a broken
manifest are refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from helm_python.chart import Chart, lint
from helm_python.errors import HelmValuesError

from skyclust_tools.images import SERVICES

pytestmark = pytest.mark.unit

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "skyclust"
KUBERNETES = "1.37.0"
CUSTOM_RESOURCES = {"monitoring.coreos.com/v1"}
DEPLOY = CHART.parents[1]


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    manifests = Chart.load(CHART).render(
        values or {}, name="skyclust", namespace="skyclust", is_install=True
    )
    docs = []
    for path, text in manifests.items():
        if path.endswith("NOTES.txt"):
            continue
        docs += [doc for doc in yaml.safe_load_all(text) if doc]
    for doc in docs:
        if doc["apiVersion"] in CUSTOM_RESOURCES:
            continue  # no schema of Kubernetes' own: test_monitoring_* checks its shape
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)
    return docs


def by_kind(docs: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for doc in docs:
        found.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    return found


def container(doc: dict[str, Any]) -> dict[str, Any]:
    (only,) = doc["spec"]["template"]["spec"]["containers"]
    return dict(only)


def test_the_default_values_render_every_service_and_a_nats_cluster() -> None:
    kinds = by_kind(render())
    names = {f"skyclust-{s}" for s in SERVICES}
    for kind in ("Deployment", "Service", "ServiceAccount", "ConfigMap", "NetworkPolicy"):
        assert names <= set(kinds[kind]), kind
    assert set(kinds["PodDisruptionBudget"]) == names | {"skyclust-nats"}
    assert "HorizontalPodAutoscaler" not in kinds
    with_db = {s for s, svc in SERVICES.items() if svc.has_database}
    assert set(kinds["Job"]) == {f"skyclust-{s}-migrate" for s in with_db}
    for name, job in kinds["Job"].items():
        hooks = job["metadata"]["annotations"]["helm.sh/hook"]
        assert hooks == "pre-install,pre-upgrade", name
        # A hook runs before the release's ConfigMaps exist: no configMapRef in a Job.
        refs = container(job)["envFrom"]
        assert [list(ref) for ref in refs] == [["secretRef"]]
        assert container(job)["args"] == ["migrate"]
    for name, deployment in kinds["Deployment"].items():
        spec = deployment["spec"]["template"]["spec"]
        main = container(deployment)
        assert deployment["spec"]["replicas"] == 2
        assert spec["securityContext"]["runAsUser"] == 10001
        assert main["securityContext"]["readOnlyRootFilesystem"] is True
        assert main["resources"]["limits"]["memory"] == "512Mi"
        assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert spec["topologySpreadConstraints"], name
        service = name.removeprefix("skyclust-")
        assert main["command"] == ["python3", "-m", SERVICES[service].package]
        assert main["envFrom"][-1]["secretRef"]["name"] == name
    # NATS: a JetStream cluster of 3 with routes to each pod, the services' streams R3.
    nats = kinds["StatefulSet"]["skyclust-nats"]
    assert nats["spec"]["replicas"] == 3
    conf = kinds["ConfigMap"]["skyclust-nats"]["data"]["nats.conf"]
    assert "jetstream" in conf and "include ./auth/auth.conf" in conf
    for pod in range(3):
        assert f"nats://skyclust-nats-{pod}.skyclust-nats-headless.skyclust.svc:6222" in conf
    network = kinds["ConfigMap"]["skyclust-network"]["data"]
    assert network["SKYCLUST_STREAM_REPLICAS"] == "3"
    assert network["SKYCLUST_NATS_URL"] == "nats://skyclust-nats.skyclust.svc:4222"
    # Only the gateway's API is open to all; every other port is the scrape's alone.
    open_ingress = {
        name
        for name, policy in kinds["NetworkPolicy"].items()
        for rule in policy["spec"]["ingress"]
        if "from" not in rule
    }
    assert open_ingress == {"skyclust-gateway"}


def test_a_disabled_service_and_a_scaled_one() -> None:
    kinds = by_kind(
        render(
            {"services": {"cost": {"enabled": False}, "gateway": {"enabled": True, "replicas": 5}}}
        )
    )
    everything = {name for named in kinds.values() for name in named}
    assert not {n for n in everything if n.startswith("skyclust-cost")}
    assert kinds["Deployment"]["skyclust-gateway"]["spec"]["replicas"] == 5
    assert kinds["Deployment"]["skyclust-network"]["spec"]["replicas"] == 2
    single = by_kind(render({"services": {"network": {"enabled": True, "replicas": 1}}}))
    assert "skyclust-network" not in single["PodDisruptionBudget"]


def test_hpa_on_leaves_the_replicas_to_the_autoscaler() -> None:
    values = {
        "hpa": {"enabled": True, "maxReplicas": 8},
        "services": {"gateway": {"enabled": True, "hpa": {"maxReplicas": 12}}},
    }
    kinds = by_kind(render(values))
    hpas = kinds["HorizontalPodAutoscaler"]
    assert set(hpas) == {f"skyclust-{s}" for s in SERVICES}
    assert hpas["skyclust-gateway"]["spec"]["maxReplicas"] == 12
    assert hpas["skyclust-network"]["spec"]["maxReplicas"] == 8
    for deployment in kinds["Deployment"].values():
        assert "replicas" not in deployment["spec"]


def test_an_existing_nats_traces_and_the_db_bootstrap_hook() -> None:
    values = {
        "nats": {"deploy": False, "url": "nats://nats.messaging.svc:4222"},
        "otlpEndpoint": "http://otel-collector.monitoring:4318",
        "database": {"bootstrap": True, "adminSecret": "pg-admin"},
    }
    kinds = by_kind(render(values))
    assert "StatefulSet" not in kinds and "skyclust-nats" not in kinds["ConfigMap"]
    identity = kinds["ConfigMap"]["skyclust-identity"]["data"]
    assert identity["SKYCLUST_NATS_URL"] == "nats://nats.messaging.svc:4222"
    assert identity["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.monitoring:4318"
    boot = kinds["Job"]["skyclust-identity-bootstrap-db"]
    migrate = kinds["Job"]["skyclust-identity-migrate"]
    # bootstrap-db runs first (a lower hook weight), with the administrator's Secret.
    weight = "helm.sh/hook-weight"
    assert int(boot["metadata"]["annotations"][weight]) < int(
        migrate["metadata"]["annotations"][weight]
    )
    env = {e["name"]: e for e in container(boot)["env"]}
    assert env["SKYCLUST_ADMIN_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "pg-admin"
    assert env["SKYCLUST_NATS_URL"]["value"] == "nats://nats.messaging.svc:4222"


def test_the_dashboard_ships_as_a_configmap_and_the_alerts_as_a_prometheusrule() -> None:
    default = by_kind(render())
    (dashboard,) = [
        c for name, c in default["ConfigMap"].items() if name == "skyclust-grafana-dashboard"
    ]
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    shipped = json.loads(dashboard["data"]["skyclust.json"])
    assert shipped == json.loads((DEPLOY / "grafana" / "skyclust.json").read_text())
    assert "PrometheusRule" not in default  # it needs the operator's CRDs: opt in
    values = {
        "monitoring": {
            "dashboard": {"enabled": False},
            "prometheusRule": {
                "enabled": True,
                "labels": {"release": "kube-prometheus-stack"},
                "runbookBaseUrl": "https://docs.internal.example/skyclust/operations",
            },
        }
    }
    kinds = by_kind(render(values))
    assert "skyclust-grafana-dashboard" not in kinds["ConfigMap"]
    rule = kinds["PrometheusRule"]["skyclust"]
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    source = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    rendered = [r for group in rule["spec"]["groups"] for r in group["rules"]]
    expected = [r for group in source["groups"] for r in group["rules"]]
    assert [r["alert"] for r in rendered] == [r["alert"] for r in expected]
    for got, want in zip(rendered, expected, strict=True):
        assert got["expr"] == want["expr"] and got["for"] == want["for"]
        assert got["labels"] == want["labels"]
        # Prometheus's own templates reach the operator untouched by Helm.
        assert got["annotations"]["summary"] == want["annotations"]["summary"]
        anchor = want["annotations"]["runbook_url"].split("#")[1]
        assert got["annotations"]["runbook_url"] == (
            f"https://docs.internal.example/skyclust/operations#{anchor}"
        )


def test_a_podmonitor_scrapes_the_services_health_port_and_nothing_else() -> None:
    assert "PodMonitor" not in by_kind(render())
    kinds = by_kind(
        render({"monitoring": {"podMonitor": {"enabled": True, "labels": {"release": "kps"}}}})
    )
    monitor = kinds["PodMonitor"]["skyclust"]
    assert monitor["metadata"]["labels"]["release"] == "kps"
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"], endpoint["interval"]) == (
        "health",
        "/metrics",
        "30s",
    )
    selector = monitor["spec"]["selector"]["matchLabels"]

    def selected(pod: dict[str, Any]) -> bool:
        labels = pod["metadata"].get("labels", {})
        return all(labels.get(k) == v for k, v in selector.items())

    def ports(pod: dict[str, Any]) -> set[str]:
        return {p["name"] for c in pod["spec"]["containers"] for p in c.get("ports", [])}

    workloads = [w for kind in ("Deployment", "StatefulSet", "Job") for w in kinds[kind].values()]
    scraped = {
        w["metadata"]["name"]
        for w in workloads
        if selected(w["spec"]["template"]) and endpoint["port"] in ports(w["spec"]["template"])
    }
    assert scraped == {f"skyclust-{s}" for s in SERVICES}


def test_helm_lint_passes() -> None:
    report = lint(CHART, strict=True, kube_version=f"v{KUBERNETES}")
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


@pytest.mark.parametrize(
    "values",
    [
        {"services": {"billing": {"enabled": True}}},
        {"nats": {"streamReplicas": 2}},
        {"image": {"registry": "r", "tag": ""}},
        {"services": {"gateway": {"replicas": "many"}}},
        {"monitoring": {"prometheusRule": {"runbookBaseUrl": "docs/operations.md"}}},
        {"monitoring": {"podMonitor": {"interval": "often"}}},
    ],
)
def test_values_outside_the_schema_are_refused(values: dict[str, Any]) -> None:
    with pytest.raises(HelmValuesError):
        Chart.load(CHART).render(values, name="skyclust", namespace="skyclust")


def test_a_broken_manifest_fails_validation() -> None:
    docs = render()
    deployment = copy.deepcopy(next(d for d in docs if d["kind"] == "Deployment"))
    container(deployment)  # the shape holds before it is broken
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["prot"] = (
        9000
    )
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)
