"""Kubernetes manifests for SkyClust, rendered from a values file with no Helm binary:
`python -m skyclust_tools.manifests [--values FILE]` prints one multi-document YAML.

Per enabled service: a ServiceAccount, a Deployment (probes on the health/metrics port,
non-root, read-only root filesystem, resources within 512 MiB), a Service, and for a
service with a database a Job running its `migrate` command, which must finish before
the Deployment is applied or upgraded. Secrets are the operator's own (one per service,
named in the values); nothing here holds a secret value. NATS and Postgres are external.
With `monitoring` in the values, also the chart's monitoring objects: the Grafana
dashboard's ConfigMap, the PrometheusRule of the alerts and the PodMonitor.

The values file is merged over the chart's own values.yaml, as `helm install -f` does,
and the result is checked against the chart's values.schema.json before anything renders."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
CHART = DEPLOY / "helm" / "skyclust"
DEFAULT_VALUES = CHART / "values.yaml"
VALUES_SCHEMA = CHART / "values.schema.json"
GRAFANA_DASHBOARD = DEPLOY / "grafana" / "skyclust.json"
PROMETHEUS_ALERTS = DEPLOY / "prometheus" / "alerts.yaml"
# What deploy/prometheus/alerts.yaml's runbook links start with; the chart replaces it
# with `monitoring.prometheusRule.runbookBaseUrl`, and so does this renderer.
RUNBOOK_BASE = "https://skyclust.io/docs/operations.md"
HEALTH_PORT = 9000
API_PORT = 8080

# service -> (package, has a database)
SERVICES: dict[str, tuple[str, bool]] = {
    "gateway": ("skyclust_gateway", False),
    "identity": ("skyclust_identity", True),
    "credential-vault": ("skyclust_vault", True),
    "provisioning": ("skyclust_provisioning", True),
    "network": ("skyclust_network", True),
    "cost": ("skyclust_cost", True),
    "notification": ("skyclust_notification", True),
}


def _labels(service: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": service, "app.kubernetes.io/part-of": "skyclust"}


def _meta(name: str, namespace: str, service: str) -> dict[str, Any]:
    return {"name": f"skyclust-{name}", "namespace": namespace, "labels": _labels(service)}


def _container(service: str, values: dict[str, Any], args: list[str]) -> dict[str, Any]:
    package, _ = SERVICES[service]
    own = values["services"][service]
    env = [
        {"name": "SKYCLUST_NATS_URL", "value": values["nats"]["url"]},
        {"name": "SKYCLUST_NATS_USER", "value": service},
        {"name": "SKYCLUST_NATS_INBOX_PREFIX", "value": f"_INBOX_{service}"},
        {"name": "SKYCLUST_HEALTH_HOST", "value": "0.0.0.0"},
        {"name": "SKYCLUST_HEALTH_PORT", "value": str(HEALTH_PORT)},
        {"name": "SKYCLUST_STREAM_REPLICAS", "value": str(values["nats"]["streamReplicas"])},
    ]
    if service == "gateway":
        env += [
            {"name": "SKYCLUST_GATEWAY_HOST", "value": "0.0.0.0"},
            {"name": "SKYCLUST_GATEWAY_PORT", "value": str(API_PORT)},
        ]
    if values.get("otlpEndpoint"):
        env.append({"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": values["otlpEndpoint"]})
    image = values["image"]
    return {
        "name": service,
        "image": f"{image['registry']}/skyclust-{service}:{image['tag']}",
        "imagePullPolicy": image["pullPolicy"],
        "args": args,
        "env": env,
        # SKYCLUST_DATABASE_URL, SKYCLUST_NATS_PASSWORD and the service's own keys.
        "envFrom": [{"secretRef": {"name": own.get("secret") or f"skyclust-{service}"}}],
        "resources": own.get("resources") or values["resources"],
        "securityContext": {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        "command": ["python", "-m", package],
    }


def _pod(service: str, values: dict[str, Any], container: dict[str, Any]) -> dict[str, Any]:
    return {
        "serviceAccountName": f"skyclust-{service}",
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
    }


def service_manifests(service: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    namespace = values["namespace"] or "skyclust"
    _, has_db = SERVICES[service]
    own = values["services"][service]
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(service, namespace, service),
        }
    ]
    container = _container(service, values, [])
    ports = [{"name": "health", "containerPort": HEALTH_PORT}]
    if service == "gateway":
        ports.insert(0, {"name": "api", "containerPort": API_PORT})
    container["ports"] = ports
    probe_port = "api" if service == "gateway" else "health"
    container["livenessProbe"] = {
        "httpGet": {"path": "/healthz", "port": "health"},
        "periodSeconds": 10,
    }
    container["readinessProbe"] = {
        "httpGet": {"path": "/readyz", "port": probe_port},
        "periodSeconds": 5,
    }
    pod = _pod(service, values, container)
    # SIGTERM stops consumers and answers what was handed over before the process ends.
    pod["terminationGracePeriodSeconds"] = 30
    pod["topologySpreadConstraints"] = [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": _labels(service)},
        }
    ]
    docs.append(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(service, namespace, service),
            "spec": {
                "replicas": own.get("replicas", values["replicas"]),
                "selector": {"matchLabels": _labels(service)},
                "template": {
                    "metadata": {
                        "labels": _labels(service),
                        "annotations": {
                            "prometheus.io/scrape": "true",
                            "prometheus.io/port": str(HEALTH_PORT),
                        },
                    },
                    "spec": pod,
                },
            },
        }
    )
    service_ports = [{"name": "health", "port": HEALTH_PORT, "targetPort": "health"}]
    if service == "gateway":
        service_ports.insert(0, {"name": "api", "port": API_PORT, "targetPort": "api"})
    docs.append(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta(service, namespace, service),
            "spec": {"selector": _labels(service), "ports": service_ports},
        }
    )
    replicas = own.get("replicas", values["replicas"])
    if replicas > 1:
        docs.append(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": _meta(service, namespace, service),
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _labels(service)}},
            }
        )
    docs.append(network_policy(service, values))
    if has_db:
        job_container = _container(service, values, ["migrate"])
        job_pod = _pod(service, values, job_container)
        job_pod["restartPolicy"] = "OnFailure"
        migrate_meta = _meta(f"{service}-migrate", namespace, service)
        # Under Helm the Job is a pre-install/pre-upgrade hook; applied by hand, run it
        # before the Deployment. Replicas never migrate at start (they refuse instead).
        migrate_meta["annotations"] = {
            "helm.sh/hook": "pre-install,pre-upgrade",
            "helm.sh/hook-delete-policy": "before-hook-creation",
        }
        docs.append(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": migrate_meta,
                "spec": {
                    "backoffLimit": 6,
                    "template": {"metadata": {"labels": _labels(service)}, "spec": job_pod},
                },
            }
        )
    return docs


def network_policy(service: str, values: dict[str, Any]) -> dict[str, Any]:
    """Nothing reaches a service but the scrape of its health port (from the namespaces
    in `networkPolicy.metricsNamespaces`) and, for the gateway, its API; services talk to
    each other only through NATS. Egress is limited to DNS and the ports in
    `networkPolicy.egressPorts` (NATS, Postgres, the clouds' HTTPS, SMTP)."""
    policy = values["networkPolicy"]
    scrapers = [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}
        for name in policy["metricsNamespaces"]
    ]
    ingress: list[dict[str, Any]] = [
        {"from": scrapers, "ports": [{"protocol": "TCP", "port": HEALTH_PORT}]}
    ]
    if service == "gateway":
        ingress.append({"ports": [{"protocol": "TCP", "port": API_PORT}]})
    egress_ports = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    egress_ports += [{"protocol": "TCP", "port": port} for port in policy["egressPorts"]]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(service, values["namespace"] or "skyclust", service),
        "spec": {
            "podSelector": {"matchLabels": _labels(service)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": [{"ports": egress_ports}],
        },
    }


def monitoring_manifests(values: dict[str, Any]) -> list[dict[str, Any]]:
    """What the chart's templates/monitoring.yaml renders for the same values. The one
    difference is the PodMonitor's selector: the chart's pods also carry the release's
    `app.kubernetes.io/instance`, these carry only the name and `part-of` labels."""
    monitoring = values.get("monitoring") or {}
    namespace = values["namespace"] or "skyclust"
    part_of = {"app.kubernetes.io/part-of": "skyclust"}
    docs: list[dict[str, Any]] = []
    dashboard = monitoring.get("dashboard") or {}
    if dashboard.get("enabled"):
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "skyclust-grafana-dashboard",
                    "namespace": namespace,
                    "labels": {**part_of, **(dashboard.get("labels") or {})},
                },
                # The chart's `|-` block: the file's text without its final newline.
                "data": {"skyclust.json": GRAFANA_DASHBOARD.read_text().rstrip("\n")},
            }
        )
    rule = monitoring.get("prometheusRule") or {}
    if rule.get("enabled"):
        text = PROMETHEUS_ALERTS.read_text()
        text = text.replace(RUNBOOK_BASE, rule.get("runbookBaseUrl") or RUNBOOK_BASE)
        docs.append(
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "PrometheusRule",
                "metadata": {
                    "name": "skyclust",
                    "namespace": namespace,
                    "labels": {**part_of, **(rule.get("labels") or {})},
                },
                "spec": {"groups": yaml.safe_load(text)["groups"]},
            }
        )
    monitor = monitoring.get("podMonitor") or {}
    if monitor.get("enabled"):
        docs.append(
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "PodMonitor",
                "metadata": {
                    "name": "skyclust",
                    "namespace": namespace,
                    "labels": {**part_of, **(monitor.get("labels") or {})},
                },
                "spec": {
                    "namespaceSelector": {"matchNames": [namespace]},
                    # Every pod rendered here is SkyClust's (NATS is external); only the
                    # services' pods name a port `health`, so the migrate Jobs are left out.
                    "selector": {"matchLabels": part_of},
                    "podMetricsEndpoints": [
                        {
                            "port": "health",
                            "path": "/metrics",
                            "interval": monitor.get("interval") or "30s",
                        }
                    ],
                },
            }
        )
    return docs


class ValuesError(ValueError):
    """Values the chart's values.schema.json refuses, with where and why."""


def check_values(values: dict[str, Any]) -> None:
    schema = json.loads(VALUES_SCHEMA.read_text())
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(values), key=lambda e: list(e.path)
    )
    if errors:
        lines = [f"{'.'.join(str(p) for p in e.path) or '(top)'}: {e.message}" for e in errors]
        raise ValuesError("values refused by values.schema.json:\n  " + "\n  ".join(lines))


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    unknown = sorted(set(values["services"]) - set(SERVICES))
    if unknown:
        raise ValuesError(f"unknown services in values: {', '.join(unknown)}")
    check_values(values)
    docs: list[dict[str, Any]] = []
    for service in SERVICES:
        if values["services"].get(service, {}).get("enabled", True):
            docs += service_manifests(service, values)
    return docs + monitoring_manifests(values)


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`overrides` over `base`, maps merged key by key at every depth, as Helm merges a
    values file over the chart's."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_values(
    path: Path = DEFAULT_VALUES, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load(path.read_text())
    return merge(values, overrides or {})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--values", type=Path, help="merged over the chart's values.yaml, as `helm -f`"
    )
    args = parser.parse_args(argv)
    try:
        overrides = yaml.safe_load(args.values.read_text()) if args.values else {}
        if not isinstance(overrides or {}, dict):
            raise ValuesError(f"{args.values}: not a map of values")
        docs = render(load_values(overrides=overrides or {}))
    except (OSError, yaml.YAMLError, ValuesError) as exc:
        print(f"manifests: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(yaml.safe_dump_all(docs, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
