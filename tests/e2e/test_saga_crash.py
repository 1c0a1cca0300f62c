"""Crash safety of the cluster saga: provisioning is SIGKILLed at random moments while
many clusters (all three clouds, one node group each, no network given) are in flight,
and every request still ends as it should, once.

Each round posts its clusters in parallel at random moments, then kills provisioning a
random delay after the last one is taken; the next round starts once the launcher has
provisioning back and the last round is past its network step. So each kill finds
clusters at every step, and clusters of an earlier round still in flight are killed
again. A run that is done by then is being deleted when the kill comes (its deletion is
asked for just before), so nearly every run is in flight at a kill: at least 30 must be
(one that turns READY in the instant before the kill is not, nor one whose deletion is
over by then). GKE's and AKS's creates take 1.5 seconds each, so a warm process is
still found at those steps. A few requests meet a permanent node-group fault in their
cloud: those end FAILED with the fault's code, rolled back. Each finished run is checked
against its cloud (exactly one control plane, the node groups asked for, one network; or
nothing at all) and deleted; at the end nothing of any of them is left in any cloud and
no operation of theirs is running.

The RNG seed is printed (run with -s) and named in every failure; set
SKYCLUST_CRASH_SEED to replay one."""

from __future__ import annotations

import os
import random
import signal
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import httpx
import pytest

from . import crash_clouds as cloud
from .client import SseStream
from .crash_clouds import GROUP, PROVIDERS, REGIONS, Clouds, Snapshot, credentials
from .test_cluster_lifecycle import assert_valid_event

pytestmark = pytest.mark.e2e

VERSIONS = {"aws": "1.30", "gcp": "1.31", "azure": "1.31"}
# Pools the cloud makes with the control plane: GKE's first pool, AKS's system pool.
IMPLICIT_POOLS = {"aws": set[str](), "gcp": {"default"}, "azure": {"system"}}

# Two kills only: each restart costs seconds of a cold process, and the test should take
# about a minute and a half. 40 runs, so that 30 or more are surely in flight at a kill:
# the first kill finds all of its round in flight (a cold process is slow), the second at
# times only two thirds of its own (warm, they end fast, and some are deleted by then).
ROUNDS = 2
PER_ROUND = 20
# A round's requests go out within SPREAD seconds; the kill comes up to KILL_WITHIN
# seconds after the last is answered.
SPREAD = 2.0
KILL_WITHIN = 2.5
# A round starts once no more than BACKLOG runs of earlier ones are in flight, so runs do
# not pile up behind provisioning's bound on sagas driven at once (set by its database
# pool: a run holds one connection for its lock and another for its work), which would
# only stretch the test.
BACKLOG = 3
# GKE's and AKS's control planes and node pools take this long to create here (EKS's are
# at once in the local AWS; networks and deletions stay at once, as they are many), so
# that a kill finds runs at those steps, not only a cold process's first ones. With
# everything else as fast as it is now, 0.5 s let warm runs end before the second kill,
# and 1 s did at times too (29 of 40 in flight at the kills).
CREATE_SECONDS = {
    "gcp": {"cluster_create": 1.5, "node_pool_create": 1.5},
    "azure": {"managed_cluster_create": 1.5, "agent_pool_create": 1.5},
}
# A permanent node-group fault per cloud, and the code the saga must end with.
NODE_GROUP_FAULT_CODE = {
    "aws": "PROVIDER_INVALID_REQUEST",
    "gcp": "CLOUD_FAILED",
    "azure": "CLOUD_FAILED",
}


def cluster_body(provider: str, credential_id: str, name: str) -> dict[str, Any]:
    return {
        "credential_id": credential_id,
        "name": name,
        "version": VERSIONS[provider],
        "region": REGIONS[provider],
        "node_groups": [{"name": GROUP, "min_size": 1, "max_size": 3, "desired_size": 1}],
    }


def phase(event: str, data: dict[str, Any]) -> str | None:
    """Where a cluster's saga is, from one of its events."""
    if event == "ClusterProvisioning":
        return str(data["step"])
    return {
        "ClusterRequested": "requested",
        "ClusterNetworkReady": "network-ready",
        "NodeGroupReady": "node-group-ready",
        "ClusterReady": "ready",
        "ClusterFailed": "failed",
        "ClusterDeleteRequested": "deleting",
        "ClusterNetworkReleased": "network-released",
        "ClusterDeleted": "deleted",
    }.get(event)


@dataclass
class Run:
    provider: str
    name: str
    cluster_id: str
    fault: str | None  # the code a faulted run must end with
    round: int
    posted: float  # when the POST was answered (epoch seconds)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    seen: dict[str, float] = field(default_factory=dict)  # phase -> its event's time

    @property
    def last(self) -> str:
        return self.phases[-1] if self.phases else "posted"

    @property
    def finished(self) -> bool:
        return "ready" in self.phases or "failed" in self.phases

    def count(self, event: str) -> int:
        return sum(1 for name, _ in self.events if name == event)


class Tracker:
    """Sorts the workspace's events by cluster as they arrive."""

    def __init__(self, stream: SseStream) -> None:
        self.stream = stream
        self.runs: dict[str, Run] = {}
        # Events of clusters whose POST is not answered yet (requests go out on other
        # threads), and of everything else.
        self.unclaimed: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self.lock = threading.Lock()

    def add(self, run: Run) -> None:
        with self.lock:
            self.runs[run.cluster_id] = run
            for event, data in self.unclaimed.pop(run.cluster_id, []):
                self._record(run, event, data)

    def all(self) -> list[Run]:
        with self.lock:
            return list(self.runs.values())

    def pump(self) -> None:
        with self.lock:
            while not self.stream.events.empty():
                item = self.stream.events.get_nowait()
                data = item.data.get("data") or {}
                key = str(data.get("cluster_id") or item.data.get("subject"))
                run = self.runs.get(key)
                if run is None:
                    self.unclaimed.setdefault(key, []).append((item.event, item.data))
                else:
                    self._record(run, item.event, item.data)

    @staticmethod
    def _record(run: Run, event: str, data: dict[str, Any]) -> None:
        run.events.append((event, data))
        label = phase(event, data.get("data") or {})
        if label is not None:
            run.phases.append(label)
            run.seen.setdefault(label, datetime.fromisoformat(data["time"]).timestamp())

    def describe(self) -> str:
        return "; ".join(
            f"{r.provider}/{r.name}: {'>'.join(r.phases) or 'nothing'}"
            for r in self.all()
            if "deleted" not in r.phases
        )


# the test ---------------------------------------------------------------------------------


class Crash:
    """The test's moving parts: the runs as the stream shows them, and the checks each
    finished run gets before it is deleted (early, so READY ones do not pile up: the
    FAST drift check visits each of them every second)."""

    def __init__(self, platform: Any, seed: int, pool: ThreadPoolExecutor) -> None:
        self.platform = platform
        self.seed = seed
        self.pool = pool
        self.api = platform.api()
        self.api.signup()
        self.credential = credentials(self.api, platform)
        self.clouds = Clouds(platform)
        self.stream = self.api.stream()
        self.tracker = Tracker(self.stream)
        self.checked: set[str] = set()  # checked and asked to be deleted
        # The round whose finished runs are deleted only just before its kill.
        self.holding: int | None = None
        self.post_seconds: list[float] = []
        self.unanswered = 0  # calls the gateway gave up on (503)
        self.kill_times: list[float] = []

    @property
    def runs(self) -> list[Run]:
        return self.tracker.all()

    def path(self, run: Run) -> str:
        return f"/api/v1/{run.provider}/kubernetes/clusters/{run.cluster_id}"

    def about(self, run: Run) -> str:
        return f"seed {self.seed}, {run.provider}/{run.name} killed at {self.kill_points(run)}"

    def kill_points(self, run: Run) -> list[str]:
        return [p for p in (at(run, moment) for moment in self.kill_times) if p is not None]

    def call(self, method: str, path: str) -> httpx.Response:
        """A read or a delete (both safe to repeat), asked again while the gateway gives
        up on a provisioning that is catching up (503)."""
        for _ in range(3):
            response = self.api.request(method, path)
            if response.status_code != 503:
                return response
            self.unanswered += 1
        raise AssertionError(f"seed {self.seed}: {method} {path}: {response.text}")

    def request(
        self, when: float, provider: str, name: str, round_no: int, fault: str | None
    ) -> Run:
        """POST a cluster at `when`. A provisioning just restarted and catching up may
        answer after the gateway gave up (503): the cluster is then looked up by name
        before it is asked for again, so nothing is requested twice."""
        if fault is not None:
            self.clouds.inject_node_group_fault(provider, name)
        time.sleep(max(0.0, when - time.monotonic()))
        base = f"/api/v1/{provider}/kubernetes/clusters"
        body = cluster_body(provider, self.credential[provider], name)
        for _ in range(3):
            started = time.monotonic()
            created = self.api.post(base, json=body)
            self.post_seconds.append(time.monotonic() - started)
            if created.status_code == 202:
                cluster = created.json()["data"]
                break
            code = (created.json().get("error") or {}).get("code")
            assert code in ("SERVICE_UNAVAILABLE", "CLUSTER_NAME_TAKEN"), created.text
            self.unanswered += code == "SERVICE_UNAVAILABLE"
            listed = self.call("GET", base)
            assert listed.status_code == 200, listed.text
            found = [c for c in listed.json()["data"] if c["name"] == name]
            if found:
                (cluster,) = found
                break
        else:
            raise AssertionError(f"seed {self.seed}: {name} could not be requested")
        run = Run(provider, name, cluster["id"], fault, round_no, time.time())
        self.tracker.add(run)
        return run

    def reap(self, ask: bool = False) -> bool:
        """Check every run that has ended since the last call against its cloud, then
        delete them, all at once. With `ask`, the API says which have ended: the stream
        can be a second or two behind. Only while provisioning answers: a call to a dead
        one waits out the gateway's timeout."""
        self.tracker.pump()
        candidates = [
            r
            for r in self.runs
            if r.cluster_id not in self.checked and r.round != self.holding and (ask or r.finished)
        ]
        if not candidates:
            return False
        shown = {
            provider: {
                c["id"]: c
                for c in self.call("GET", f"/api/v1/{provider}/kubernetes/clusters").json()["data"]
            }
            for provider in {r.provider for r in candidates}
        }
        done = [
            r
            for r in candidates
            if shown[r.provider][r.cluster_id]["status"] in ("READY", "FAILED")
        ]
        if not done:
            return False
        snapshot = self.clouds.snapshot(r.name for r in done if r.provider == "aws")
        for run in done:
            self.check_outcome(run, shown[run.provider][run.cluster_id], snapshot)
        for run, deleted in zip(
            done, self.pool.map(lambda r: self.call("DELETE", self.path(r)), done), strict=True
        ):
            assert deleted.status_code == 202, f"{self.about(run)}: {deleted.text}"
            self.checked.add(run.cluster_id)
        return True

    def check_outcome(self, run: Run, cluster: dict[str, Any], snapshot: Snapshot) -> None:
        """It ended as it should, and its cloud agrees."""
        about = self.about(run)
        held = self.clouds.holdings(run.provider, run.name, run.cluster_id, snapshot)
        if run.fault is None:
            assert (cluster["status"], cluster["progress"]) == ("READY", 100), about
            assert len(held.clusters) == 1, f"{about}: {held}"
            expected = sorted({GROUP} | IMPLICIT_POOLS[run.provider])
            assert sorted(held.pools) == expected, f"{about}: {held}"
            assert len(held.vpcs) == 1, f"{about}: {held}"
            assert not held.busy, f"{about}: {held}"
        else:
            assert (cluster["status"], cluster["status_reason"]) == ("FAILED", run.fault), about
            assert held.empty, f"{about}: {held}"

    def check_events(self, run: Run) -> None:
        """Once the stream has caught up: each event that ends a step came once."""
        about = self.about(run)
        for name, data in run.events:
            if name in ("ClusterRequested", "ClusterReady", "ClusterFailed", "NodeGroupReady"):
                assert_valid_event(data)
        ends = (run.count("ClusterReady"), run.count("ClusterFailed"), run.count("ClusterDeleted"))
        if run.fault is None:
            assert ends == (1, 0, 1), f"{about}: {run.phases}"
            assert run.count("NodeGroupReady") == 1, f"{about}: {run.phases}"
            return
        assert ends == (0, 1, 1), f"{about}: {run.phases}"
        failed = next(data for name, data in run.events if name == "ClusterFailed")
        assert failed["data"]["code"] == run.fault, f"{about}: {failed['data']}"
        assert "compensating" in run.phases, f"{about}: {run.phases}"

    def wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.reap()
            if done():
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"seed {self.seed}: {what} within {timeout:.0f}s; {self.tracker.describe()}"
                )
            time.sleep(0.05)

    def in_flight(self) -> list[Run]:
        """Runs being created, or deleted (asked to be, maybe not yet seen on the stream)."""
        return [
            r
            for r in self.runs
            if "deleted" not in r.phases and (not r.finished or r.cluster_id in self.checked)
        ]

    def ready_for_round(self, last_round: list[Run]) -> bool:
        past_network = all("network-ready" in r.phases or r.finished for r in last_round)
        return past_network and len(self.in_flight()) <= BACKLOG

    def kill(self) -> tuple[int, float]:
        victim = cloud.provisioning_pid(self.platform)
        assert victim is not None
        os.kill(victim, signal.SIGKILL)
        self.kill_times.append(time.time())
        return victim, self.kill_times[-1]


def at(run: Run, moment: float) -> str | None:
    """Where the run's saga was at `moment`, from its events' own times; None when it
    was not in flight then (not yet asked for, READY or FAILED and not being deleted,
    or deleted). A deletion asked for counts from its ClusterDeleteRequested."""
    if run.posted > moment and run.seen.get("requested", moment + 1) > moment:
        return None
    before = [(t, p) for p, t in run.seen.items() if t <= moment]
    label = max(before)[1] if before else "posted"
    return None if label in ("ready", "failed", "deleted") else label


def answered(requests: list[Future[Run]]) -> bool:
    return all(request.done() for request in requests)


def requested(run: Run) -> bool:
    return "requested" in run.phases


def test_sigkill_at_random_moments_of_many_sagas(platform) -> None:
    seed = int(os.environ.get("SKYCLUST_CRASH_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    print(f"\nsaga crash test: seed {seed} (SKYCLUST_CRASH_SEED={seed} replays it)")
    began = time.time()
    pool = ThreadPoolExecutor(max_workers=PER_ROUND)
    crash = Crash(platform, seed, pool)
    # Which runs are which: the clouds evenly, shuffled; one node-group fault per cloud.
    plan = [PROVIDERS[i % 3] for i in range(ROUNDS * PER_ROUND)]
    rng.shuffle(plan)
    faulted = {rng.choice([i for i, p in enumerate(plan) if p == cloud]) for cloud in PROVIDERS}
    tag = f"{rng.randrange(16**4):04x}"
    kills: list[str] = []
    slowed = {p: crash.clouds.admin(p).durations() for p in CREATE_SECONDS}
    try:
        for provider, durations in CREATE_SECONDS.items():
            crash.clouds.admin(provider).set_durations(**durations)
        batch: list[Run] = []
        for round_no in range(ROUNDS):
            crash.wait(partial(crash.ready_for_round, batch), 90, "the last round is stuck")
            crash.holding = round_no
            start = time.monotonic()
            requests = [
                pool.submit(
                    crash.request,
                    start + rng.uniform(0, SPREAD),
                    plan[i],
                    f"k{tag}{i:02d}",
                    round_no,
                    NODE_GROUP_FAULT_CODE[plan[i]] if i in faulted else None,
                )
                for i in range(round_no * PER_ROUND, (round_no + 1) * PER_ROUND)
            ]
            crash.wait(partial(answered, requests), 60, "requests unanswered")
            batch = sorted((r.result() for r in requests), key=lambda run: run.posted)

            # The kill: a random delay after the round's last request is taken. The
            # round's runs that are done by then are deleted just before it.
            last = batch[-1]
            delay = rng.uniform(0.2, KILL_WITHIN)
            crash.wait(partial(requested, last), 30, f"{last.name} not requested")
            time.sleep(delay)
            crash.holding = None
            # Until a look finds none newly done: only that look is short enough that
            # few runs turn READY between it and the kill. While runs keep ending, the
            # looks go on (bounded: the round has PER_ROUND runs).
            for _ in range(PER_ROUND):
                if not crash.reap(ask=True):
                    break
            victim, killed = crash.kill()
            cloud.wait_for_provisioning(platform, crash.api, victim)
            kills.append(
                f"round {round_no + 1} at {killed - began:.1f}s, {delay:.2f}s after its last "
                f"request; provisioning back after {time.time() - killed:.1f}s"
            )

        runs = crash.runs
        crash.wait(lambda: all(r.cluster_id in crash.checked for r in runs), 90, "not all ended")
        settled = time.time()
        crash.wait(lambda: all("deleted" in r.phases for r in runs), 60, "not all deleted")
        time.sleep(0.5)  # a late duplicate would show in the counts
        crash.tracker.pump()
        final = crash.clouds.snapshot(r.name for r in runs if r.provider == "aws")
        for run in runs:
            crash.check_events(run)
            assert crash.call("GET", crash.path(run)).status_code == 404, crash.about(run)
            held = crash.clouds.holdings(run.provider, run.name, run.cluster_id, final)
            assert held.empty, f"{crash.about(run)}: {held}"
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        crash.clouds.clear_faults()
        for provider, durations in slowed.items():
            crash.clouds.admin(provider).set_durations(**durations)
        crash.stream.close()

    # Where each kill found each run, from the events' own times.
    for n, moment in enumerate(crash.kill_times):
        found = Counter(p for p in (at(run, moment) for run in runs) if p is not None)
        kills[n] += f"; {sum(found.values())} in flight: " + ", ".join(
            f"{p} {c}" for p, c in found.most_common()
        )
    points = Counter(point for run in runs for point in crash.kill_points(run))
    hit = sum(1 for run in runs if crash.kill_points(run))
    per_cloud = Counter(r.provider for r in runs)
    created = [r.seen.get("ready", r.seen.get("failed", 0.0)) - r.posted for r in runs]
    removed = [r.seen["deleted"] - r.seen["deleting"] for r in runs]
    print(
        f"saga crash test: seed {seed}, {len(runs)} runs "
        f"({', '.join(f'{p} {n}' for p, n in sorted(per_cloud.items()))}), "
        f"{len(kills)} kills, {sum(1 for r in runs if r.fault)} faulted"
    )
    for line in kills:
        print(f"  {line}")
    print(f"  kill points over all runs: {dict(points)}")
    print(
        f"  POST: median {statistics.median(crash.post_seconds):.2f}s, max "
        f"{max(crash.post_seconds):.2f}s; {crash.unanswered} calls unanswered (503)"
    )
    print(
        f"  POST answered -> ClusterReady/Failed: median {statistics.median(created):.1f}s, "
        f"max {max(created):.1f}s; ClusterDeleteRequested -> ClusterDeleted: median "
        f"{statistics.median(removed):.1f}s, max {max(removed):.1f}s"
    )
    print(
        f"  every run ended and checked after {settled - began:.1f}s, all deleted and "
        f"nothing left after {time.time() - began:.1f}s"
    )
    if os.environ.get("SKYCLUST_CRASH_TIMELINE"):
        for r in sorted(runs, key=lambda r: r.posted):
            steps = " ".join(f"{k}@{v - began:.1f}" for k, v in r.seen.items())
            print(f"  {r.provider} {r.name} {steps}, killed at {crash.kill_points(r)}")
    print(f"  {hit} of {len(runs)} runs in flight at a kill")
    assert hit >= 30, f"seed {seed}: only {hit} runs were in flight at a kill"
