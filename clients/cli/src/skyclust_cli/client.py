"""The gateway's REST API over httpx: the envelope unwrapped, its error raised as a
CliError, and access tokens refreshed before they expire (or when refused as expired)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from . import __version__
from . import config as cfg
from .errors import CliError, ExitCode, api_error

API = "/api/v1"
# Refresh a little before the expiry, so a request is not refused on its way.
REFRESH_MARGIN_SECONDS = 30
EXPIRED_CODES = frozenset({"TOKEN_EXPIRED"})


def unreachable(gateway: str, exc: Exception) -> CliError:
    return CliError(
        "GATEWAY_UNREACHABLE", f"{gateway}: {exc or type(exc).__name__}", ExitCode.UNREACHABLE
    )


def decode(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class Api:
    def __init__(
        self,
        context: cfg.Context,
        config: cfg.Config | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.context = context
        self.config = config
        self.http = httpx.Client(
            base_url=context.gateway.rstrip("/"),
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": f"skyclust-cli/{__version__}"},
        )

    def close(self) -> None:
        self.http.close()

    # authentication --------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        secret = self.context.api_key or self.context.access_token
        if not secret:
            raise CliError(
                "NOT_LOGGED_IN",
                f"context {self.context.name!r} has no token: run `skyclust login`",
                ExitCode.AUTH,
            )
        return {"Authorization": f"Bearer {secret}"}

    def _expiring(self) -> bool:
        ctx = self.context
        if ctx.api_key or not ctx.refresh_token or ctx.expires_at is None:
            return False
        return time.time() > ctx.expires_at - REFRESH_MARGIN_SECONDS

    def store_tokens(self, tokens: dict[str, Any]) -> None:
        self.context.access_token = tokens["access_token"]
        self.context.refresh_token = tokens["refresh_token"]
        self.context.expires_at = time.time() + float(tokens.get("expires_in") or 900)

    def refresh(self) -> None:
        """Under the config file's lock: a command that refreshed meanwhile has left new
        tokens in the file, and those are taken instead of spending the old refresh token
        a second time (which would end the session)."""
        if self.config is None:
            self._refresh_now()
            return
        with cfg.locked(self.config.path):
            on_disk = cfg.load(self.config.path).contexts.get(self.context.name)
            if on_disk is not None and on_disk.refresh_token != self.context.refresh_token:
                self.context.access_token = on_disk.access_token
                self.context.refresh_token = on_disk.refresh_token
                self.context.expires_at = on_disk.expires_at
            else:
                self._refresh_now()
            self.config.contexts[self.context.name] = self.context
            fresh = cfg.load(self.config.path)
            fresh.contexts[self.context.name] = self.context
            fresh.current_context = fresh.current_context or self.context.name
            cfg.save(fresh)

    def _refresh_now(self) -> None:
        try:
            response = self.http.post(
                f"{API}/auth/refresh", json={"refresh_token": self.context.refresh_token}
            )
        except httpx.TransportError as exc:
            raise unreachable(self.context.gateway, exc) from exc
        if response.status_code != 200:
            error = api_error(response.status_code, decode(response))
            raise CliError(
                error.code,
                f"{error.message}; the session has ended: run `skyclust login` again",
                ExitCode.AUTH,
                status=error.status,
            )
        self.store_tokens(decode(response)["data"])

    # requests --------------------------------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        *,
        authenticated: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        if authenticated and self._expiring():
            self.refresh()
        for attempt in range(2):
            headers = dict(kwargs.pop("headers", None) or {})
            if authenticated:
                headers.update(self.auth_headers())
            try:
                response = self.http.request(method, API + path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                raise unreachable(self.context.gateway, exc) from exc
            if (
                attempt == 0
                and authenticated
                and response.status_code == 401
                and self.context.refresh_token
                and not self.context.api_key
                and api_error(401, decode(response)).code in EXPIRED_CODES
            ):
                self.refresh()
                continue
            return response
        return response

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.send(method, path, **kwargs)
        body = decode(response)
        if response.is_error or not isinstance(body, dict) or body.get("success") is False:
            raise api_error(response.status_code, body)
        return body.get("data")

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("POST", path, json=body, **kwargs)

    def patch(self, path: str, body: Any) -> Any:
        return self.call("PATCH", path, json=body)

    def put(self, path: str, body: Any) -> Any:
        return self.call("PUT", path, json=body)

    def delete(self, path: str) -> Any:
        return self.call("DELETE", path)

    def items(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a list, whether the route answers a bare list or pages of
        `{items, next_cursor}`."""
        cursor: str | None = None
        while True:
            page = self.get(path, **params, **({"cursor": cursor} if cursor else {}))
            if isinstance(page, list):
                yield from page
                return
            if not isinstance(page, dict):
                return
            yield from page.get("items") or []
            cursor = page.get("next_cursor")
            if not cursor:
                return
