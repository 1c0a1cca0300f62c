"""An in-memory unit of work with the same contract as `db.UnitOfWork`: what a handler
changes becomes visible only on commit, together with the events it emitted and the
inbox mark of the message it handled; leaving the block without a commit discards all
three. The unit lane runs handlers on it in milliseconds.

A service's fake unit of work subclasses `FakeUnitOfWork` and builds its fake
repositories over `self.table(name)`, a dict of its rows that belongs to this
transaction alone until commit."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from .contracts import ContractRegistry
from .envelope import CloudEvent, command_subject, event_subject


@dataclass
class FakeDatabase:
    """What the fake units of work of one test share: committed rows per table, the
    outbox (in commit order) and the inbox marks."""

    tables: dict[str, dict[Any, Any]] = field(default_factory=dict)
    outbox: list[tuple[CloudEvent, str]] = field(default_factory=list)
    inbox: set[tuple[str, str]] = field(default_factory=set)
    commits: int = 0

    def events(self, name: str | None = None) -> list[CloudEvent]:
        """The committed events and commands, oldest first, optionally of one name."""
        return [event for event, _ in self.outbox if name is None or event.name == name]


class FakeUnitOfWork:
    def __init__(
        self,
        db: FakeDatabase | None = None,
        registry: ContractRegistry | None = None,
    ) -> None:
        self.db = db if db is not None else FakeDatabase()
        self._registry = registry
        self._tables: dict[str, dict[Any, Any]] | None = None
        self._events: list[tuple[CloudEvent, str]] = []
        self._marks: set[tuple[str, str]] = set()

    def read_only(self) -> Self:
        return self

    def table(self, name: str) -> dict[Any, Any]:
        """This transaction's copy of the table `name`."""
        if self._tables is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._tables.setdefault(name, {})

    async def __aenter__(self) -> Self:
        # A deep copy per transaction: a handler that changes a row and then fails
        # leaves the committed row as it was, as a rolled-back transaction does.
        self._tables = copy.deepcopy(self.db.tables)
        self._events = []
        self._marks = set()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._tables = None
        self._events = []
        self._marks = set()

    def emit(self, event: CloudEvent) -> None:
        if self._registry is not None:
            self._registry.validate(event.name, event.data, version=event.version)
        self._events.append((event, event_subject(event)))

    def send(self, service: str, command: CloudEvent) -> None:
        if self._registry is not None:
            self._registry.validate(command.name, command.data, version=command.version)
        self._events.append((command, command_subject(service, command.name)))

    async def seen(self, consumer: str, message_id: str) -> bool:
        key = (consumer, message_id)
        if key in self.db.inbox or key in self._marks:
            return True
        self._marks.add(key)
        return False

    async def commit(self) -> None:
        if self._tables is None:
            raise RuntimeError("unit of work used outside `async with`")
        self.db.tables = self._tables
        self._tables = copy.deepcopy(self._tables)
        self.db.outbox.extend(self._events)
        self.db.inbox |= self._marks
        self.db.commits += 1
        self._events = []
        self._marks = set()
