"""Kubernetes manifests for SkyClust, rendered from a values file with no Helm binary:
`python -m skyclust_tools.manifests [--values FILE]` prints one multi-document YAML.

Per enabled service: a ServiceAccount, a Deployment (probes on the health/metrics port,
non-root, read-only root filesystem, resources within 512 MiB), a Service, and for a
service with a database a Job running its `migrate` command, which must finish before
the Deployment is applied or upgraded. Secrets are the operator's own (one per service,
named in the values); nothing here holds a secret value. NATS and Postgres are external."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

DEFAULT_VALUES = (
    Path(__file__).resolve().parents[3] / "deploy" / "helm" / "skyclust" / "values.yaml"
)
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


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    unknown = sorted(set(values["services"]) - set(SERVICES))
    if unknown:
        raise ValueError(f"unknown services in values: {', '.join(unknown)}")
    docs: list[dict[str, Any]] = []
    for service in SERVICES:
        if values["services"].get(service, {}).get("enabled", True):
            docs += service_manifests(service, values)
    return docs


def load_values(
    path: Path = DEFAULT_VALUES, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load(path.read_text())
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--values", type=Path, default=DEFAULT_VALUES)
    args = parser.parse_args()
    sys.stdout.write(yaml.safe_dump_all(render(load_values(args.values)), sort_keys=False))


if __name__ == "__main__":
    main()
