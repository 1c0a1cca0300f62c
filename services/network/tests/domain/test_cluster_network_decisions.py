"""The cluster-network run's decisions as tables: no I/O, no clock but the one passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from skyclust_network.domain.cluster_network import (
    Claim,
    Progress,
    Record,
    Release,
    State,
    Step,
    claim,
    next_step,
    release,
    try_again,
)
from skyclust_network.domain.model import Status

pytestmark = pytest.mark.unit

WS, OTHER = "ws-1", "ws-2"
P, R, U, D, F = Status.PENDING, Status.READY, Status.UPDATING, Status.DELETING, Status.FAILED


def rec(state: State, request_id: str = "r-1", workspace_id: str = WS) -> Record:
    return Record(state, request_id, workspace_id)


@pytest.mark.parametrize(
    ("recorded", "request_id", "workspace_id", "expected"),
    [
        (None, "r-1", WS, Claim.START),
        (rec(State.PROVISIONING), "r-1", OTHER, Claim.REJECT),
        (rec(State.READY), "r-1", OTHER, Claim.REJECT),
        (rec(State.PROVISIONING), "r-1", WS, Claim.RESUME),
        (rec(State.PROVISIONING), "r-2", WS, Claim.RESUME),
        (rec(State.COMPENSATING), "r-1", WS, Claim.COMPENSATE),
        (rec(State.COMPENSATING), "r-2", WS, Claim.COMPENSATE),
        (rec(State.READY), "r-1", WS, Claim.ANSWER),
        (rec(State.READY), "r-2", WS, Claim.ANSWER),
        (rec(State.FAILED), "r-1", WS, Claim.ANSWER),
        (rec(State.FAILED), "r-2", WS, Claim.START),
        (rec(State.RELEASED), "r-1", WS, Claim.ANSWER),
        (rec(State.RELEASED), "r-2", WS, Claim.START),
        (rec(State.RELEASING), "r-2", WS, Claim.ANSWER),
    ],
)
def test_a_provision_command_against_what_is_recorded(
    recorded: Record | None, request_id: str, workspace_id: str, expected: Claim
):
    assert claim(recorded, request_id, workspace_id) is expected


@pytest.mark.parametrize(
    ("progress", "expected"),
    [
        (Progress(None), Step.PLAN_NETWORK),
        (Progress(P), Step.CREATE_NETWORK),
        (Progress(F), Step.BLOCKED),
        (Progress(D), Step.BLOCKED),
        (Progress(U), Step.BLOCKED),
        (Progress(R), Step.PLAN_MEMBERS),
        (Progress(R, (P, P), ()), Step.PLAN_MEMBERS),
        (Progress(R, (), (P,)), Step.PLAN_MEMBERS),
        (Progress(R, (P, P), (P,)), Step.CREATE_MEMBERS),
        (Progress(R, (R, P), (R,)), Step.CREATE_MEMBERS),
        (Progress(R, (R, R), (P,)), Step.CREATE_MEMBERS),
        (Progress(R, (R, R), (R,)), Step.FINISH),
    ],
)
def test_provisioning_resumes_at_the_first_step_whose_result_is_missing(
    progress: Progress, expected: Step
):
    assert next_step(progress) is expected


@pytest.mark.parametrize(
    ("recorded", "workspace_id", "generated", "live", "expected"),
    [
        (None, WS, True, True, Release.UNKNOWN),
        (rec(State.READY), OTHER, True, True, Release.UNKNOWN),
        (rec(State.RELEASED), WS, True, False, Release.ANSWER),
        (rec(State.READY), WS, True, True, Release.TEAR_DOWN),
        (rec(State.RELEASING), WS, True, True, Release.TEAR_DOWN),
        (rec(State.FAILED), WS, True, True, Release.TEAR_DOWN),
        (rec(State.READY), WS, True, False, Release.LET_GO),
        (rec(State.READY), WS, False, True, Release.LET_GO),
    ],
)
def test_a_release_command_against_what_is_recorded(
    recorded: Record | None, workspace_id: str, generated: bool, live: bool, expected: Release
):
    decided = release(recorded, workspace_id, generated=generated, network_live=live)
    assert decided is expected


SENT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("retryable", "attempt", "age", "window", "expected"),
    [
        (False, 1, 0, 30, False),  # a permanent error ends the run at once
        (True, 1, 0, 0, True),  # deliveries left
        (True, 5, 0, 0, False),  # the last delivery, no window
        (True, 5, 10, 30, True),  # the last delivery, but the window is still open
        (True, 5, 31, 30, False),  # the window has passed too
        (True, 9, 1, 30, True),
    ],
)
def test_a_failure_is_tried_again_while_deliveries_or_the_window_are_left(
    retryable: bool, attempt: int, age: float, window: float, expected: bool
):
    now = SENT + timedelta(seconds=age)
    decided = try_again(
        retryable=retryable, attempt=attempt, max_attempts=5, sent_at=SENT, now=now, window=window
    )
    assert decided is expected
