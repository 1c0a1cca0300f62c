"""`skyclust credentials ...`: the workspace's cloud credentials, always masked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from .. import resolve
from ..errors import CliError, ExitCode
from ..output import Columns
from ..state import OutputOption, YesOption, confirm, state

app = typer.Typer(help="Cloud credentials (stored encrypted, shown masked).", no_args_is_help=True)
CredentialArg = Annotated[str, typer.Argument(help="the credential's name or id")]
FileOption = Annotated[
    Path,
    typer.Option(
        "--from-file",
        "-f",
        help="JSON or YAML: {provider, name, data} (data per provider, see docs/vault.md)",
        exists=True,
        dir_okay=False,
    ),
]

COLUMNS: Columns = [
    ("NAME", "name"),
    ("PROVIDER", "provider"),
    ("STATUS", "status"),
    ("ACCOUNT", "account_id"),
    ("MASKED", "masked"),
    ("IN USE", lambda c: len(c.get("in_use") or [])),
    ("LAST USED", "last_used_at"),
    ("ID", "id"),
]


def read_body(path: Path) -> dict[str, Any]:
    text = path.read_text()
    try:
        loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise CliError(
            "BAD_ARGUMENT", f"{path} is not JSON or YAML: {exc}", ExitCode.USAGE
        ) from exc
    if not isinstance(loaded, dict):
        raise CliError("BAD_ARGUMENT", f"{path} must hold a mapping", ExitCode.USAGE)
    return loaded


@app.command("list")
def list_credentials(ctx: typer.Context, output: OutputOption = None) -> None:
    """Every credential of the workspace."""
    st = state(ctx, output)
    st.output.table(list(st.api().items("/credentials")), COLUMNS)


@app.command("get")
def get_credential(
    ctx: typer.Context, credential: CredentialArg, output: OutputOption = None
) -> None:
    """One credential, masked, with what uses it."""
    st = state(ctx, output)
    found = resolve.credential(st.api(), credential)
    st.output.detail(
        found,
        [
            *COLUMNS,
            ("REASON", "status_reason"),
            ("VALIDATED", "last_validated_at"),
            ("USED BY", "in_use"),
        ],
    )


@app.command("add")
def add_credential(
    ctx: typer.Context,
    from_file: FileOption,
    name: Annotated[str | None, typer.Option("--name", help="overrides the file's name")] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", "-p", help="overrides the file's provider")
    ] = None,
    output: OutputOption = None,
) -> None:
    """Store a credential; it is checked against the cloud first."""
    st = state(ctx, output)
    body = read_body(from_file)
    if name:
        body["name"] = name
    if provider:
        body["provider"] = provider
    created = st.api().post("/credentials", body)
    st.output.note(f"credential {created['name']} stored ({created['id']})")
    st.output.table(created, COLUMNS)


@app.command("validate")
def validate_credential(
    ctx: typer.Context, credential: CredentialArg, output: OutputOption = None
) -> None:
    """Check the credential against the cloud now."""
    st = state(ctx, output)
    found = resolve.credential(st.api(), credential)
    checked = st.api().post(f"/credentials/{found['id']}/validate")
    st.output.table(
        checked if isinstance(checked, dict) and "id" in checked else {**found, **(checked or {})},
        COLUMNS,
    )


@app.command("rotate")
def rotate_credential(
    ctx: typer.Context,
    credential: CredentialArg,
    from_file: FileOption,
    output: OutputOption = None,
) -> None:
    """Replace the secret (same account only): the file's `data`, or the whole file."""
    st = state(ctx, output)
    found = resolve.credential(st.api(), credential)
    body = read_body(from_file)
    data = body.get("data", body)
    rotated = st.api().put(f"/credentials/{found['id']}", {"data": data})
    st.output.note(f"credential {found['name']} rotated")
    st.output.table(rotated, COLUMNS)


@app.command("delete")
def delete_credential(
    ctx: typer.Context, credential: CredentialArg, yes: YesOption = False
) -> None:
    """Delete a credential nothing uses any more."""
    st = state(ctx)
    found = resolve.credential(st.api(), credential)
    confirm(st, f"delete credential {found['name']}?", yes)
    st.api().delete(f"/credentials/{found['id']}")
    st.output.note(f"credential {found['name']} deleted")
