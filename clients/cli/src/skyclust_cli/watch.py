"""Following an operation on the event stream: which step it is in, how long each took,
and how it ended. `Tracker.apply` is pure (event and clock in, step states and log lines
out), so the mapping from events to steps is tested as a table; `follow` feeds it from
the stream and draws it with rich, or as plain lines when stderr is not a terminal."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from .errors import CliError, ExitCode
from .sse import Event, Heartbeat


class Operation(enum.StrEnum):
    create = "create"
    delete = "delete"
    upgrade = "upgrade"
    node_group_create = "node-group create"
    node_group_scale = "node-group scale"
    node_group_delete = "node-group delete"


class State(enum.StrEnum):
    waiting = "waiting"
    running = "running"
    done = "done"
    failed = "failed"


@dataclass
class Step:
    key: str
    label: str
    total: int = 1
    completed: int = 0
    state: State = State.waiting
    started_at: float | None = None
    finished_at: float | None = None
    detail: str = ""

    def elapsed(self, now: float) -> float:
        if self.started_at is None:
            return 0.0
        return (self.finished_at or now) - self.started_at


@dataclass
class Outcome:
    ok: bool
    code: str = ""
    message: str = ""


# The events that can move an operation; the stream is asked for these only.
CLUSTER_EVENTS = [
    "ClusterRequested",
    "ClusterProvisioning",
    "ClusterNetworkReady",
    "ClusterNetworkFailed",
    "ClusterNetworkReleased",
    "ClusterReady",
    "ClusterFailed",
    "ClusterDeleteRequested",
    "ClusterDeleted",
    "ClusterUpgradeRequested",
    "ClusterUpgraded",
    "ClusterUpgradeFailed",
    "NodeGroupRequested",
    "NodeGroupReady",
    "NodeGroupFailed",
    "NodeGroupUpdateRequested",
    "NodeGroupScaled",
    "NodeGroupDeleteRequested",
    "NodeGroupDeleted",
    "VpcReady",
    "SubnetReady",
    "SecurityGroupReady",
]

CREATE_STEPS = {"network": 0, "control-plane": 1, "node-groups": 2}


def _steps(operation: Operation, node_groups: int, name: str) -> list[Step]:
    groups = max(node_groups, 1)
    match operation:
        case Operation.create:
            return [
                Step("network", "network"),
                Step("control-plane", "control plane"),
                Step("node-groups", "node groups", total=groups),
            ]
        case Operation.delete:
            return [
                Step("node-groups", "node groups", total=groups),
                Step("control-plane", "control plane"),
                Step("network", "network"),
            ]
        case Operation.upgrade:
            return [
                Step("control-plane", "control plane"),
                Step("node-groups", "node groups", total=groups),
            ]
        case _:
            return [Step("node-group", f"node group {name}")]


@dataclass
class Tracker:
    operation: Operation
    resource_id: str
    name: str = ""
    node_groups: int = 0
    target_version: str | None = None
    steps: list[Step] = field(default_factory=list)
    outcome: Outcome | None = None
    started_at: float = 0.0

    def __post_init__(self) -> None:
        if not self.steps:
            self.steps = _steps(self.operation, self.node_groups, self.name)

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)

    # transitions ------------------------------------------------------------------

    def _start(self, key: str, now: float, log: list[str]) -> None:
        """Starting a step finishes the ones before it: the saga only moves forward."""
        for step in self.steps:
            if step.key == key:
                if step.state is State.waiting:
                    step.state, step.started_at = State.running, now
                    log.append(f"{step.label}: started")
                return
            self._finish(step.key, now, log)

    def _finish(self, key: str, now: float, log: list[str], detail: str = "") -> None:
        step = self.step(key)
        if step.state in (State.done, State.failed):
            return
        if step.started_at is None:
            step.started_at = now
        step.state, step.finished_at, step.completed = State.done, now, step.total
        step.detail = detail or step.detail
        suffix = f" ({step.detail})" if step.detail else ""
        log.append(f"{step.label}: done in {step.elapsed(now):.1f}s{suffix}")

    def _advance(self, key: str, now: float, log: list[str], what: str) -> None:
        self._start(key, now, log)
        step = self.step(key)
        step.completed = min(step.total, step.completed + 1)
        log.append(f"{step.label}: {what} ({step.completed}/{step.total})")
        if step.completed >= step.total:
            self._finish(key, now, log)

    def _succeed(self, now: float, log: list[str]) -> None:
        for step in self.steps:
            self._finish(step.key, now, log)
        self.outcome = Outcome(True)

    def _fail(self, code: str, message: str, now: float, log: list[str]) -> None:
        for step in self.steps:
            if step.state is State.running:
                step.state, step.finished_at = State.failed, now
        self.outcome = Outcome(False, code or "FAILED", message or "the operation failed")
        log.append(f"failed: {self.outcome.code}: {self.outcome.message}")

    # events -----------------------------------------------------------------------

    def apply(self, event: Event, now: float) -> list[str]:
        """The log lines the event gives; the steps and outcome change in place."""
        log: list[str] = []
        if self.outcome is not None or not event.about(self.resource_id):
            return log
        data = event.payload
        match self.operation:
            case Operation.create:
                self._on_create(event.name, data, now, log)
            case Operation.delete:
                self._on_delete(event.name, data, now, log)
            case Operation.upgrade:
                self._on_upgrade(event.name, data, now, log)
            case _:
                self._on_node_group(event, data, now, log)
        return log

    def _on_create(self, name: str, data: dict[str, Any], now: float, log: list[str]) -> None:
        if name == "ClusterProvisioning":
            step = str(data.get("step") or "")
            if step in CREATE_STEPS:
                self._start(step, now, log)
            elif step == "compensating":
                log.append("rolling back what was made")
        elif name in ("VpcReady", "SubnetReady", "SecurityGroupReady"):
            kind = {"VpcReady": "network", "SubnetReady": "subnet"}.get(name, "security group")
            cidr = f" {data['cidr']}" if data.get("cidr") else ""
            log.append(f"network: {kind} {data.get('name', '')}{cidr} ready")
        elif name == "ClusterNetworkReady":
            vpc = data.get("vpc") or {}
            detail = " ".join(str(v) for v in (vpc.get("name"), vpc.get("cidr_block")) if v)
            self._finish("network", now, log, detail)
        elif name == "ClusterNetworkFailed":
            log.append(f"network: failed: {data.get('code', '')}: {data.get('message', '')}")
        elif name == "NodeGroupReady":
            self._advance("node-groups", now, log, f"{data.get('name', '')} ready")
        elif name == "ClusterReady":
            self._succeed(now, log)
        elif name == "ClusterFailed":
            self._fail(str(data.get("code", "")), str(data.get("message", "")), now, log)

    def _on_delete(self, name: str, data: dict[str, Any], now: float, log: list[str]) -> None:
        if name == "ClusterDeleteRequested":
            self._start("node-groups", now, log)
            if self.node_groups == 0:
                self._start("control-plane", now, log)
        elif name == "NodeGroupDeleted":
            self._advance("node-groups", now, log, f"{data.get('name', '')} deleted")
            self._start("control-plane", now, log)
        elif name == "ClusterNetworkReleased":
            self._start("network", now, log)
            self._finish("network", now, log)
        elif name == "ClusterDeleted":
            self._succeed(now, log)
        elif name == "ClusterFailed":
            self._fail(str(data.get("code", "")), str(data.get("message", "")), now, log)

    def _on_upgrade(self, name: str, data: dict[str, Any], now: float, log: list[str]) -> None:
        if name == "ClusterUpgradeRequested":
            self._start("control-plane", now, log)
        elif name == "ClusterProvisioning" and data.get("step") == "upgrade-node-groups":
            self._start("node-groups", now, log)
        elif name == "NodeGroupScaled" or name == "NodeGroupReady":
            self._advance("node-groups", now, log, f"{data.get('name', '')} upgraded")
        elif name == "ClusterUpgraded":
            self._succeed(now, log)
        elif name == "ClusterUpgradeFailed":
            self._fail(str(data.get("code", "")), str(data.get("message", "")), now, log)

    def _on_node_group(
        self, event: Event, data: dict[str, Any], now: float, log: list[str]
    ) -> None:
        if event.subject != self.resource_id and data.get("node_group_id") != self.resource_id:
            return
        done = {
            Operation.node_group_create: "NodeGroupReady",
            Operation.node_group_scale: "NodeGroupScaled",
            Operation.node_group_delete: "NodeGroupDeleted",
        }[self.operation]
        if event.name in (
            "NodeGroupRequested",
            "NodeGroupUpdateRequested",
            "NodeGroupDeleteRequested",
        ):
            self._start("node-group", now, log)
        elif event.name == done:
            if "desired_size" in data:
                self.step("node-group").detail = (
                    f"desired {data['desired_size']}, min {data.get('min_size')}, "
                    f"max {data.get('max_size')}"
                )
            self._succeed(now, log)
        elif event.name == "NodeGroupFailed":
            self._fail(str(data.get("code", "")), str(data.get("message", "")), now, log)

    # state read back (after a reconnect, events may have been missed) -------------

    def sync(self, resource: dict[str, Any] | None, now: float) -> list[str]:
        """The outcome read from the resource itself (None: it is gone, a 404), for when
        events may have been missed while the stream was reconnecting."""
        log: list[str] = []
        if self.outcome is not None:
            return log
        status = (resource or {}).get("status")
        if resource is not None and status == "FAILED":
            reason = str(resource.get("status_reason") or "FAILED")
            self._fail(reason, str(resource.get("status_message") or ""), now, log)
        elif self.operation in (Operation.delete, Operation.node_group_delete):
            if resource is None or status == "DELETED":
                self._succeed(now, log)
        elif resource is None:
            self._fail("NOT_FOUND", "it is gone", now, log)
        elif self.operation is Operation.upgrade:
            if status == "READY" and not resource.get("target_version"):
                if resource.get("version") == self.target_version:
                    self._succeed(now, log)
                else:
                    self._fail(
                        "UPGRADE_FAILED", "the cluster is READY on its old version", now, log
                    )
        elif status == "READY" and self.operation is not Operation.node_group_scale:
            self._succeed(now, log)
        return log


# drawing --------------------------------------------------------------------------


class Plain:
    """One line per change, with the time since the watch began: for logs and pipes."""

    def __init__(self, console: Console, tracker: Tracker) -> None:
        self.console, self.tracker = console, tracker

    def __enter__(self) -> Plain:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def show(self, lines: Iterable[str], now: float) -> None:
        for line in lines:
            self.console.print(Text(f"[{now - self.tracker.started_at:6.1f}s] {line}"))


class Live:
    """A bar per step with its own elapsed time; log lines scroll above the bars."""

    def __init__(self, console: Console, tracker: Tracker) -> None:
        self.tracker = tracker
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("{task.description:<16}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("{task.fields[state]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Live:
        self.progress.__enter__()
        for step in self.tracker.steps:
            self.tasks[step.key] = self.progress.add_task(
                step.label, total=step.total, start=False, state=step.state.value
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def show(self, lines: Iterable[str], now: float) -> None:
        for line in lines:
            self.progress.console.print(
                Text(f"[{now - self.tracker.started_at:6.1f}s] {line}", style="dim")
            )
        for step in self.tracker.steps:
            task = self.tasks[step.key]
            if step.state is not State.waiting and not self.progress.tasks[task].started:
                self.progress.start_task(task)
            self.progress.update(task, completed=step.completed, state=step.state.value)
            if step.state in (State.done, State.failed):
                self.progress.stop_task(task)


def follow(
    tracker: Tracker,
    events: Iterable[Event | Heartbeat],
    console: Console,
    *,
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
    reread: Callable[[], dict[str, Any] | None] | None = None,
) -> Outcome:
    """Feed the stream to the tracker until the operation ends; raise a CliError (exit 4)
    when it fails, or when `timeout` seconds pass first. After a reconnect the resource
    is read again (`reread`), in case what ended it was missed."""
    resync: list[bool] = []
    if reread is not None and hasattr(events, "on_reconnect"):
        events.on_reconnect = lambda: resync.append(True)
    tracker.started_at = clock()
    view: Plain | Live = Live(console, tracker) if console.is_terminal else Plain(console, tracker)
    with view:
        for item in events:
            now = clock()
            if isinstance(item, Event):
                view.show(tracker.apply(item, now), now)
            if resync and reread is not None:
                resync.clear()
                view.show(tracker.sync(reread(), now), now)
            if tracker.outcome is not None:
                break
            if now - tracker.started_at > timeout:
                raise CliError(
                    "WATCH_TIMEOUT",
                    f"not finished after {timeout:.0f}s; it goes on (`skyclust events tail`)",
                    ExitCode.WATCH,
                )
    outcome = tracker.outcome
    if outcome is None:
        raise CliError("WATCH_ENDED", "the event stream ended first", ExitCode.WATCH)
    if not outcome.ok:
        raise CliError(outcome.code, outcome.message, ExitCode.WATCH)
    return outcome
