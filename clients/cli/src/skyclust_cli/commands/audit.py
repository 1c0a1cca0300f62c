"""`skyclust audit`: who did what in the workspace (admins only)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..output import Columns
from ..state import OutputOption, state

COLUMNS: Columns = [
    ("TIME", lambda r: str(r.get("occurred_at") or "")[:19]),
    ("ACTOR", lambda r: f"{r.get('actor_type')}:{r.get('actor_id')}"),
    ("ACTION", "action"),
    (
        "RESOURCE",
        lambda r: f"{r.get('resource_type') or ''}/{r.get('resource_id') or ''}".strip("/"),
    ),
    ("OUTCOME", "outcome"),
    ("STATUS", "status_code"),
    ("REQUEST", "request_id"),
]


def audit(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(help="from this time (ISO 8601)")] = None,
    until: Annotated[str | None, typer.Option(help="up to this time (ISO 8601)")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="a user or API key id")] = None,
    action: Annotated[str | None, typer.Option(help="e.g. create_cluster")] = None,
    resource_type: Annotated[
        str | None, typer.Option("--resource-type", help="e.g. cluster")
    ] = None,
    resource_id: Annotated[str | None, typer.Option("--resource-id")] = None,
    outcome: Annotated[str | None, typer.Option(help="success, failure or denied")] = None,
    limit: Annotated[int, typer.Option(help="records to show, newest first")] = 50,
    output: OutputOption = None,
) -> None:
    """The audit trail, newest first, with filters."""
    st = state(ctx, output)
    params: dict[str, Any] = {
        "since": since,
        "until": until,
        "actor_id": actor,
        "action": action,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "outcome": outcome,
        "limit": min(limit, 100),
    }
    records: list[dict[str, Any]] = []
    for record in st.api().items("/audit-logs", **params):
        records.append(record)
        if len(records) >= limit:
            break
    st.output.table(records, COLUMNS)
