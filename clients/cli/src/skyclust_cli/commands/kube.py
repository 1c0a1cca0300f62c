"""`skyclust kubeconfig token`: the exec credential plugin of the kubeconfigs SkyClust
issues. kubectl runs it whenever it needs a token, so a kubeconfig keeps working as long
as this CLI's session or API key does, and never holds a credential itself."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from .. import resolve
from ..errors import CliError, ExitCode
from ..state import state

EXEC_API = "client.authentication.k8s.io/v1"
PROVIDERS = ("aws", "gcp", "azure")

app = typer.Typer(help="kubectl's side of SkyClust kubeconfigs", no_args_is_help=True)


def exec_credential(issued: dict[str, Any]) -> dict[str, Any]:
    """The ExecCredential kubectl reads on stdout; without an expiry kubectl would cache
    the token for ever, so an answer without one is an error."""
    if not issued.get("expires_at"):
        raise CliError(
            "TOKEN_WITHOUT_EXPIRY",
            "the gateway issued a credential with no expiry; kubectl would keep it for ever",
            ExitCode.API,
        )
    return {
        "apiVersion": EXEC_API,
        "kind": "ExecCredential",
        "status": {**issued["status"], "expirationTimestamp": issued["expires_at"]},
    }


@app.command("token")
def token(
    ctx: typer.Context,
    cluster: Annotated[str, typer.Option("--cluster", help="the cluster's id")],
    provider: Annotated[str, typer.Option("--provider", "-p", help="aws, gcp or azure")],
) -> None:
    """Print a fresh short-lived credential for the cluster as an ExecCredential (JSON),
    as kubectl's exec plugin protocol expects. Every one is in the audit log."""
    if provider not in PROVIDERS:
        raise CliError(
            "BAD_ARGUMENT", f"--provider is one of {', '.join(PROVIDERS)}", ExitCode.USAGE
        )
    api = state(ctx).api()
    issued = api.get(f"{resolve.clusters_path(provider)}/{cluster}/kubeconfig/token")
    # Raw JSON whatever --output says: kubectl parses this.
    typer.echo(json.dumps(exec_credential(issued)))
