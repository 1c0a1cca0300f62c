from __future__ import annotations

import stat
from pathlib import Path

import pytest

from skyclust_cli import config as cfg
from skyclust_cli.errors import CliError, ExitCode

pytestmark = pytest.mark.unit


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_path_follows_skyclust_config_then_xdg_then_home(tmp_path: Path) -> None:
    assert cfg.config_path({"SKYCLUST_CONFIG": str(tmp_path / "c.yaml")}) == tmp_path / "c.yaml"
    assert (
        cfg.config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "skyclust" / "config.yaml"
    )
    assert cfg.config_path({}) == Path.home() / ".config" / "skyclust" / "config.yaml"


def test_contexts_round_trip_and_the_file_is_0600(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "config.yaml"
    config = cfg.Config(path=path, current_context="b")
    config.contexts["a"] = cfg.Context("a", "http://one:8080", workspace_name="x", api_key="sk_1")
    config.contexts["b"] = cfg.Context("b", "http://two:8080", access_token="t", refresh_token="r")
    cfg.save(config)

    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    loaded = cfg.load(path)
    assert loaded.current().name == "b"
    assert loaded.current("a").api_key == "sk_1"
    assert loaded.contexts["b"].refresh_token == "r"
    assert "None" not in path.read_text() and "null" not in path.read_text()


def test_a_file_others_can_read_is_narrowed_to_0600_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("current-context: a\ncontexts:\n  a: {gateway: 'http://g'}\n")
    path.chmod(0o644)

    loaded = cfg.load(path)

    assert loaded.current().gateway == "http://g"
    assert mode(path) == 0o600
    assert "readable by others" in capsys.readouterr().err


def test_no_current_context_is_an_auth_error_and_an_unknown_one_a_usage_error(
    tmp_path: Path,
) -> None:
    config = cfg.load(tmp_path / "absent.yaml")
    with pytest.raises(CliError) as none:
        config.current()
    assert (none.value.code, none.value.exit_code) == ("NO_CONTEXT", ExitCode.AUTH)
    with pytest.raises(CliError) as unknown:
        config.current("elsewhere")
    assert (unknown.value.code, unknown.value.exit_code) == ("CONTEXT_NOT_FOUND", ExitCode.USAGE)


def test_a_context_without_a_gateway_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("contexts:\n  a: {workspace_name: x}\n")
    path.chmod(0o600)
    with pytest.raises(CliError) as refused:
        cfg.load(path)
    assert refused.value.code == "CONFIG_INVALID"
