"""The cluster-network run as pure decisions, with no I/O: what a ProvisionClusterNetwork
or ReleaseClusterNetwork does given what is recorded for the cluster, which step of
provisioning comes next given the rows made so far, and whether a failure is tried again
or ends the run. `handlers/cluster_network/` carries the decisions out."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .model import Status


class State(enum.StrEnum):
    PROVISIONING = "PROVISIONING"
    READY = "READY"
    COMPENSATING = "COMPENSATING"
    FAILED = "FAILED"
    RELEASING = "RELEASING"
    RELEASED = "RELEASED"


@dataclass(frozen=True)
class Record:
    """What is recorded for a cluster: its state, the request that set it, and whose."""

    state: State
    request_id: str
    workspace_id: str


class Claim(enum.StrEnum):
    START = "start"  # record the request, then provision
    RESUME = "resume"  # provisioning was under way: carry on
    COMPENSATE = "compensate"  # cleaning up after a failure was under way: carry on
    ANSWER = "answer"  # the request was answered: answer it again
    REJECT = "reject"  # the cluster id belongs to another workspace


def claim(record: Record | None, request_id: str, workspace_id: str) -> Claim:
    """A ProvisionClusterNetwork against what is recorded. Only a new request restarts a
    cluster whose network failed or was released; a repeat of the request that got
    there is answered again, as is any request once the network is READY."""
    if record is None:
        return Claim.START
    if record.workspace_id != workspace_id:
        return Claim.REJECT
    if record.state in (State.FAILED, State.RELEASED) and record.request_id != request_id:
        return Claim.START
    if record.state is State.PROVISIONING:
        return Claim.RESUME
    if record.state is State.COMPENSATING:
        return Claim.COMPENSATE
    return Claim.ANSWER


class Step(enum.StrEnum):
    PLAN_NETWORK = "plan_network"  # record the network, with its range from the planner
    CREATE_NETWORK = "create_network"  # create it in the cloud
    PLAN_MEMBERS = "plan_members"  # record the subnets (one per zone) and the firewall
    CREATE_MEMBERS = "create_members"  # create them in the cloud, side by side
    FINISH = "finish"  # link the cluster to the network and reply ClusterNetworkReady
    BLOCKED = "blocked"  # the network is neither being created nor READY


@dataclass(frozen=True)
class Progress:
    """The statuses of the rows made for the cluster so far; `network` None: none yet."""

    network: Status | None
    subnets: Sequence[Status] = ()
    groups: Sequence[Status] = ()


def next_step(progress: Progress) -> Step:
    """Each step persists its result before the next starts, so a run that stopped
    anywhere resumes at the first step whose result is missing."""
    if progress.network is None:
        return Step.PLAN_NETWORK
    if progress.network is Status.PENDING:
        return Step.CREATE_NETWORK
    if progress.network is not Status.READY:
        return Step.BLOCKED
    if not progress.subnets or not progress.groups:
        return Step.PLAN_MEMBERS
    if Status.PENDING in (*progress.subnets, *progress.groups):
        return Step.CREATE_MEMBERS
    return Step.FINISH


class Release(enum.StrEnum):
    UNKNOWN = "unknown"  # nothing recorded for the cluster here: reply released, nothing
    ANSWER = "answer"  # released already: reply again
    TEAR_DOWN = "tear_down"  # delete the generated network, then reply released
    LET_GO = "let_go"  # a provided (or already gone) network: unlink it, delete nothing


def release(
    record: Record | None, workspace_id: str, *, generated: bool, network_live: bool
) -> Release:
    if record is None or record.workspace_id != workspace_id:
        return Release.UNKNOWN
    if record.state is State.RELEASED:
        return Release.ANSWER
    return Release.TEAR_DOWN if generated and network_live else Release.LET_GO


def retry_left(sent_at: datetime, now: datetime, window: float) -> float:
    """Seconds the command's run may still wait out retryable failures in place."""
    return window - (now - sent_at).total_seconds()


def try_again(
    *,
    retryable: bool,
    attempt: int,
    max_attempts: int,
    sent_at: datetime,
    now: datetime,
    window: float,
) -> bool:
    """After a failure: raise it for another try (in place or by redelivery) rather than
    give up? Only a retryable one, while deliveries or the retry window are left."""
    return retryable and (attempt < max_attempts or retry_left(sent_at, now, window) > 0)
