"""`--watch`: the stream is opened before the change is asked for, so no event of it can
be missed, then followed until the operation ends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import CliError, ExitCode
from .sse import EventStream
from .state import State
from .watch import CLUSTER_EVENTS, Tracker, follow


def reread_or_none(read: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any] | None]:
    def reread() -> dict[str, Any] | None:
        try:
            return read()
        except CliError as exc:
            if exc.status == 404:
                return None
            raise

    return reread


def watched(
    st: State,
    start: Callable[[], dict[str, Any]],
    tracker_for: Callable[[dict[str, Any]], Tracker],
    read: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    timeout: float,
    resource: str | None = None,
) -> dict[str, Any]:
    """Ask for the change with `start` (what it returns names the resource), follow it to
    its end, and return the resource as it is then (or as `start` gave it, once gone)."""
    stream = EventStream(st.api(), types=CLUSTER_EVENTS, resource=resource)
    stream.open()
    try:
        started = start()
        tracker = tracker_for(started)
        reread = reread_or_none(lambda: read(started))
        try:
            follow(tracker, stream, st.output.console(stderr=True), timeout=timeout, reread=reread)
        except KeyboardInterrupt as exc:
            raise CliError(
                "INTERRUPTED", "stopped watching; the operation goes on", ExitCode.INTERRUPTED
            ) from exc
    finally:
        stream.close()
    return reread() or started
