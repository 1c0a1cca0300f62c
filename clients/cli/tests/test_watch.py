"""What each event does to a watched operation, as tables; and the stream parsed and
resumed with Last-Event-ID."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from rich.console import Console

from skyclust_cli import config as cfg
from skyclust_cli.client import Api
from skyclust_cli.errors import CliError, ExitCode
from skyclust_cli.sse import Event, EventStream, Heartbeat, parse
from skyclust_cli.watch import Operation, State, Tracker, follow

pytestmark = pytest.mark.unit
CID = "c0000000-0000-0000-0000-000000000001"
NG = "n0000000-0000-0000-0000-000000000001"


def ev(event: str, subject: str = CID, **data: Any) -> Event:
    return Event(event, None, {"subject": subject, "data": {"cluster_id": CID, **data}})


def states(tracker: Tracker) -> dict[str, str]:
    return {s.key: s.state.value for s in tracker.steps}


CREATE = [
    (
        ev("ClusterRequested"),
        {"network": "waiting", "control-plane": "waiting", "node-groups": "waiting"},
    ),
    (
        ev("ClusterProvisioning", step="network", progress=10),
        {"network": "running", "control-plane": "waiting", "node-groups": "waiting"},
    ),
    (
        ev("ClusterNetworkReady", vpc={"name": "demo-1", "cidr_block": "10.0.0.0/16"}),
        {"network": "done", "control-plane": "waiting", "node-groups": "waiting"},
    ),
    (
        ev("ClusterProvisioning", step="control-plane", progress=30),
        {"network": "done", "control-plane": "running", "node-groups": "waiting"},
    ),
    (
        ev("ClusterProvisioning", step="node-groups", progress=70),
        {"network": "done", "control-plane": "done", "node-groups": "running"},
    ),
    (
        ev("NodeGroupReady", subject=NG, name="a"),
        {"network": "done", "control-plane": "done", "node-groups": "running"},
    ),
    (
        ev("NodeGroupReady", subject=NG, name="b"),
        {"network": "done", "control-plane": "done", "node-groups": "done"},
    ),
    (ev("ClusterReady"), {"network": "done", "control-plane": "done", "node-groups": "done"}),
]


def test_a_create_moves_through_network_control_plane_and_node_groups() -> None:
    tracker = Tracker(Operation.create, CID, node_groups=2)
    for now, (event, expected) in enumerate(CREATE):
        tracker.apply(event, float(now))
        assert states(tracker) == expected, event.name
    assert tracker.outcome is not None and tracker.outcome.ok
    assert tracker.step("node-groups").completed == 2
    assert tracker.step("control-plane").elapsed(100.0) == 1.0
    assert tracker.step("network").detail == "demo-1 10.0.0.0/16"


def test_events_about_other_resources_are_ignored() -> None:
    tracker = Tracker(Operation.create, CID)
    other = Event(
        "ClusterReady", None, {"subject": "elsewhere", "data": {"cluster_id": "elsewhere"}}
    )
    assert tracker.apply(other, 0.0) == []
    assert tracker.outcome is None


def test_a_failed_create_carries_the_code_and_message() -> None:
    tracker = Tracker(Operation.create, CID)
    tracker.apply(ev("ClusterProvisioning", step="control-plane"), 0.0)
    log = tracker.apply(ev("ClusterFailed", code="PROVIDER_QUOTA_EXCEEDED", message="no room"), 1.0)
    assert tracker.outcome is not None and not tracker.outcome.ok
    assert (tracker.outcome.code, tracker.outcome.message) == ("PROVIDER_QUOTA_EXCEEDED", "no room")
    assert tracker.step("control-plane").state is State.failed
    assert log[-1] == "failed: PROVIDER_QUOTA_EXCEEDED: no room"


@pytest.mark.parametrize(
    ("operation", "events", "ok"),
    [
        (
            Operation.delete,
            [
                "ClusterDeleteRequested",
                "NodeGroupDeleted",
                "ClusterNetworkReleased",
                "ClusterDeleted",
            ],
            True,
        ),
        (Operation.delete, ["ClusterDeleteRequested", "ClusterFailed"], False),
        (Operation.upgrade, ["ClusterUpgradeRequested", "ClusterUpgraded"], True),
        (Operation.upgrade, ["ClusterUpgradeRequested", "ClusterUpgradeFailed"], False),
    ],
)
def test_delete_and_upgrade_end_on_their_own_events(
    operation: Operation, events: list[str], ok: bool
) -> None:
    tracker = Tracker(operation, CID, node_groups=1)
    for now, name in enumerate(events):
        tracker.apply(ev(name, code="X", message="m"), float(now))
    assert tracker.outcome is not None and tracker.outcome.ok is ok


@pytest.mark.parametrize(
    ("operation", "done"),
    [
        (Operation.node_group_scale, "NodeGroupScaled"),
        (Operation.node_group_create, "NodeGroupReady"),
        (Operation.node_group_delete, "NodeGroupDeleted"),
    ],
)
def test_a_node_group_operation_ends_on_its_node_groups_event(
    operation: Operation, done: str
) -> None:
    tracker = Tracker(operation, NG, name="workers")
    tracker.apply(ev(done, subject="another-group", node_group_id="another-group"), 0.0)
    assert tracker.outcome is None
    tracker.apply(
        ev(done, subject=NG, node_group_id=NG, desired_size=3, min_size=1, max_size=3), 1.0
    )
    assert tracker.outcome is not None and tracker.outcome.ok


@pytest.mark.parametrize(
    ("operation", "resource", "ok"),
    [
        (Operation.create, {"status": "READY"}, True),
        (Operation.create, {"status": "FAILED", "status_reason": "CLOUD_FAILED"}, False),
        (Operation.create, {"status": "PROVISIONING"}, None),
        (Operation.delete, None, True),
        (Operation.delete, {"status": "DELETING"}, None),
        (Operation.upgrade, {"status": "READY", "version": "1.31", "target_version": None}, True),
        (Operation.upgrade, {"status": "READY", "version": "1.30", "target_version": None}, False),
        (
            Operation.upgrade,
            {"status": "UPDATING", "version": "1.30", "target_version": "1.31"},
            None,
        ),
    ],
)
def test_the_resource_read_back_after_a_reconnect_can_end_the_watch(
    operation: Operation, resource: dict[str, Any] | None, ok: bool | None
) -> None:
    tracker = Tracker(operation, CID, target_version="1.31")
    tracker.sync(resource, 0.0)
    assert (tracker.outcome.ok if tracker.outcome else None) is ok


def test_follow_prints_plain_timed_lines_and_raises_exit_4_on_failure() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=False, width=200)
    ticks = iter(range(100))
    events: list[Event | Heartbeat] = [
        ev("ClusterProvisioning", step="network"),
        Heartbeat("ping"),
        ev("ClusterFailed", code="CLOUD_FAILED", message="boom"),
    ]
    with pytest.raises(CliError) as failed:
        follow(
            Tracker(Operation.create, CID),
            events,
            console,
            timeout=60,
            clock=lambda: float(next(ticks)),
        )
    assert (failed.value.code, failed.value.exit_code) == ("CLOUD_FAILED", ExitCode.WATCH)
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "[   1.0s] network: started"
    assert lines[-1] == "[   3.0s] failed: CLOUD_FAILED: boom"


def test_follow_gives_up_after_the_timeout() -> None:
    console = Console(file=io.StringIO(), force_terminal=False)
    ticks = iter([0.0, 5.0, 11.0])
    with pytest.raises(CliError) as late:
        follow(
            Tracker(Operation.create, CID),
            [Heartbeat("ping"), Heartbeat("ping")],
            console,
            timeout=10,
            clock=lambda: next(ticks),
        )
    assert (late.value.code, late.value.exit_code) == ("WATCH_TIMEOUT", ExitCode.WATCH)


def test_sse_lines_parse_into_events_and_heartbeats() -> None:
    lines = [
        ": connected",
        "id: 7",
        "event: ClusterReady",
        'data: {"subject": "x",',
        'data: "data": {}}',
        "",
        ": ping",
    ]
    parsed = list(parse(lines))
    assert parsed[0] == Heartbeat("connected")
    assert parsed[1] == Event("ClusterReady", "7", {"subject": "x", "data": {}})
    assert parsed[2] == Heartbeat("ping")


def test_the_stream_uses_a_ticket_and_resumes_after_a_drop_with_last_event_id() -> None:
    seen: list[httpx.Request] = []
    body_one = 'id: 5\nevent: ClusterProvisioning\ndata: {"subject": "c"}\n\n'
    body_two = 'id: 6\nevent: ClusterReady\ndata: {"subject": "c"}\n\n'

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/events/ticket"):
            return httpx.Response(200, json={"success": True, "data": {"ticket": "tk"}})
        streams = [r for r in seen if r.url.path.endswith("/events/stream")]
        return httpx.Response(
            200,
            text=body_one if len(streams) == 1 else body_two,
            headers={"content-type": "text/event-stream"},
        )

    context = cfg.Context("c", "http://gw", access_token="a", refresh_token="r", expires_at=9e12)
    stream = EventStream(
        Api(context, transport=httpx.MockTransport(handle)),
        types=["ClusterReady"],
        sleep=lambda _: None,
    )
    names = []
    with stream:
        for item in stream:
            if isinstance(item, Event):
                names.append(item.name)
                if item.name == "ClusterReady":
                    break
    assert names == ["ClusterProvisioning", "ClusterReady"]
    streams = [r for r in seen if r.url.path.endswith("/events/stream")]
    assert [r.url.params.get("ticket") for r in streams] == ["tk", "tk"]
    assert "authorization" not in streams[0].headers
    assert streams[0].headers.get("last-event-id") is None
    assert streams[1].headers["last-event-id"] == "5"
    assert streams[1].url.params["types"] == "ClusterReady"
    assert len([r for r in seen if r.url.path.endswith("/events/ticket")]) == 1


def test_an_api_key_stream_sends_the_authorization_header() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, text=": connected\n\n", headers={"content-type": "text/event-stream"}
        )

    context = cfg.Context("c", "http://gw", api_key="sk_test")
    with EventStream(Api(context, transport=httpx.MockTransport(handle))):
        pass
    assert [r.url.path for r in seen] == ["/api/v1/events/stream"]
    assert seen[0].headers["authorization"] == "Bearer sk_test"


class Reconnecting:
    """A stream that drops once: it reconnects (telling its watcher) and then only
    heartbeats arrive, as when the operation ended while it was away."""

    def __init__(self) -> None:
        self.on_reconnect: Any = None

    def __iter__(self) -> Any:
        yield ev("ClusterProvisioning", step="network")
        if self.on_reconnect is not None:
            self.on_reconnect()
        yield Heartbeat("connected")
        raise AssertionError("the watch should have ended on the state it read back")


def test_after_a_reconnect_the_resource_is_read_back_and_can_end_the_watch() -> None:
    reads: list[int] = []

    def reread() -> dict[str, Any]:
        reads.append(1)
        return {"status": "READY"}

    console = Console(file=io.StringIO(), force_terminal=False)
    outcome = follow(
        Tracker(Operation.create, CID), Reconnecting(), console, timeout=60, reread=reread
    )
    assert outcome.ok and reads == [1]


def test_at_a_terminal_each_step_is_a_bar_with_its_elapsed_time() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, color_system=None)
    follow(
        Tracker(Operation.create, CID, node_groups=2),
        [event for event, _ in CREATE],
        console,
        timeout=60,
    )
    screen = buffer.getvalue()
    for label in ("network", "control plane", "node groups"):
        assert label in screen
    assert "2/2" in screen and "done" in screen and "0:00:0" in screen
