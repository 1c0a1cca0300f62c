"""`skyclust events tail`: the workspace's live events."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.text import Text

from .. import resolve
from ..errors import CliError, ExitCode
from ..sse import Event, EventStream
from ..state import OutputOption, state

app = typer.Typer(help="The workspace's event stream.", no_args_is_help=True)

FAILURES = ("Failed", "Invalid", "Vanished", "DeadLettered")


def summary(event: Event) -> str:
    data = event.payload
    parts = [str(data[k]) for k in ("name", "step", "code", "message") if data.get(k)]
    if "progress" in data:
        parts.append(f"{data['progress']}%")
    return " ".join(parts)


@app.command("tail")
def tail(
    ctx: typer.Context,
    types: Annotated[
        list[str] | None,
        typer.Option("--type", "-t", help="only this event (e.g. ClusterReady); repeat for more"),
    ] = None,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="only events about this cluster (name or id)")
    ] = None,
    resource: Annotated[
        str | None, typer.Option("--resource", help="only events about this cluster or network id")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since-id", help="replay from after this event id")
    ] = None,
    count: Annotated[
        int | None, typer.Option("--count", help="stop after this many events")
    ] = None,
    output: OutputOption = None,
) -> None:
    """Follow the events as they happen (Ctrl-C stops); reconnects by itself and misses
    nothing (Last-Event-ID). -o json prints one CloudEvent per line."""
    st = state(ctx, output)
    api = st.api()
    wanted = resource
    if cluster:
        # An id is taken as it is: a deleted cluster's events are still worth reading.
        wanted = cluster if resolve.is_uuid(cluster) else resolve.cluster(api, cluster)["id"]
    stream = EventStream(api, types=types, resource=wanted, last_event_id=since)
    console = st.output.console()
    seen = 0
    try:
        with stream:
            for item in stream:
                if not isinstance(item, Event):
                    continue
                if st.output.format.value == "table":
                    style = (
                        "red"
                        if item.name.endswith(FAILURES)
                        else ("green" if item.name.endswith("Ready") else "")
                    )
                    console.print(
                        Text(f"{item.id or '':>6} {item.data.get('time', '')[:23]:<23} "),
                        Text(f"{item.name:<26}", style=style),
                        Text(f" {item.subject or '':<36} {summary(item)}"),
                        sep="",
                    )
                else:
                    st.output.text(
                        json.dumps({"id": item.id, "event": item.name, **item.data}, default=str)
                    )
                seen += 1
                if count is not None and seen >= count:
                    return
    except KeyboardInterrupt as exc:
        raise CliError("INTERRUPTED", "stopped", ExitCode.INTERRUPTED) from exc
