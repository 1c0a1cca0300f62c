"""The commands through typer's runner, against a fake gateway (httpx.MockTransport)."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from skyclust_cli import config as cfg
from skyclust_cli.errors import ExitCode
from skyclust_cli.main import app
from skyclust_cli.state import State

from .fake_gateway import CLUSTER, FakeGateway

pytestmark = pytest.mark.unit
GATEWAY = "http://gw.test:8080"


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "skyclust" / "config.yaml"
    monkeypatch.setenv("SKYCLUST_CONFIG", str(path))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kube" / "config"))
    monkeypatch.delenv("SKYCLUST_CONTEXT", raising=False)
    monkeypatch.delenv("SKYCLUST_GATEWAY_URL", raising=False)
    return path


def logged_in(path: Path, gateway: FakeGateway, *, expires_in: float = 900) -> None:
    config = cfg.Config(path=path, current_context="platform@gw")
    config.contexts["platform@gw"] = cfg.Context(
        "platform@gw",
        GATEWAY,
        workspace_name="platform",
        workspace_id="w1",
        access_token=gateway.access_token,
        refresh_token=gateway.refresh_token,
        expires_at=time.time() + expires_in,
    )
    cfg.save(config)


def run(gateway: FakeGateway, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, list(args), obj=State(transport=gateway.transport()), input=stdin
    )
    return result.exit_code, result.stdout, result.stderr


def test_login_saves_a_0600_context_and_makes_it_current(
    gateway: FakeGateway, config_file: Path
) -> None:
    code, _, err = run(
        gateway,
        "login",
        "--gateway",
        GATEWAY,
        "--email",
        "ada@example.com",
        "--password-stdin",
        stdin="correct-horse-9\n",
    )

    assert code == 0, err
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    saved = cfg.load(config_file)
    assert saved.current_context == "platform@gw.test:8080"
    context = saved.current()
    assert (context.gateway, context.user, context.workspace_id) == (
        GATEWAY,
        "ada@example.com",
        "w1",
    )
    assert context.access_token == "access-1" and context.refresh_token == "refresh-1"


def test_a_wrong_password_exits_3_with_the_code(gateway: FakeGateway, config_file: Path) -> None:
    code, out, err = run(
        gateway,
        "login",
        "--gateway",
        GATEWAY,
        "--email",
        "a@b.c",
        "--password-stdin",
        stdin="nope\n",
    )
    assert code == ExitCode.AUTH
    assert "error: INVALID_CREDENTIALS: invalid email or password" in err
    assert out == "" and "Traceback" not in err
    assert not config_file.exists()


def test_an_unknown_oidc_provider_is_the_gateways_error(
    gateway: FakeGateway, config_file: Path
) -> None:
    code, _, err = run(gateway, "login", "--gateway", GATEWAY, "--oidc", "google", "--no-browser")
    assert code == ExitCode.API
    assert "error: OIDC_PROVIDER_UNKNOWN: no such provider" in err


def test_contexts_list_use_and_current(gateway: FakeGateway, config_file: Path) -> None:
    logged_in(config_file, gateway)
    config = cfg.load(config_file)
    config.contexts["other"] = cfg.Context("other", "http://other:8080", api_key="sk_x")
    cfg.save(config)

    assert run(gateway, "context", "current")[1].strip() == "platform@gw"
    code, out, _ = run(gateway, "context", "list")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["other", "*"]
    assert run(gateway, "context", "use", "other")[0] == 0
    assert run(gateway, "context", "current")[1].strip() == "other"
    code, _, err = run(gateway, "context", "use", "nowhere")
    assert code == ExitCode.USAGE and "CONTEXT_NOT_FOUND" in err


def test_not_logged_in_exits_3(gateway: FakeGateway, config_file: Path) -> None:
    code, _, err = run(gateway, "clusters", "list")
    assert code == ExitCode.AUTH
    assert "error: NO_CONTEXT:" in err


def test_list_as_a_plain_table_when_not_a_terminal(gateway: FakeGateway, config_file: Path) -> None:
    logged_in(config_file, gateway)
    code, out, _ = run(gateway, "clusters", "list")
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["NAME", "PROVIDER", "REGION", "VERSION", "STATUS", "PROGRESS", "ID"]
    assert row.split() == ["demo", "aws", "us-east-1", "1.30", "READY", "100%", CLUSTER["id"]]
    assert "\x1b[" not in out


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_json_and_yaml_output_parse_back_to_the_api_data(
    gateway: FakeGateway, config_file: Path, fmt: str
) -> None:
    logged_in(config_file, gateway)
    code, out, _ = run(gateway, "clusters", "list", "-o", fmt)
    assert code == 0
    parsed = json.loads(out) if fmt == "json" else yaml.safe_load(out)
    assert parsed == [CLUSTER]
    code, out, _ = run(gateway, "-o", fmt, "clusters", "get", "demo")
    assert (json.loads(out) if fmt == "json" else yaml.safe_load(out)) == CLUSTER


def test_an_api_error_prints_its_code_and_exits_1(gateway: FakeGateway, config_file: Path) -> None:
    logged_in(config_file, gateway)
    code, out, err = run(gateway, "clusters", "get", "22222222-2222-2222-2222-222222222222")
    assert code == ExitCode.API
    assert (
        err.strip() == "error: CLUSTER_NOT_FOUND: no cluster '22222222-2222-2222-2222-222222222222'"
    )
    assert out == ""


def test_an_unreachable_gateway_exits_5(config_file: Path) -> None:
    import httpx

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    gateway = FakeGateway()
    logged_in(config_file, gateway)
    result = CliRunner().invoke(
        app, ["clusters", "list"], obj=State(transport=httpx.MockTransport(refuse))
    )
    assert result.exit_code == ExitCode.UNREACHABLE
    assert "error: GATEWAY_UNREACHABLE:" in result.stderr and "Traceback" not in result.output


def test_an_expiring_token_is_refreshed_first_and_saved(
    gateway: FakeGateway, config_file: Path
) -> None:
    logged_in(config_file, gateway, expires_in=5)
    code, _, err = run(gateway, "clusters", "list")
    assert code == 0, err
    assert gateway.refreshes == 1
    saved = cfg.load(config_file).current()
    assert (saved.access_token, saved.refresh_token) == ("access-2", "refresh-2")
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600


def test_a_token_refused_as_expired_is_refreshed_and_the_request_retried(
    gateway: FakeGateway, config_file: Path
) -> None:
    logged_in(config_file, gateway)
    gateway.expire_next = 1
    code, out, _ = run(gateway, "clusters", "get", "demo", "-o", "json")
    assert code == 0
    assert json.loads(out)["id"] == CLUSTER["id"]
    assert gateway.refreshes == 1


def test_a_refresh_that_another_command_already_made_is_taken_from_the_file(
    gateway: FakeGateway, config_file: Path
) -> None:
    """Refresh tokens work once: the second command must not spend the old one again."""
    logged_in(config_file, gateway, expires_in=5)
    stale = State(transport=gateway.transport())
    stale.config()  # read before the other command refreshes
    assert run(gateway, "clusters", "list")[0] == 0
    result = CliRunner().invoke(app, ["clusters", "list"], obj=stale)
    assert result.exit_code == 0, result.output
    assert gateway.refreshes == 1


def test_kubeconfig_is_merged_into_kubeconfig_and_made_current(
    gateway: FakeGateway, config_file: Path, tmp_path: Path
) -> None:
    logged_in(config_file, gateway)
    kube_path = tmp_path / "kube" / "config"
    kube_path.parent.mkdir()
    kube_path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "kind", "cluster": {"server": "https://k"}}],
                "users": [],
                "contexts": [{"name": "kind", "context": {"cluster": "kind", "user": "kind"}}],
                "current-context": "kind",
            }
        )
    )
    gateway.kubeconfig = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "demo", "cluster": {"server": "https://demo"}}],
            "users": [{"name": "skyclust-demo", "user": {"token": "t"}}],
            "contexts": [{"name": "demo", "context": {"cluster": "demo", "user": "skyclust-demo"}}],
            "current-context": "demo",
        }
    )

    code, _, err = run(gateway, "clusters", "kubeconfig", "demo")

    assert code == 0, err
    merged = yaml.safe_load(kube_path.read_text())
    assert [c["name"] for c in merged["contexts"]] == ["kind", "demo"]
    assert merged["current-context"] == "demo"
    assert stat.S_IMODE(kube_path.stat().st_mode) == 0o600
    assert str(kube_path) in err


def test_a_bad_option_is_a_usage_error(gateway: FakeGateway, config_file: Path) -> None:
    logged_in(config_file, gateway)
    code, _, _ = run(gateway, "clusters", "list", "--bogus")
    assert code == ExitCode.USAGE
    code, _, err = run(gateway, "clusters", "scale", "demo")
    assert code == ExitCode.USAGE and "give --desired" in err


def test_deleting_without_a_terminal_needs_yes(gateway: FakeGateway, config_file: Path) -> None:
    logged_in(config_file, gateway)
    code, _, err = run(gateway, "clusters", "delete", "demo")
    assert code == ExitCode.USAGE
    assert "CONFIRMATION_REQUIRED" in err


CREATE_EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("ClusterRequested", {}),
    ("ClusterProvisioning", {"step": "network", "progress": 10}),
    ("ClusterNetworkReady", {"vpc": {"name": "demo-net", "cidr_block": "10.0.0.0/16"}}),
    ("ClusterProvisioning", {"step": "control-plane", "progress": 30}),
    ("ClusterProvisioning", {"step": "node-groups", "progress": 70}),
    ("NodeGroupReady", {"name": "workers"}),
]


def test_create_watch_opens_the_stream_before_asking_and_exits_0_on_ready(
    gateway: FakeGateway, config_file: Path
) -> None:
    logged_in(config_file, gateway)
    gateway.events = [*CREATE_EVENTS, ("ClusterReady", {})]

    code, out, err = run(
        gateway,
        "clusters",
        "create",
        "demo",
        "-C",
        "local-aws",
        "--version",
        "1.30",
        "-n",
        "name=workers,desired=2",
        "--watch",
        "-o",
        "json",
    )

    assert code == 0, err
    assert json.loads(out)["status"] == "READY"
    paths = [(r.method, r.url.path) for r in gateway.requests]
    stream_at = paths.index(("GET", "/api/v1/events/stream"))
    assert stream_at < paths.index(("POST", "/api/v1/aws/kubernetes/clusters"))
    create = next(r for r in gateway.requests if r.method == "POST" and "clusters" in r.url.path)
    assert json.loads(create.content) == {
        "name": "demo",
        "credential_id": "44444444-4444-4444-4444-444444444444",
        "version": "1.30",
        "region": "us-east-1",
        "node_groups": [{"name": "workers", "min_size": 1, "max_size": 2, "desired_size": 2}],
    }
    for line in ("network: done in", "(demo-net 10.0.0.0/16)", "node groups: workers ready (1/1)"):
        assert line in err


def test_create_watch_exits_4_with_the_failure_code(
    gateway: FakeGateway, config_file: Path
) -> None:
    logged_in(config_file, gateway)
    gateway.events = [
        *CREATE_EVENTS[:4],
        ("ClusterFailed", {"code": "PROVIDER_QUOTA_EXCEEDED", "message": "no more clusters"}),
    ]
    code, out, err = run(
        gateway, "clusters", "create", "demo", "-C", "local-aws", "--version", "1.30", "--watch"
    )
    assert code == ExitCode.WATCH == 4
    assert "error: PROVIDER_QUOTA_EXCEEDED: no more clusters" in err
    assert out == ""


def test_shell_completion_offers_commands_and_cluster_names(
    gateway: FakeGateway, config_file: Path
) -> None:
    logged_in(config_file, gateway)

    def complete(words: str) -> list[str]:
        env = {
            "_SKYCLUST_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        }
        result = CliRunner().invoke(
            app, [], env=env, prog_name="skyclust", obj=State(transport=gateway.transport())
        )
        return result.stdout.split()

    assert "clusters" in complete("skyclust cl")
    assert complete("skyclust clusters get de") == ["demo"]


def test_workspaces_use_makes_a_context_of_its_own_from_the_current_login(
    gateway: FakeGateway, config_file: Path
) -> None:
    logged_in(config_file, gateway)
    code, out, _ = run(gateway, "workspaces", "list")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["*", "data"]

    code, _, err = run(gateway, "workspaces", "use", "data team")

    assert code == 0, err
    config = cfg.load(config_file)
    assert config.current_context == "data-team@gw.test:8080"
    switched = config.current()
    assert (switched.workspace_id, switched.access_token) == ("w2", "access-w2")
    assert config.contexts["platform@gw"].access_token == "access-1"
    code, _, err = run(gateway, "workspaces", "use", "nowhere")
    assert code == ExitCode.API and "WORKSPACE_NOT_FOUND" in err


def test_at_a_terminal_tables_are_coloured_unless_no_color(
    gateway: FakeGateway, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logged_in(config_file, gateway)
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then takes the runner's stdout for a terminal
    monkeypatch.delenv("NO_COLOR", raising=False)
    code, coloured, _ = run(gateway, "clusters", "list")
    assert code == 0 and "\x1b[" in coloured and "READY" in coloured

    code, plain, err = run(gateway, "--no-color", "clusters", "get", "nope")
    assert code == ExitCode.API and "\x1b[" not in err
    code, plain, _ = run(gateway, "--no-color", "clusters", "list")
    assert code == 0 and "\x1b[" not in plain
    assert "demo" in plain and "─" in plain  # still rich's table, only without escapes


def test_login_asks_for_the_email_and_a_hidden_password(
    gateway: FakeGateway, config_file: Path
) -> None:
    code, _, err = run(
        gateway, "login", "--gateway", GATEWAY, stdin="ada@example.com\ncorrect-horse-9\n"
    )
    assert code == 0, err
    assert "Email:" in err and "Password:" in err
    assert "correct-horse-9" not in err
    assert cfg.load(config_file).current().user == "ada@example.com"


def test_login_asks_for_the_one_time_code_when_mfa_is_on(
    gateway: FakeGateway, config_file: Path
) -> None:
    gateway.mfa_code = "123456"
    code, _, err = run(
        gateway, "login", "--gateway", GATEWAY, stdin="ada@example.com\ncorrect-horse-9\n123456\n"
    )
    assert code == 0, err
    assert "One-time code:" in err
    assert cfg.load(config_file).current().access_token == gateway.access_token


def test_login_takes_the_code_from_otp_and_exits_3_on_a_wrong_one(
    gateway: FakeGateway, config_file: Path
) -> None:
    gateway.mfa_code = "123456"
    args = ("login", "--gateway", GATEWAY, "--email", "ada@example.com", "--password-stdin")
    code, _, err = run(gateway, *args, "--otp", "123456", stdin="correct-horse-9\n")
    assert code == 0, err
    assert "One-time code" not in err
    code, _, err = run(gateway, *args, "--otp", "654321", stdin="correct-horse-9\n")
    assert code == ExitCode.AUTH
    assert "INVALID_MFA_CODE" in err
