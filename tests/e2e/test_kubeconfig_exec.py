"""The exec-credential kubeconfig against the live platform. The CLI merges a cluster's
kubeconfig; it is read back as `kubectl config view --raw` would give it, and its
`users[].user.exec` is run exactly as kubectl runs it (command, args and env, with
KUBERNETES_EXEC_INFO). The platform says EKS tokens last 8 s here, so the test waits
until a static kubeconfig's token has expired and shows that the plugin still hands
kubectl a fresh, valid token, and that every issue is in /audit-logs."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import yaml

from .conftest import Platform
from .test_cli import as_json, cli, log_in  # noqa: F401

pytestmark = pytest.mark.e2e


def view_raw(path: Path) -> dict[str, Any]:
    """What `kubectl config view --raw` prints; kubectl itself when it is installed."""
    kubectl = shutil.which("kubectl")
    if kubectl:
        out = subprocess.run(
            [kubectl, "config", "view", "--raw", "-o", "json", "--kubeconfig", str(path)],
            check=True,
            capture_output=True,
        ).stdout
        return dict(json.loads(out))
    return dict(yaml.safe_load(path.read_text()))


def run_exec_plugin(config: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """The current context's exec plugin, run as kubectl runs it."""
    context = next(c for c in config["contexts"] if c["name"] == config["current-context"])
    user = next(u for u in config["users"] if u["name"] == context["context"]["user"])
    plugin = user["user"]["exec"]
    command = shutil.which(plugin["command"], path=env["PATH"])
    assert command, f"{plugin['command']} is not on PATH"
    info = {
        "apiVersion": plugin["apiVersion"],
        "kind": "ExecCredential",
        "spec": {"interactive": False},
    }
    plugin_env = {
        **env,
        **{e["name"]: e["value"] for e in plugin.get("env") or []},
        "KUBERNETES_EXEC_INFO": json.dumps(info),
    }
    done = subprocess.run(
        [command, *plugin.get("args", [])],
        env=plugin_env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    return dict(json.loads(done.stdout))


def presigned_sts(token: str) -> dict[str, list[str]]:
    assert token.startswith("k8s-aws-v1.")
    encoded = token.removeprefix("k8s-aws-v1.")
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    parsed = urlparse(url)
    assert parsed.hostname and parsed.hostname.startswith("sts.")
    return parse_qs(parsed.query)


def test_the_exec_plugin_outlives_the_static_token_and_every_issue_is_audited(
    platform: Platform,
    local_aws_credential: dict[str, object],
    cli: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    log_in(cli, platform)
    body = tmp_path / "aws.json"
    body.write_text(json.dumps({**local_aws_credential, "name": "exec-aws"}))
    as_json(cli("credentials", "add", "--from-file", str(body), "-o", "json"))
    name = f"exec-{uuid.uuid4().hex[:6]}"
    created = cli(
        "clusters", "create", name, "--credential", "exec-aws", "--version", "1.30",
        "--watch", "--timeout", "240", "-o", "json",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    cluster = json.loads(created.stdout)

    static = cli("clusters", "kubeconfig", name, "--static", "--print")
    assert static.exit_code == 0, static.output
    static_user = yaml.safe_load(static.stdout)["users"][0]["user"]
    static_signed = presigned_sts(static_user["token"])["X-Amz-Date"][0]

    merged = cli("clusters", "kubeconfig", name)
    assert merged.exit_code == 0, merged.output
    config = view_raw(tmp_path / "kube" / "config")
    user = config["users"][0]["user"]
    assert set(user) == {"exec"}, "the exec kubeconfig holds no credential"

    # The static token has expired by now (8 s here); the plugin still answers.
    time.sleep(9)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SKYCLUST_")},
        "SKYCLUST_CONFIG": os.environ["SKYCLUST_CONFIG"],
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    first = run_exec_plugin(config, env)
    second = run_exec_plugin(config, env)
    now = datetime.now(UTC)
    for credential in (first, second):
        assert credential["apiVersion"] == "client.authentication.k8s.io/v1"
        assert credential["kind"] == "ExecCredential"
        expires = datetime.fromisoformat(credential["status"]["expirationTimestamp"])
        assert expires > now, "kubectl would be handed an expired token"
        query = presigned_sts(credential["status"]["token"])
        assert query["Action"] == ["GetCallerIdentity"]
        assert query["X-Amz-Date"][0] > static_signed
    assert first["status"]["token"] != static_user["token"]

    # identity stores AuditRecorded from the event stream: it may take a moment.
    deadline = time.monotonic() + 30
    while True:
        records = as_json(
            cli("audit", "--resource-id", cluster["id"], "--resource-type", "cluster", "-o", "json")
        )
        issued = [r for r in records if r["action"] in ("issue_cluster_token", "issue_kubeconfig")]
        if len(issued) >= 4 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    tokens = [r for r in issued if r["action"] == "issue_cluster_token"]
    assert len(tokens) == 2 and len(issued) == 4, [r["action"] for r in records]
    expiries = {r["details"]["expires_at"] for r in tokens}
    assert expiries == {
        first["status"]["expirationTimestamp"],
        second["status"]["expirationTimestamp"],
    }
    for record in issued:
        assert record["actor_type"] == "user" and record["actor_id"]
        assert record["details"]["cluster"] == name
    assert not any(first["status"]["token"] in json.dumps(r) for r in records)


def test_an_aks_exec_kubeconfig_hands_kubectl_entra_tokens_for_the_aks_server_app(
    platform: Platform,
    cli: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    log_in(cli, platform)
    body = json.loads((platform.state_dir / "credentials" / "azure.json").read_text())
    source = tmp_path / "azure.json"
    source.write_text(json.dumps({**body, "name": f"exec-azure-{uuid.uuid4().hex[:4]}"}))
    added = as_json(cli("credentials", "add", "--from-file", str(source), "-o", "json"))
    name = f"aks-{uuid.uuid4().hex[:6]}"
    created = cli(
        "clusters", "create", name, "--credential", added["name"], "--version", "1.31",
        "--region", "westeurope", "--watch", "--timeout", "240", "-o", "json",
    )  # fmt: skip
    assert created.exit_code == 0, created.output

    merged = cli("clusters", "kubeconfig", name)
    assert merged.exit_code == 0, merged.output
    config = view_raw(tmp_path / "kube" / "config")
    context = next(c for c in config["contexts"] if c["name"] == config["current-context"])
    user = next(u for u in config["users"] if u["name"] == context["context"]["user"])
    assert set(user["user"]) == {"exec"}, "the exec kubeconfig holds no credential"
    server = next(c for c in config["clusters"] if c["name"] == context["context"]["cluster"])
    assert server["cluster"]["server"].startswith("https://")

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SKYCLUST_")},
        "SKYCLUST_CONFIG": os.environ["SKYCLUST_CONFIG"],
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    credential = run_exec_plugin(config, env)
    assert credential["kind"] == "ExecCredential"
    expires = datetime.fromisoformat(credential["status"]["expirationTimestamp"])
    assert expires > datetime.now(UTC)
    claims = jwt.decode(credential["status"]["token"], options={"verify_signature": False})
    assert claims["aud"] == "6dae42f8-4368-4678-94ff-3960e28e3630"
    assert claims["appid"] == body["data"]["client_id"]
    # azure-identity reckons the expiry from `expires_in` on its own clock: seconds apart.
    assert abs(claims["exp"] - expires.timestamp()) < 30
