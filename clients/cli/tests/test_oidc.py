"""`login --oidc`: the browser is played by the test, which follows the provider's
redirect back to the CLI's loopback listener as a browser would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from skyclust_cli import config as cfg
from skyclust_cli.errors import ExitCode
from skyclust_cli.main import app
from skyclust_cli.state import State

from .fake_gateway import FakeGateway

pytestmark = pytest.mark.unit
GATEWAY = "http://gw.test:8080"


def browser(**answer: str) -> tuple[Callable[[str], None], list[str]]:
    """Opens the provider's URL: the provider logs the user in at once and sends the
    browser back to the redirect URI with `answer` (state defaults to the one given)."""
    opened: list[str] = []

    def open_url(url: str) -> None:
        opened.append(url)
        authorize = httpx.URL(url)
        back = {"state": authorize.params["state"], **answer}
        page = httpx.get(authorize.params["redirect_uri"], params=back, timeout=5)
        assert page.status_code == 200 and "close this window" in page.text

    return open_url, opened


def login(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_url: Callable[[str], None]
) -> tuple[int, str]:
    monkeypatch.setenv("SKYCLUST_CONFIG", str(tmp_path / "config.yaml"))
    st = State(transport=FakeGateway().transport(), open_url=open_url)
    result = CliRunner().invoke(app, ["login", "--gateway", GATEWAY, "--oidc", "local"], obj=st)
    return result.exit_code, result.stderr


def test_an_oidc_login_comes_back_to_the_loopback_listener_and_saves_the_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_url, opened = browser(code="code-1")
    code, err = login(tmp_path, monkeypatch, open_url)

    assert code == 0, err
    assert opened and opened[0].startswith("http://idp.test/authorize?")
    assert httpx.URL(opened[0]).params["redirect_uri"].startswith("http://127.0.0.1:")
    context = cfg.load(tmp_path / "config.yaml").current()
    assert (context.user, context.access_token) == ("ada@example.com", "access-1")
    assert opened[0] in err  # printed too, for when no browser opens


def test_a_callback_with_another_state_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_url, _ = browser(code="code-1", state="forged")
    code, err = login(tmp_path, monkeypatch, open_url)
    assert code == ExitCode.AUTH
    assert "error: OIDC_STATE_INVALID:" in err
    assert not (tmp_path / "config.yaml").exists()


def test_a_login_the_provider_refused_exits_3_with_the_gateways_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_url, _ = browser(error="access_denied")
    code, err = login(tmp_path, monkeypatch, open_url)
    assert code == ExitCode.AUTH
    assert "error: OIDC_LOGIN_REFUSED:" in err
