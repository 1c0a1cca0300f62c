"""The rendered manifests are valid Kubernetes (kubernetes-validate, strict, against a
current version) for the default values and other value sets, and a broken one fails."""

from __future__ import annotations

import copy
from typing import Any

import kubernetes_validate
import pytest

from skyclust_tools.manifests import SERVICES, load_values, render

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
