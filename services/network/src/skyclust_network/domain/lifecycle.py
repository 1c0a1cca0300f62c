"""The lifecycle every network resource (network, subnet, security group) shares, as
pure decisions: which requested change a saga step carries out, what status it ends
in, and whether a failure is retried or ends the change."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .model import Status


class Operation(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class Outcome(enum.StrEnum):
    RETRY = "retry"  # raise: the message comes back, with backoff
    FAIL = "fail"  # the resource ends FAILED with the error as its reason


@dataclass(frozen=True)
class Stage:
    """One requested change: the status the row holds while the cloud works on it, the
    status it ends in, and the suffix of the requesting and the closing event."""

    operation: Operation
    working: Status
    done: Status
    requested: str
    finished: str


STAGES = {
    Operation.CREATE: Stage(Operation.CREATE, Status.PENDING, Status.READY, "Requested", "Ready"),
    Operation.UPDATE: Stage(
        Operation.UPDATE, Status.UPDATING, Status.READY, "UpdateRequested", "Updated"
    ),
    Operation.DELETE: Stage(
        Operation.DELETE, Status.DELETING, Status.DELETED, "DeleteRequested", "Deleted"
    ),
}


def should_step(operation: Operation, status: str, for_cluster: bool) -> bool:
    """Does the step for `operation` have work on a row in `status`? A redelivered step
    finds the row moved on and does nothing. Rows generated for a cluster are created by
    the cluster-network run, not by the saga step."""
    if operation is Operation.CREATE and for_cluster:
        return False
    return status == STAGES[operation].working


class Failure(enum.StrEnum):
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    OTHER = "other"


def after_failure(
    operation: Operation, failure: Failure, *, retryable: bool, attempt: int, max_attempts: int
) -> Outcome:
    """A resource that is not there, or on create a conflict (no network in the cloud to
    put it in, an overlap found at the last look), fails at once: asking again would get
    the same answer. Anything else is retried while it is retryable and attempts are
    left."""
    if failure is Failure.NOT_FOUND or (
        failure is Failure.CONFLICT and operation is Operation.CREATE
    ):
        return Outcome.FAIL
    return Outcome.RETRY if retryable and attempt < max_attempts else Outcome.FAIL
