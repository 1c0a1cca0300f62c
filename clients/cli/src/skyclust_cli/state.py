"""What every command shares: the options given before it, the config and the client.
Tests hand a State with a fake transport to the runner (`obj=`)."""

from __future__ import annotations

import sys
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from . import config as cfg
from .client import Api
from .errors import CliError, ExitCode
from .output import Format, Output

OutputOption = Annotated[
    Format | None,
    typer.Option("--output", "-o", help="table, json or yaml", case_sensitive=False),
]
WatchOption = Annotated[
    bool, typer.Option("--watch", "-w", help="follow the operation until it ends")
]
TimeoutOption = Annotated[
    float, typer.Option("--timeout", help="seconds --watch waits before it gives up (exit 4)")
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")]
PROVIDERS = ("aws", "gcp", "azure")


@dataclass
class State:
    context_name: str | None = None
    config_path: Path | None = None
    output: Output = field(default_factory=Output)
    transport: httpx.BaseTransport | None = None
    # How `login --oidc` opens the browser; tests play the browser themselves.
    open_url: Callable[[str], object] = webbrowser.open
    _config: cfg.Config | None = None
    _api: Api | None = None

    def config(self) -> cfg.Config:
        if self._config is None:
            self._config = cfg.load(self.config_path)
        return self._config

    def context(self) -> cfg.Context:
        return self.config().current(self.context_name)

    def api(self) -> Api:
        if self._api is None:
            self._api = Api(self.context(), self.config(), transport=self.transport)
        return self._api

    def api_for(self, context: cfg.Context) -> Api:
        return Api(context, self.config(), transport=self.transport)


def state(ctx: typer.Context, output: Format | None = None) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    st: State = root.obj
    if output is not None:
        st.output.format = output
    return st


def confirm(st: State, question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError(
            "CONFIRMATION_REQUIRED",
            f"{question} (give --yes when not at a terminal)",
            ExitCode.USAGE,
        )
    if not typer.confirm(question, err=True):
        raise CliError("CANCELLED", "nothing was changed", ExitCode.USAGE)


def key_values(pairs: list[str] | None, what: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(
                "BAD_ARGUMENT", f"{what} must be KEY=VALUE, not {pair!r}", ExitCode.USAGE
            )
        values[key] = value
    return values


def with_status(item: dict[str, Any]) -> str:
    reason = item.get("status_reason")
    return f"{item.get('status')} ({reason})" if reason else str(item.get("status") or "")
