"""The cluster saga as a state machine, without I/O.

    create:   network → control-plane → node-groups → READY
    failure:  delete-node-groups → delete-control-plane → release-network → FAILED
    delete:   delete-node-groups → delete-control-plane → release-network → DELETED
    upgrade:  upgrade-control-plane → upgrade-node-groups → READY

The state is what the cluster row keeps (`SagaState`); `next_action` says what a run
does with it now, and `on_failure` what a step that failed for good leads to. The
engine (handlers/saga/) carries the actions out and persists each move."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from .cluster import Status


class Step(enum.StrEnum):
    NETWORK = "network"
    CONTROL_PLANE = "control-plane"
    NODE_GROUPS = "node-groups"
    # Only in ClusterProvisioning events: the step a rollback starts from.
    COMPENSATING = "compensating"
    DELETE_NODE_GROUPS = "delete-node-groups"
    DELETE_CONTROL_PLANE = "delete-control-plane"
    RELEASE_NETWORK = "release-network"
    UPGRADE_CONTROL_PLANE = "upgrade-control-plane"
    UPGRADE_NODE_GROUPS = "upgrade-node-groups"


TEARDOWN = frozenset({Step.DELETE_NODE_GROUPS, Step.DELETE_CONTROL_PLANE, Step.RELEASE_NETWORK})

# How far along a create or upgrade is once it enters the step.
PROGRESS = {
    Step.NETWORK: 10,
    Step.CONTROL_PLANE: 30,
    Step.NODE_GROUPS: 70,
    Step.UPGRADE_NODE_GROUPS: 50,
}


class NetworkState(enum.StrEnum):
    """Where the exchange with the network service stands (None on the row: the
    provider config names the network and the network service is not involved)."""

    REQUESTED = "requested"
    READY = "ready"
    RELEASING = "releasing"
    RELEASED = "released"


class Action(enum.StrEnum):
    DONE = "done"  # READY, FAILED or DELETED: nothing to do
    WAIT = "wait"  # for the network service's reply, until the step's deadline
    START = "start"  # ask for the network (or take the provider config's)
    ENTER_CONTROL_PLANE = "enter-control-plane"
    CREATE_CONTROL_PLANE = "create-control-plane"
    CREATE_NODE_GROUPS = "create-node-groups"
    NETWORK_OVERDUE = "network-overdue"  # fails the create: STEP_DEADLINE_EXCEEDED
    BEGIN_TEARDOWN = "begin-teardown"
    DELETE_NODE_GROUPS = "delete-node-groups"
    DELETE_CONTROL_PLANE = "delete-control-plane"
    RELEASE_OVERDUE = "release-overdue"  # fails the teardown: STEP_DEADLINE_EXCEEDED
    FINISH_TEARDOWN = "finish-teardown"
    UPGRADE_CONTROL_PLANE = "upgrade-control-plane"
    UPGRADE_NODE_GROUPS = "upgrade-node-groups"

    @property
    def idle(self) -> bool:
        """Nothing for a run to do until another service replies, or nothing at all."""
        return self in (Action.DONE, Action.WAIT)


class Failure(enum.StrEnum):
    """What a step that failed for good leads to."""

    ROLL_BACK = "roll-back"  # a create: tear down what was made, then FAILED
    STOP_UPGRADE = "stop-upgrade"  # the cluster stays READY on what the cloud runs
    END_TEARDOWN = "end-teardown"  # FAILED now; a delete can be asked again


@dataclass(frozen=True)
class SagaState:
    status: Status
    step: str | None = None
    network_state: str | None = None
    # A create being rolled back (the row's `failure` is set).
    rolling_back: bool = False
    step_deadline: datetime | None = None

    def overdue(self, now: datetime) -> bool:
        return self.step_deadline is not None and now > self.step_deadline

    @property
    def tearing_down(self) -> bool:
        return self.status == Status.DELETING or (
            self.status == Status.PROVISIONING and self.rolling_back
        )

    @property
    def creating(self) -> bool:
        return self.status == Status.PROVISIONING and not self.rolling_back


def next_action(state: SagaState, now: datetime) -> Action:
    """What a run does with the saga in `state` at `now`."""
    if state.status in (Status.READY, Status.FAILED, Status.DELETED):
        return Action.DONE
    waits_for_network = (state.step, state.network_state) in (
        (Step.NETWORK, NetworkState.REQUESTED),
        (Step.RELEASE_NETWORK, NetworkState.RELEASING),
    )
    if waits_for_network and not state.overdue(now):
        return Action.WAIT
    if state.status == Status.PENDING:
        return Action.START
    if state.creating:
        return _create(state)
    if state.tearing_down:
        return _teardown(state)
    if state.step == Step.UPGRADE_NODE_GROUPS:
        return Action.UPGRADE_NODE_GROUPS
    return Action.UPGRADE_CONTROL_PLANE


# The step a run is at → what it does there, once the network question is settled.
_CREATE: dict[str | None, Action] = {
    Step.CONTROL_PLANE: Action.CREATE_CONTROL_PLANE,
    Step.NODE_GROUPS: Action.CREATE_NODE_GROUPS,
}
_TEARDOWN: dict[str | None, Action] = {
    Step.DELETE_NODE_GROUPS: Action.DELETE_NODE_GROUPS,
    Step.DELETE_CONTROL_PLANE: Action.DELETE_CONTROL_PLANE,
}


def _create(state: SagaState) -> Action:
    if state.step == Step.NETWORK:
        if state.network_state in (NetworkState.READY, None):
            return Action.ENTER_CONTROL_PLANE
        return Action.NETWORK_OVERDUE
    return _CREATE.get(state.step, Action.ENTER_CONTROL_PLANE)


def _teardown(state: SagaState) -> Action:
    if state.step not in TEARDOWN:
        return Action.BEGIN_TEARDOWN
    if state.step in _TEARDOWN:
        return _TEARDOWN[state.step]
    if state.network_state == NetworkState.RELEASING:
        return Action.RELEASE_OVERDUE
    return Action.FINISH_TEARDOWN


def on_failure(state: SagaState) -> Failure:
    if state.status in (Status.PENDING, Status.PROVISIONING) and not state.rolling_back:
        return Failure.ROLL_BACK
    if state.status == Status.UPDATING:
        return Failure.STOP_UPGRADE
    return Failure.END_TEARDOWN


def teardown_releases_network(network_state: str | None) -> bool:
    """After the control plane is gone: the network service is asked to release what
    it gave (or is still making)."""
    return network_state in (NetworkState.REQUESTED, NetworkState.READY)
