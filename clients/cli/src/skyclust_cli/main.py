"""The `skyclust` command: global options, the command groups, and the one place an
error becomes `error: CODE: message` and an exit code."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from . import __version__
from .commands import (
    audit,
    auth,
    budgets,
    clusters,
    costs,
    credentials,
    events,
    kube,
    networks,
    node_groups,
)
from .errors import CliError, ExitCode
from .output import Format
from .state import State, state


class Group(TyperGroup):
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CliError as exc:
            _report(ctx, exc.code, exc.message)
            raise typer.Exit(int(exc.exit_code)) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except Exception as exc:
            # A bug; still no traceback for the user (SKYCLUST_DEBUG=1 shows it).
            if os.environ.get("SKYCLUST_DEBUG"):
                raise
            _report(ctx, "INTERNAL_ERROR", f"{type(exc).__name__}: {exc}")
            raise typer.Exit(int(ExitCode.API)) from None


def _report(ctx: Any, code: str, message: str) -> None:
    root = ctx.find_root()
    st = root.obj if isinstance(root.obj, State) else State()
    st.output.error(code, message)


app = typer.Typer(
    cls=Group,
    name="skyclust",
    help="SkyClust: Kubernetes clusters and networks in every cloud, from the command line.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"skyclust {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    context: Annotated[
        str | None,
        typer.Option(
            "--context",
            "-c",
            envvar="SKYCLUST_CONTEXT",
            help="the context to use (default: the current one)",
        ),
    ] = None,
    output: Annotated[
        Format | None,
        typer.Option("--output", "-o", help="table, json or yaml", case_sensitive=False),
    ] = None,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="no colours (also when not a terminal)")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="SKYCLUST_CONFIG",
            help="the config file (default: $XDG_CONFIG_HOME/skyclust/config.yaml)",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    st = state(ctx, output)
    st.context_name = context or st.context_name
    st.config_path = config or st.config_path
    st.output.no_color = st.output.no_color or no_color or bool(os.environ.get("NO_COLOR"))


app.command("login")(auth.login)
app.command("logout")(auth.logout)
app.command("whoami")(auth.whoami)
app.command("audit")(audit.audit)
app.add_typer(auth.context_app, name="context")
app.add_typer(auth.workspace_app, name="workspaces")
app.add_typer(clusters.app, name="clusters")
app.add_typer(node_groups.app, name="node-groups")
app.add_typer(networks.app, name="networks")
app.add_typer(credentials.app, name="credentials")
app.add_typer(events.app, name="events")
app.add_typer(kube.app, name="kubeconfig")
app.add_typer(costs.app, name="costs")
app.add_typer(budgets.app, name="budgets")


def run() -> None:
    app(prog_name="skyclust")
