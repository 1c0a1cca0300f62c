"""The resource lifecycle's decisions as tables."""

from __future__ import annotations

import pytest

from skyclust_network.domain.lifecycle import (
    STAGES,
    Failure,
    Operation,
    Outcome,
    after_failure,
    should_step,
)
from skyclust_network.domain.model import Status

pytestmark = pytest.mark.unit

C, U, D = Operation.CREATE, Operation.UPDATE, Operation.DELETE


@pytest.mark.parametrize(
    ("operation", "status", "for_cluster", "expected"),
    [
        (C, Status.PENDING, False, True),
        (C, Status.PENDING, True, False),  # the cluster-network run creates those
        (C, Status.READY, False, False),  # a redelivery after the step finished
        (C, Status.FAILED, False, False),
        (U, Status.UPDATING, False, True),
        (U, Status.UPDATING, True, True),
        (U, Status.READY, False, False),
        (D, Status.DELETING, False, True),
        (D, Status.DELETING, True, True),
        (D, Status.DELETED, False, False),
        (D, Status.READY, False, False),
    ],
)
def test_a_step_has_work_only_on_a_row_still_waiting_for_it(
    operation: Operation, status: Status, for_cluster: bool, expected: bool
):
    assert should_step(operation, status, for_cluster) is expected


@pytest.mark.parametrize(
    ("operation", "failure", "retryable", "attempt", "expected"),
    [
        (C, Failure.NOT_FOUND, True, 1, Outcome.FAIL),
        (C, Failure.CONFLICT, False, 1, Outcome.FAIL),
        (U, Failure.CONFLICT, True, 1, Outcome.RETRY),
        (D, Failure.CONFLICT, False, 1, Outcome.FAIL),
        (U, Failure.NOT_FOUND, True, 1, Outcome.FAIL),
        (D, Failure.NOT_FOUND, True, 1, Outcome.FAIL),
        (C, Failure.OTHER, True, 1, Outcome.RETRY),
        (C, Failure.OTHER, True, 2, Outcome.RETRY),
        (C, Failure.OTHER, True, 3, Outcome.FAIL),  # the last attempt
        (D, Failure.OTHER, True, 2, Outcome.RETRY),
        (D, Failure.OTHER, False, 1, Outcome.FAIL),
    ],
)
def test_a_failure_is_retried_only_when_asking_again_may_help(
    operation: Operation, failure: Failure, retryable: bool, attempt: int, expected: Outcome
):
    decided = after_failure(
        operation, failure, retryable=retryable, attempt=attempt, max_attempts=3
    )
    assert decided is expected


def test_each_change_ends_where_its_request_says():
    assert [(s.working, s.done, s.requested, s.finished) for s in STAGES.values()] == [
        (Status.PENDING, Status.READY, "Requested", "Ready"),
        (Status.UPDATING, Status.READY, "UpdateRequested", "Updated"),
        (Status.DELETING, Status.DELETED, "DeleteRequested", "Deleted"),
    ]
