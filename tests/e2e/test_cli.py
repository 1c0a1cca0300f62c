"""The `skyclust` CLI against the live platform, through typer's runner: log in, store a
credential, create a cluster with --watch until READY, merge its kubeconfig, scale it,
fail on purpose, and delete it with --watch."""

from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from skyclust_cli.errors import ExitCode
from skyclust_cli.main import app
from skyclust_tools.emulators import AwsAdmin

from .client import Api
from .conftest import Platform

pytestmark = pytest.mark.e2e
PASSWORD = "correct-horse-9"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("SKYCLUST_CONFIG", str(tmp_path / "skyclust" / "config.yaml"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kube" / "config"))
    for name in ("SKYCLUST_CONTEXT", "SKYCLUST_GATEWAY_URL", "SKYCLUST_API_KEY"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), input=stdin)

    return run


def log_in(cli: Any, platform: Platform) -> dict[str, Any]:
    user = Api(platform.gateway_url).signup(PASSWORD)
    login = cli(
        "login",
        "--gateway",
        platform.gateway_url,
        "--email",
        user["email"],
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    assert login.exit_code == 0, login.output
    return user


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_cli_login_create_watch_kubeconfig_scale_fail_and_delete(
    platform: Platform, local_aws_credential: dict[str, object], cli: Any, tmp_path: Path
) -> None:
    user = log_in(cli, platform)
    config_file = tmp_path / "skyclust" / "config.yaml"
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    me = as_json(cli("whoami", "-o", "json"))
    assert me["user"] == user["email"] and me["role"] == "admin"

    body = tmp_path / "aws.json"
    body.write_text(json.dumps({**local_aws_credential, "name": "cli-aws"}))
    credential = as_json(cli("credentials", "add", "--from-file", str(body), "-o", "json"))
    assert credential["status"] == "valid" and credential["name"] == "cli-aws"

    name = f"cli-{uuid.uuid4().hex[:6]}"
    created = cli(
        "clusters",
        "create",
        name,
        "--credential",
        "cli-aws",
        "--version",
        "1.30",
        "--node-group",
        "name=workers,desired=1,max=3",
        "--watch",
        "--timeout",
        "240",
        "-o",
        "json",
    )
    assert created.exit_code == 0, created.output
    cluster = json.loads(created.stdout)
    assert cluster["status"] == "READY" and cluster["name"] == name
    progress = created.stderr
    for line in (
        "network: started",
        "network: done in",
        "control plane: started",
        "control plane: done in",
        "node groups: workers ready (1/1)",
        "node groups: done in",
        f"cluster {name} is READY",
    ):
        assert line in progress, progress
    assert progress.index("network: done") < progress.index("control plane: started")
    assert progress.index("control plane: done") < progress.index("node groups: done")

    # the network made for it, in the network commands
    vpcs = [
        v
        for v in as_json(cli("networks", "vpcs", "list", "-o", "json"))
        if v.get("cluster_id") == cluster["id"]
    ]
    assert len(vpcs) == 1 and vpcs[0]["cidr_block"] == cluster["network"]["cidr_block"]
    groups_shown = cli("networks", "security-groups", "list", "-p", "aws")
    assert groups_shown.exit_code == 0 and vpcs[0]["id"] in groups_shown.stdout
    plan = as_json(cli("networks", "cidr-plan", "--prefix-length", "16", "-o", "json"))
    assert plan["cidr_block"] != cluster["network"]["cidr_block"]
    layout = tmp_path / "layout.yaml"
    layout.write_text(yaml.safe_dump({"vpcs": [{"cidr_block": cluster["network"]["cidr_block"]}]}))
    overlap = cli("networks", "cidr-plan", "--check", str(layout))
    assert overlap.exit_code == ExitCode.API, overlap.output

    listed = as_json(cli("clusters", "list", "-o", "json"))
    assert [c["id"] for c in listed if c["name"] == name] == [cluster["id"]]

    # kubeconfig: merged beside an entry that is already there, and made current
    kube_path = tmp_path / "kube" / "config"
    kube_path.parent.mkdir()
    kube_path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "kind", "cluster": {"server": "https://127.0.0.1:6443"}}],
                "users": [{"name": "kind", "user": {"token": "t"}}],
                "contexts": [{"name": "kind", "context": {"cluster": "kind", "user": "kind"}}],
                "current-context": "kind",
            }
        )
    )
    merged = cli("clusters", "kubeconfig", name)
    assert merged.exit_code == 0, merged.output
    kube = yaml.safe_load(kube_path.read_text())
    assert {c["name"] for c in kube["contexts"]} == {"kind", name}
    assert kube["current-context"] == name
    assert any(c["name"] == name and c["cluster"]["server"] for c in kube["clusters"])
    assert stat.S_IMODE(kube_path.stat().st_mode) == 0o600

    scaled = cli("clusters", "scale", name, "--desired", "2", "--watch", "-o", "json")
    assert scaled.exit_code == 0, scaled.output
    assert json.loads(scaled.stdout)["desired_size"] == 2
    groups = as_json(cli("node-groups", "list", name, "-o", "json"))
    assert [(g["name"], g["desired_size"], g["status"]) for g in groups] == [
        ("workers", 2, "READY")
    ]

    # failures exit non-zero with the stable code, never a traceback
    taken = cli("clusters", "create", name, "--credential", "cli-aws", "--version", "1.30")
    assert taken.exit_code == ExitCode.API
    assert "error: CLUSTER_NAME_TAKEN:" in taken.stderr and "Traceback" not in taken.output
    missing = cli(
        "clusters", "create", "other", "--credential", str(uuid.uuid4()), "--version", "1.30"
    )
    assert missing.exit_code == ExitCode.API
    assert "error: CREDENTIAL_NOT_FOUND:" in missing.stderr

    deleted = cli("clusters", "delete", name, "--yes", "--watch", "--timeout", "240")
    assert deleted.exit_code == 0, deleted.output
    assert "node groups: workers deleted (1/1)" in deleted.stderr
    assert f"cluster {name} deleted" in deleted.stderr
    after = cli("clusters", "get", cluster["id"], "-o", "json")
    if after.exit_code == 0:
        assert json.loads(after.stdout)["status"] == "DELETED"
    else:
        assert after.exit_code == ExitCode.API and "CLUSTER_NOT_FOUND" in after.stderr

    events = cli(
        "events",
        "tail",
        "--since-id",
        "0",
        "--cluster",
        cluster["id"],
        "--count",
        "3",
        "-o",
        "json",
    )
    assert events.exit_code == 0, events.output
    lines = [json.loads(line) for line in events.stdout.splitlines()]
    assert len(lines) == 3 and all(e["subject"] for e in lines)
    assert lines[0]["event"] == "ClusterRequested"

    audit = as_json(cli("audit", "--action", "create_cluster", "-o", "json"))
    assert {r["outcome"] for r in audit} == {"success", "failure"}


def test_cli_watch_of_a_create_the_cloud_refuses_exits_4_with_the_code(
    platform: Platform, local_aws_credential: dict[str, object], cli: Any, tmp_path: Path
) -> None:
    log_in(cli, platform)
    body = tmp_path / "aws.json"
    body.write_text(json.dumps(local_aws_credential))
    assert cli("credentials", "add", "-f", str(body)).exit_code == 0
    aws = AwsAdmin(platform.env["SKYCLUST_AWS_ENDPOINT_URL"])
    # EKS refuses the control plane once: a permanent failure, rolled back.
    aws.inject_fault(r"^/clusters$", method="POST", status=400)
    try:
        name = f"cli-{uuid.uuid4().hex[:6]}"
        failed = cli(
            "clusters",
            "create",
            name,
            "-C",
            str(local_aws_credential["name"]),
            "--version",
            "1.30",
            "--watch",
            "--timeout",
            "240",
        )
    finally:
        aws.clear_faults()

    assert failed.exit_code == ExitCode.WATCH, failed.output
    assert "control plane: started" in failed.stderr
    assert "failed: PROVIDER_INVALID_REQUEST:" in failed.stderr
    assert "error: PROVIDER_INVALID_REQUEST:" in failed.stderr
    assert "Traceback" not in failed.output
    shown = as_json(cli("clusters", "get", name, "-o", "json"))
    assert (shown["status"], shown["status_reason"]) == ("FAILED", "PROVIDER_INVALID_REQUEST")


def test_cli_with_an_api_key_and_a_second_workspace(
    platform: Platform, local_aws_credential: dict[str, object], cli: Any
) -> None:
    api = Api(platform.gateway_url)
    user = api.signup(PASSWORD)
    key = api.post("/api/v1/api-keys", json={"name": "ci", "role": "user"}).json()["data"]["key"]
    second = api.post("/api/v1/workspaces", json={"name": "second"})
    assert second.status_code in (200, 201), second.text

    keyed = cli("login", "--gateway", platform.gateway_url, "--api-key", key, "--name", "ci")
    assert keyed.exit_code == 0, keyed.output
    assert as_json(cli("clusters", "list", "-o", "json")) == []
    # An API key has no session, so the stream is opened with its header, not a ticket.
    tail = cli("events", "tail", "--since-id", "0", "--count", "1", "-o", "json")
    assert tail.exit_code == 0, tail.output
    assert json.loads(tail.stdout.splitlines()[0])["event"]
    refused = cli("workspaces", "use", "second")
    assert refused.exit_code == ExitCode.USAGE and "API_KEY_WORKSPACE" in refused.stderr

    login = cli(
        "login",
        "--gateway",
        platform.gateway_url,
        "--email",
        user["email"],
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    assert login.exit_code == 0, login.output
    first = cli("context", "current").stdout.strip()
    switched = cli("workspaces", "use", "second")
    assert switched.exit_code == 0, switched.output
    assert (
        cli("context", "current").stdout.strip() == f"second@{platform.gateway_url.split('//')[1]}"
    )
    assert yaml.safe_load(cli("whoami", "-o", "yaml").stdout)["workspace"] == "second"
    # the first context's session still works
    assert cli("--context", first, "whoami").exit_code == 0
    names = {c["name"] for c in as_json(cli("context", "list", "-o", "json"))}
    assert {"ci", first, f"second@{platform.gateway_url.split('//')[1]}"} <= names
