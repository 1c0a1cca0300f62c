"""OIDC login in the browser, for a command line (RFC 8252, a loopback redirect).

The CLI plays the gateway's side of the browser: it asks `/auth/oidc/{name}/login` with
a `redirect_uri` on a port of 127.0.0.1 it listens on, keeps the state cookie the gateway
sets, and opens the browser at the provider only. The provider sends the browser back to
the CLI's listener with `code` and `state`; the CLI checks the state is the one its own
login started, then completes the login at the gateway with that cookie."""

from __future__ import annotations

import html
import threading
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .client import API, Api, decode, unreachable
from .errors import CliError, ExitCode, api_error

STATE_COOKIE = "skyclust_oidc_state"
CALLBACK_PATH = "/callback"
FORWARDED = ("code", "state", "error")
DONE_PAGE = (
    "<!doctype html><meta charset=utf-8><title>SkyClust</title>"
    "<p>{message}</p><p>You can close this window and go back to the terminal.</p>"
)


class _Listener(HTTPServer):
    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Callback)
        self.params: dict[str, str] | None = None
        self.arrived = threading.Event()


class _Callback(BaseHTTPRequestHandler):
    server: _Listener

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != CALLBACK_PATH or self.server.arrived.is_set():
            self.send_error(404)
            return
        query = parse_qs(url.query)
        self.server.params = {k: v[0] for k, v in query.items() if k in FORWARDED and v}
        message = "Logged in to SkyClust." if "code" in self.server.params else "Login refused."
        body = DONE_PAGE.format(message=html.escape(message)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
        self.server.arrived.set()

    def log_message(self, format: str, *args: Any) -> None:
        return None  # the terminal is for the user, not for an access log


def browser_login(
    api: Api,
    provider: str,
    *,
    open_url: Callable[[str], object] = webbrowser.open,
    notify: Callable[[str], None] = print,
    port: int = 0,
    timeout: float = 300.0,
) -> dict[str, Any]:
    """The tokens of a login at `provider`, as `POST /auth/login` gives them."""
    listener = _Listener(port)
    thread = threading.Thread(
        target=listener.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    try:
        redirect_uri = f"http://127.0.0.1:{listener.server_port}{CALLBACK_PATH}"
        try:
            started = api.http.get(
                f"{API}/auth/oidc/{provider}/login",
                params={"redirect_uri": redirect_uri},
                follow_redirects=False,
            )
        except Exception as exc:
            raise unreachable(api.context.gateway, exc) from exc
        location = started.headers.get("location")
        if not started.is_redirect or not location:
            raise api_error(started.status_code, decode(started))
        cookie = started.cookies.get(STATE_COOKIE)
        expected = parse_qs(urlsplit(location).query).get("state", [cookie])[0]
        notify(
            f"opening the browser to log in at {provider}; if it does not open, go to:\n{location}"
        )
        open_url(location)
        if not listener.arrived.wait(timeout):
            raise CliError(
                "OIDC_TIMEOUT", f"no answer from the browser within {timeout:.0f}s", ExitCode.AUTH
            )
        params = listener.params or {}
        if "error" not in params and params.get("state") != expected:
            raise CliError(
                "OIDC_STATE_INVALID",
                "the browser came back from a login this command did not start",
                ExitCode.AUTH,
            )
        done = api.http.get(
            f"{API}/auth/oidc/{provider}/callback",
            params=params,
            headers={"Cookie": f"{STATE_COOKIE}={cookie or ''}"},
        )
        body = decode(done)
        if done.is_error or not isinstance(body, dict) or not body.get("success"):
            raise api_error(done.status_code, body)
        tokens: dict[str, Any] = body["data"]
        return tokens
    finally:
        listener.shutdown()
        listener.server_close()
