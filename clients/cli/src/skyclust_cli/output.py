"""Output: tables for people, JSON or YAML for scripts. Data goes to stdout and nothing
else does (messages and progress go to stderr), so `-o json` can always be piped."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import yaml
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text


class Format(enum.StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


Getter = str | Callable[[dict[str, Any]], Any]
Columns = Sequence[tuple[str, Getter]]

STATUS_STYLES = {
    "READY": "green",
    "valid": "green",
    "success": "green",
    "DELETED": "dim",
    "FAILED": "red",
    "invalid": "red",
    "failure": "red",
    "denied": "red",
}


def pick(item: dict[str, Any], getter: Getter) -> Any:
    if callable(getter):
        return getter(item)
    value: Any = item
    for part in getter.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ",".join(cell(v) for v in value)
    return str(value)


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns two spaces apart, never wrapped or cut (like kubectl's output to a
    pipe), so `awk` and `grep` see whole ids."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    lines = [headers, *rows]
    return "\n".join(
        "  ".join(col.ljust(widths[i]) for i, col in enumerate(line)).rstrip() for line in lines
    )


@dataclass
class Output:
    format: Format = Format.table
    no_color: bool = False
    stdout: TextIO | None = None
    stderr: TextIO | None = None

    @property
    def out(self) -> TextIO:
        return self.stdout or sys.stdout

    @property
    def err(self) -> TextIO:
        return self.stderr or sys.stderr

    def console(self, *, stderr: bool = False) -> Console:
        # --no-color means no escape codes at all (not even bold), as NO_COLOR asks.
        return Console(
            file=self.err if stderr else self.out,
            no_color=self.no_color,
            color_system=None if self.no_color else "auto",
            highlight=False,
            soft_wrap=True,
        )

    @property
    def interactive(self) -> bool:
        return self.console().is_terminal

    @property
    def interactive_err(self) -> bool:
        return self.console(stderr=True).is_terminal

    def _write(self, text: str) -> None:
        self.out.write(text if text.endswith("\n") else text + "\n")
        self.out.flush()

    def data(self, value: Any) -> bool:
        """JSON or YAML of the value; False when the format is a table."""
        if self.format is Format.json:
            self._write(json.dumps(value, indent=2, default=str))
            return True
        if self.format is Format.yaml:
            self._write(yaml.safe_dump(value, sort_keys=False, default_flow_style=False))
            return True
        return False

    def table(self, items: Sequence[dict[str, Any]] | dict[str, Any], columns: Columns) -> None:
        if self.data(items):
            return
        rows_in = [items] if isinstance(items, dict) else list(items)
        headers = [header for header, _ in columns]
        rows = [[cell(pick(item, getter)) for _, getter in columns] for item in rows_in]
        if not self.interactive:
            self._write(plain_table(headers, rows))
            return
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for header in headers:
            table.add_column(header, overflow="fold")
        for row in rows:
            table.add_row(*(Text(c, style=STATUS_STYLES.get(c, "")) for c in row))
        self.console().print(table)

    def detail(self, item: dict[str, Any], columns: Columns) -> None:
        """One resource as `field: value` lines."""
        if self.data(item):
            return
        width = max(len(header) for header, _ in columns)
        pairs = [(f"{header + ':':<{width + 1}} ", cell(pick(item, g))) for header, g in columns]
        if not self.interactive:
            self._write("\n".join((label + value).rstrip() for label, value in pairs))
            return
        console = self.console()
        for label, value in pairs:
            console.print(
                Text(label, style="bold"), Text(value, style=STATUS_STYLES.get(value, "")), sep=""
            )

    def text(self, value: str) -> None:
        """Raw text on stdout (a kubeconfig, a completion script)."""
        self._write(value)

    def note(self, message: str) -> None:
        """A message for the person at the terminal, on stderr."""
        self.console(stderr=True).print(Text(message))

    def error(self, code: str, message: str) -> None:
        console = self.console(stderr=True)
        console.print(
            Text("error: ", style="bold red"),
            Text(f"{code}: ", style="bold"),
            Text(message),
            sep="",
        )
