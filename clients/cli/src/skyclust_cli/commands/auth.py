"""login, logout, whoami and the contexts (`skyclust context list|use|current|delete`)."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from .. import config as cfg
from ..client import Api
from ..errors import CliError, ExitCode
from ..oidc import browser_login
from ..state import OutputOption, state

context_app = typer.Typer(help="Contexts: a gateway, a workspace and a login each.")
workspace_app = typer.Typer(help="Your workspaces on the current context's gateway.")

GATEWAY_ENV = "SKYCLUST_GATEWAY_URL"


def _gateway(st: Any, given: str | None) -> str:
    if given:
        return given.rstrip("/")
    if os.environ.get(GATEWAY_ENV):
        return os.environ[GATEWAY_ENV].rstrip("/")
    config = st.config()
    if config.current_context in config.contexts:
        return str(config.contexts[config.current_context].gateway)
    raise CliError("NO_GATEWAY", "give --gateway URL (or set SKYCLUST_GATEWAY_URL)", ExitCode.USAGE)


def _context_name(gateway: str, workspace: str | None) -> str:
    host = urlsplit(gateway).netloc or gateway
    return "-".join(f"{workspace or 'default'}@{host}".split())


def _switch(api: Api, workspace: str) -> None:
    """The api's tokens moved to another of the user's workspaces (id or name)."""
    _switch_into(api, workspace, api)


def _switch_into(api: Api, workspace: str, target: Api) -> None:
    """Tokens for another of the user's workspaces, named by id or name, into `target`."""
    workspaces = api.get("/workspaces") or []
    found = [w for w in workspaces if workspace in (w.get("id"), w.get("name"))]
    if not found:
        raise CliError("WORKSPACE_NOT_FOUND", f"you are not a member of {workspace!r}")
    if len(found) > 1:
        raise CliError(
            "AMBIGUOUS_NAME",
            f"{len(found)} workspaces are named {workspace!r}: use its id",
            ExitCode.USAGE,
        )
    target.store_tokens(api.post("/auth/switch-workspace", {"workspace_id": found[0]["id"]}))


def _no_browser(url: str) -> None:
    return None


def login(
    ctx: typer.Context,
    gateway: Annotated[
        str | None, typer.Option(help="the gateway's URL, e.g. http://127.0.0.1:8080")
    ] = None,
    email: Annotated[str | None, typer.Option(help="your email (asked when not given)")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key", envvar="SKYCLUST_API_KEY", help="log in with an API key (sk_…), for CI"
        ),
    ] = None,
    workspace: Annotated[
        str | None, typer.Option(help="the workspace (id or name) to work in")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="the context's name (default workspace@host)")
    ] = None,
    oidc: Annotated[
        str | None,
        typer.Option("--oidc", help="log in in the browser through this OIDC provider"),
    ] = None,
    callback_port: Annotated[
        int, typer.Option(help="with --oidc: the local port the browser comes back to (0: any)")
    ] = 0,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="with --oidc: print the URL, open nothing")
    ] = False,
    otp: Annotated[
        str | None,
        typer.Option("--otp", help="the authenticator's code (or a recovery code) if MFA is on"),
    ] = None,
) -> None:
    """Log in and save the session as a context, which becomes the current one."""
    st = state(ctx)
    url = _gateway(st, gateway)
    context = cfg.Context(name="", gateway=url)
    api = st.api_for(context)
    if api_key and not (oidc or email):
        context.api_key = api_key.strip()
        api.get("/credentials")  # refused with INVALID_TOKEN unless the key is good
        context.workspace_name = "api-key"
    else:
        if oidc:
            opener = _no_browser if no_browser else st.open_url
            tokens = browser_login(
                api, oidc, open_url=opener, notify=st.output.note, port=callback_port
            )
        else:
            user = email or typer.prompt("Email", err=True)
            if password_stdin:
                secret = sys.stdin.readline().rstrip("\r\n")
            else:
                secret = typer.prompt("Password", hide_input=True, err=True)
            tokens = api.post(
                "/auth/login", {"email": user, "password": secret}, authenticated=False
            )
        if tokens.get("mfa_required"):
            code = otp or typer.prompt("One-time code", err=True)
            tokens = api.post(
                "/auth/login/mfa",
                {"mfa_token": tokens["mfa_token"], **_second_factor(code)},
                authenticated=False,
            )
        api.store_tokens(tokens)
        if workspace:
            _switch(api, workspace)
        me = api.get("/auth/me")
        context.user = me["user"]["email"]
        context.workspace_id = me["workspace"]["id"]
        context.workspace_name = me["workspace"]["name"]
    context.name = name or _context_name(url, context.workspace_name)
    with cfg.locked(st.config().path):
        config = cfg.load(st.config().path)
        config.contexts[context.name] = context
        config.current_context = context.name
        cfg.save(config)
    who = f"as {context.user} " if context.user else "with an API key "
    st.output.note(f"logged in to {url} {who}in {context.workspace_name}; context {context.name!r}")


def _second_factor(code: str) -> dict[str, str]:
    """Six digits are an authenticator's code; anything else a recovery code."""
    code = code.strip()
    digits = code.replace(" ", "")
    return {"code": digits} if digits.isdigit() and len(digits) == 6 else {"recovery_code": code}


def logout(ctx: typer.Context) -> None:
    """End the session and forget its tokens (the context stays, for `login`)."""
    st = state(ctx)
    context = st.context()
    if context.access_token:
        try:
            st.api().post("/auth/logout")
        except CliError as exc:
            if exc.exit_code is not ExitCode.AUTH:
                raise
    with cfg.locked(st.config().path):
        config = cfg.load(st.config().path)
        kept = config.contexts[context.name]
        kept.access_token = kept.refresh_token = kept.expires_at = kept.api_key = None
        cfg.save(config)
    st.output.note(f"logged out of {context.name!r}")


def whoami(ctx: typer.Context, output: OutputOption = None) -> None:
    """The user and workspace of the current context."""
    st = state(ctx, output)
    context = st.context()
    if context.api_key:
        info: dict[str, Any] = {
            "context": context.name,
            "gateway": context.gateway,
            "auth": "api-key",
        }
    else:
        me = st.api().get("/auth/me")
        info = {
            "context": context.name,
            "gateway": context.gateway,
            "user": me["user"]["email"],
            "workspace": me["workspace"]["name"],
            "workspace_id": me["workspace"]["id"],
            "role": me["workspace"].get("role"),
        }
    st.output.detail(info, [(k, k) for k in info])


@context_app.command("list")
def list_contexts(ctx: typer.Context, output: OutputOption = None) -> None:
    """Every context; the current one is marked with *."""
    st = state(ctx, output)
    config = st.config()
    rows = [
        {
            "current": "*" if name == config.current_context else "",
            "name": name,
            "gateway": c.gateway,
            "workspace": c.workspace_name,
            "user": c.user or ("api-key" if c.api_key else ""),
            "logged_in": c.authenticated,
        }
        for name, c in sorted(config.contexts.items())
    ]
    st.output.table(
        rows,
        [
            ("CURRENT", "current"),
            ("NAME", "name"),
            ("GATEWAY", "gateway"),
            ("WORKSPACE", "workspace"),
            ("USER", "user"),
        ],
    )


@context_app.command("use")
def use_context(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="a context's name")]
) -> None:
    """Make a context the current one."""
    st = state(ctx)
    with cfg.locked(st.config().path):
        config = cfg.load(st.config().path)
        if name not in config.contexts:
            raise CliError("CONTEXT_NOT_FOUND", f"no context named {name!r}", ExitCode.USAGE)
        config.current_context = name
        cfg.save(config)
    st.output.note(f"switched to context {name!r}")


@context_app.command("current")
def current_context(ctx: typer.Context) -> None:
    """The current context's name."""
    st = state(ctx)
    st.output.text(st.context().name)


@context_app.command("delete")
def delete_context(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="a context's name")]
) -> None:
    """Forget a context and its tokens (the session is not ended: `logout` does that)."""
    st = state(ctx)
    with cfg.locked(st.config().path):
        config = cfg.load(st.config().path)
        if config.contexts.pop(name, None) is None:
            raise CliError("CONTEXT_NOT_FOUND", f"no context named {name!r}", ExitCode.USAGE)
        if config.current_context == name:
            config.current_context = next(iter(sorted(config.contexts)), None)
        cfg.save(config)
    st.output.note(f"deleted context {name!r}")


@workspace_app.command("list")
def list_workspaces(ctx: typer.Context, output: OutputOption = None) -> None:
    """The workspaces you belong to; * marks the current context's."""
    st = state(ctx, output)
    current = st.context().workspace_id
    rows = [
        {**w, "current": "*" if w.get("id") == current else ""}
        for w in st.api().get("/workspaces") or []
    ]
    st.output.table(
        rows, [("CURRENT", "current"), ("NAME", "name"), ("ROLE", "role"), ("ID", "id")]
    )


@workspace_app.command("use")
def use_workspace(
    ctx: typer.Context,
    workspace: Annotated[str, typer.Argument(help="the workspace's name or id")],
    name: Annotated[
        str | None, typer.Option("--name", help="the new context's name (default workspace@host)")
    ] = None,
) -> None:
    """Work in another of your workspaces: a context for it, from the current login
    (a session of its own, so the current context keeps working)."""
    st = state(ctx)
    current = st.context()
    if current.api_key:
        raise CliError(
            "API_KEY_WORKSPACE", "an API key belongs to one workspace: log in", ExitCode.USAGE
        )
    api = st.api()
    context = cfg.Context(name="", gateway=current.gateway)
    switched = st.api_for(context)
    _switch_into(api, workspace, switched)
    me = switched.get("/auth/me")
    context.user = me["user"]["email"]
    context.workspace_id = me["workspace"]["id"]
    context.workspace_name = me["workspace"]["name"]
    context.name = name or _context_name(current.gateway, context.workspace_name)
    with cfg.locked(st.config().path):
        config = cfg.load(st.config().path)
        config.contexts[context.name] = context
        config.current_context = context.name
        cfg.save(config)
    st.output.note(f"working in {context.workspace_name}; context {context.name!r}")
