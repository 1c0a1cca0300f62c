"""The saga's state machine as a table: every status, step and network state, on time
and overdue, and what a run does with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from skyclust_provisioning.domain.cluster import Status
from skyclust_provisioning.domain.saga import (
    Action,
    Failure,
    NetworkState,
    SagaState,
    Step,
    next_action,
    on_failure,
    teardown_releases_network,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ON_TIME = NOW + timedelta(minutes=5)
OVERDUE = NOW - timedelta(seconds=1)

P, D, U = Status.PROVISIONING, Status.DELETING, Status.UPDATING
REQ, RDY, RLG, RLD = (
    NetworkState.REQUESTED,
    NetworkState.READY,
    NetworkState.RELEASING,
    NetworkState.RELEASED,
)

# (status, step, network_state, rolling_back, deadline) → action
TABLE = [
    # finished sagas, whatever else the row says
    (Status.READY, None, None, False, None, Action.DONE),
    (Status.READY, Step.NETWORK, REQ, False, OVERDUE, Action.DONE),
    (Status.FAILED, None, RDY, False, None, Action.DONE),
    (Status.DELETED, Step.RELEASE_NETWORK, RLG, False, OVERDUE, Action.DONE),
    # a new cluster
    (Status.PENDING, None, None, False, None, Action.START),
    (Status.PENDING, None, None, True, None, Action.START),
    # create: waiting for the network, then on
    (P, Step.NETWORK, REQ, False, ON_TIME, Action.WAIT),
    (P, Step.NETWORK, REQ, False, None, Action.WAIT),
    (P, Step.NETWORK, REQ, False, OVERDUE, Action.NETWORK_OVERDUE),
    (P, Step.NETWORK, RDY, False, ON_TIME, Action.ENTER_CONTROL_PLANE),
    (P, Step.NETWORK, None, False, None, Action.ENTER_CONTROL_PLANE),
    (P, Step.NETWORK, RLD, False, ON_TIME, Action.NETWORK_OVERDUE),
    (P, None, None, False, None, Action.ENTER_CONTROL_PLANE),
    (P, Step.CONTROL_PLANE, RDY, False, ON_TIME, Action.CREATE_CONTROL_PLANE),
    (P, Step.CONTROL_PLANE, None, False, OVERDUE, Action.CREATE_CONTROL_PLANE),
    (P, Step.NODE_GROUPS, RDY, False, ON_TIME, Action.CREATE_NODE_GROUPS),
    # a failed create rolled back
    (P, Step.NETWORK, REQ, True, ON_TIME, Action.WAIT),
    (P, Step.NETWORK, RLD, True, ON_TIME, Action.BEGIN_TEARDOWN),
    (P, Step.CONTROL_PLANE, RDY, True, ON_TIME, Action.BEGIN_TEARDOWN),
    (P, Step.DELETE_NODE_GROUPS, RDY, True, ON_TIME, Action.DELETE_NODE_GROUPS),
    (P, Step.DELETE_CONTROL_PLANE, RDY, True, ON_TIME, Action.DELETE_CONTROL_PLANE),
    (P, Step.RELEASE_NETWORK, RLG, True, ON_TIME, Action.WAIT),
    (P, Step.RELEASE_NETWORK, RLG, True, OVERDUE, Action.RELEASE_OVERDUE),
    (P, Step.RELEASE_NETWORK, RLD, True, ON_TIME, Action.FINISH_TEARDOWN),
    (P, Step.RELEASE_NETWORK, None, True, None, Action.FINISH_TEARDOWN),
    # a delete
    (D, None, RDY, False, None, Action.BEGIN_TEARDOWN),
    (D, Step.NODE_GROUPS, RDY, False, ON_TIME, Action.BEGIN_TEARDOWN),
    (D, Step.UPGRADE_CONTROL_PLANE, None, False, ON_TIME, Action.BEGIN_TEARDOWN),
    (D, Step.NETWORK, REQ, False, OVERDUE, Action.BEGIN_TEARDOWN),
    (D, Step.DELETE_NODE_GROUPS, RDY, False, ON_TIME, Action.DELETE_NODE_GROUPS),
    (D, Step.DELETE_NODE_GROUPS, None, False, OVERDUE, Action.DELETE_NODE_GROUPS),
    (D, Step.DELETE_CONTROL_PLANE, RDY, False, ON_TIME, Action.DELETE_CONTROL_PLANE),
    (D, Step.RELEASE_NETWORK, RLG, False, ON_TIME, Action.WAIT),
    (D, Step.RELEASE_NETWORK, RLG, False, OVERDUE, Action.RELEASE_OVERDUE),
    (D, Step.RELEASE_NETWORK, RLD, False, ON_TIME, Action.FINISH_TEARDOWN),
    (D, Step.RELEASE_NETWORK, None, False, ON_TIME, Action.FINISH_TEARDOWN),
    # an upgrade
    (U, Step.UPGRADE_CONTROL_PLANE, RDY, False, ON_TIME, Action.UPGRADE_CONTROL_PLANE),
    (U, Step.UPGRADE_CONTROL_PLANE, None, False, OVERDUE, Action.UPGRADE_CONTROL_PLANE),
    (U, None, None, False, None, Action.UPGRADE_CONTROL_PLANE),
    (U, Step.UPGRADE_NODE_GROUPS, RDY, False, ON_TIME, Action.UPGRADE_NODE_GROUPS),
]


@pytest.mark.parametrize(("status", "step", "network", "rolling_back", "deadline", "action"), TABLE)
def test_next_action(status, step, network, rolling_back, deadline, action):
    state = SagaState(status, step, network, rolling_back, deadline)
    assert next_action(state, NOW) == action


def test_the_table_covers_every_action_and_every_step():
    assert {row[-1] for row in TABLE} == set(Action)
    steps = {row[1] for row in TABLE} - {None}
    assert steps == set(Step) - {Step.COMPENSATING}  # an event's step, never a row's


def test_only_done_and_wait_leave_a_run_idle():
    assert {a for a in Action if a.idle} == {Action.DONE, Action.WAIT}


def test_a_deadline_is_passed_only_after_it():
    state = SagaState(P, Step.NETWORK, REQ, False, NOW)
    assert next_action(state, NOW) == Action.WAIT
    assert next_action(state, NOW + timedelta(microseconds=1)) == Action.NETWORK_OVERDUE


@pytest.mark.parametrize(
    ("status", "rolling_back", "outcome"),
    [
        (Status.PENDING, False, Failure.ROLL_BACK),
        (P, False, Failure.ROLL_BACK),
        (P, True, Failure.END_TEARDOWN),
        (D, False, Failure.END_TEARDOWN),
        (U, False, Failure.STOP_UPGRADE),
    ],
)
def test_what_a_failed_step_leads_to(status, rolling_back, outcome):
    assert on_failure(SagaState(status, Step.CONTROL_PLANE, None, rolling_back)) == outcome


@pytest.mark.parametrize(
    ("network", "release"),
    [(REQ, True), (RDY, True), (RLG, False), (RLD, False), (None, False)],
)
def test_a_teardown_releases_a_network_it_asked_for(network, release):
    assert teardown_releases_network(network) is release


def test_tearing_down_and_creating_are_exclusive():
    for status in Status:
        for rolling_back in (False, True):
            state = SagaState(status, rolling_back=rolling_back)
            assert not (state.creating and state.tearing_down)
