"""`skyclust kubeconfig token`, kubectl's exec plugin, and the exec kubeconfig the CLI
merges: a fresh ExecCredential each run, the CLI's own session behind it, and the plugin
pinned to the CLI context that fetched the kubeconfig."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from .fake_gateway import CLUSTER, FakeGateway
from .test_commands import config_file, gateway, logged_in, run  # noqa: F401

pytestmark = pytest.mark.unit
CLUSTER_ID = str(CLUSTER["id"])


def test_the_token_command_prints_a_fresh_exec_credential(
    gateway: FakeGateway,  # noqa: F811
    config_file: Path,  # noqa: F811
) -> None:
    logged_in(config_file, gateway)
    args = ("kubeconfig", "token", "--provider", "aws", "--cluster", CLUSTER_ID)
    code, out, err = run(gateway, "-o", "table", *args)
    assert code == 0, err
    first = json.loads(out)
    assert first == {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": "k8s-token-1", "expirationTimestamp": "2030-01-01T00:15:00+00:00"},
    }
    code, out, _ = run(gateway, *args)
    assert json.loads(out)["status"]["token"] == "k8s-token-2"
    asked = [r for r in gateway.requests if r.url.path.endswith("/kubeconfig/token")]
    assert asked[-1].url.path == f"/api/v1/aws/kubernetes/clusters/{CLUSTER_ID}/kubeconfig/token"
    assert asked[-1].headers["authorization"] == f"Bearer {gateway.access_token}"


def test_the_token_command_refuses_an_unknown_provider_and_a_logged_out_cli(
    gateway: FakeGateway,  # noqa: F811
    config_file: Path,  # noqa: F811
) -> None:
    code, _, err = run(gateway, "kubeconfig", "token", "--provider", "aws", "--cluster", "x")
    assert code != 0 and err
    logged_in(config_file, gateway)
    code, _, err = run(gateway, "kubeconfig", "token", "--provider", "ibm", "--cluster", "x")
    assert code == 2 and "--provider" in err


def test_an_exec_kubeconfig_is_merged_with_its_plugin_pinned_to_this_context(
    gateway: FakeGateway,  # noqa: F811
    config_file: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    logged_in(config_file, gateway)
    plugin = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": "skyclust",
        "args": ["kubeconfig", "token", "--provider", "aws", "--cluster", CLUSTER_ID],
        "interactiveMode": "Never",
    }
    gateway.kubeconfig = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "demo", "cluster": {"server": "https://demo"}}],
            "users": [{"name": "skyclust-demo", "user": {"exec": plugin}}],
            "contexts": [{"name": "demo", "context": {"cluster": "demo", "user": "skyclust-demo"}}],
            "current-context": "demo",
        }
    )
    kube_path = tmp_path / "config"
    code, _, err = run(gateway, "clusters", "kubeconfig", "demo", "--file", str(kube_path))
    assert code == 0, err
    merged = yaml.safe_load(kube_path.read_text())
    args = merged["users"][0]["user"]["exec"]["args"]
    assert args == ["--context", "platform@gw", *plugin["args"]]
    asked = [r for r in gateway.requests if r.url.path.endswith("/kubeconfig")]
    assert asked[-1].url.params["mode"] == "exec"
    run(gateway, "clusters", "kubeconfig", "demo", "--static", "--print")
    asked = [r for r in gateway.requests if r.url.path.endswith("/kubeconfig")]
    assert asked[-1].url.params["mode"] == "static"
