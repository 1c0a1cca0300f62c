"""Cloud faults at each step of the cluster saga, on each cloud (moto and the GCP and
Azure emulators, through their fault APIs).

A permanent fault (a refused request, or an operation the cloud fails) at the network,
control-plane or node-group step ends the cluster FAILED with the fault's code, after a
"compensating" step that leaves nothing of it in the cloud. Throttling (429) and
unavailability (503), more times than the cloud's SDK retries by itself, are retried by
the saga, and the cluster becomes READY."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from .client import Api, Sse, SseStream
from .test_cluster_lifecycle import assert_valid_event
from .test_saga_crash import GROUP, IMPLICIT_POOLS, REGIONS, Clouds, cluster_body, credentials

pytestmark = pytest.mark.e2e

PROVIDERS = ("aws", "gcp", "azure")
# How many times each SDK sends a request that fails with 429/503 before it gives up:
# GKE's create calls are not retried, boto3 is set to two attempts, the AKS client to
# three. A transient fault outlasts that, so the saga itself sees it and retries.
SDK_ATTEMPTS = {"gcp": 1, "aws": 2, "azure": 3}


@dataclass(frozen=True)
class Fault:
    path_regex: str
    method: str
    status: int | None = None
    operation_error: bool = False
    code: str | None = None  # the cloud's error code, where the default will not do


def network_fault(provider: str, name: str) -> Fault:
    """The generated network's creation is refused."""
    if provider == "aws":
        # EC2 is one path for every action, so the fault names the action: the network
        # service's inventory sweep makes EC2 calls of its own at any time.
        return Fault(r"^/CreateVpc$", "POST", 403, code="UnauthorizedOperation")
    if provider == "gcp":
        return Fault(r"/global/networks$", "POST", 403)
    return Fault(rf"/virtualNetworks/{name}-[0-9a-f]{{8}}$", "PUT", 403)


def control_plane_path(provider: str, name: str) -> tuple[str, str]:
    return {
        "aws": (r"^/clusters$", "POST"),
        "gcp": (rf"/locations/{REGIONS['gcp']}/clusters$", "POST"),
        "azure": (rf"/managedClusters/{name}$", "PUT"),
    }[provider]


def node_group_path(provider: str, name: str) -> tuple[str, str]:
    return {
        "aws": (rf"^/clusters/{name}/node-groups$", "POST"),
        "gcp": (rf"/clusters/{name}/nodePools$", "POST"),
        "azure": (rf"/managedClusters/{name}/agentPools/{GROUP}$", "PUT"),
    }[provider]


def control_plane_refused(provider: str, name: str) -> Fault:
    return Fault(*control_plane_path(provider, name), status=400)


def control_plane_failed(provider: str, name: str) -> Fault:
    return Fault(*control_plane_path(provider, name), operation_error=True)


def node_group_fault(provider: str, name: str) -> Fault:
    """EKS refuses the node group; GKE and AKS take it and fail the operation."""
    if provider == "aws":
        return Fault(*node_group_path(provider, name), status=400)
    return Fault(*node_group_path(provider, name), operation_error=True)


# step -> (the fault, the step it shows up in, the code the cluster must end with)
PERMANENT = {
    "network": (network_fault, "network", "PROVIDER_ACCESS_DENIED"),
    "control-plane-refused": (control_plane_refused, "control-plane", "PROVIDER_INVALID_REQUEST"),
    "control-plane-failed": (control_plane_failed, "control-plane", "CLOUD_FAILED"),
    "node-group": (node_group_fault, "node-groups", None),
}
NODE_GROUP_CODE = {
    "aws": "PROVIDER_INVALID_REQUEST",
    "gcp": "CLOUD_FAILED",
    "azure": "CLOUD_FAILED",
}


@dataclass
class User:
    api: Api
    credential: dict[str, str]
    stream: SseStream
    clouds: Clouds


@pytest.fixture(scope="module")
def user(platform: Any) -> Iterator[User]:
    api = platform.api()
    api.signup()
    stream = api.stream()
    yield User(api, credentials(api, platform), stream, Clouds(platform))
    stream.close()


def create(user: User, provider: str, name: str) -> str:
    created = user.api.post(
        f"/api/v1/{provider}/kubernetes/clusters",
        json=cluster_body(provider, user.credential[provider], name),
    )
    assert created.status_code == 202, created.text
    return str(created.json()["data"]["id"])


def about(cluster_id: str, seen: list[Sse]) -> list[Sse]:
    return [
        e
        for e in seen
        if e.data.get("subject") == cluster_id
        or (e.data.get("data") or {}).get("cluster_id") == cluster_id
    ]


def inject(user: User, provider: str, fault: Fault, times: int | None = 1) -> dict[str, Any]:
    return user.clouds.admin(provider).inject_fault(
        fault.path_regex,
        method=fault.method,
        status=fault.status,
        operation_error=fault.operation_error,
        code=fault.code,
        times=times,
    )


def hits(user: User, provider: str, injected: dict[str, Any]) -> int:
    (found,) = [f for f in user.clouds.admin(provider).faults() if f["id"] == injected["id"]]
    return int(found["hits"])


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("step", list(PERMANENT))
def test_a_permanent_fault_fails_the_cluster_and_leaves_nothing(
    user: User, provider: str, step: str
) -> None:
    make, shows_in, code = PERMANENT[step]
    code = code or NODE_GROUP_CODE[provider]
    name = f"f{uuid.uuid4().hex[:8]}"
    injected = inject(user, provider, make(provider, name))
    try:
        cluster_id = create(user, provider, name)
        seen = about(cluster_id, user.stream.until("ClusterFailed", cluster_id, timeout=60))
    finally:
        consumed = hits(user, provider, injected)
        user.clouds.admin(provider).clear_faults()
    assert consumed == 1, f"the fault was not met: {injected}"

    failed = seen[-1]
    assert_valid_event(failed.data)
    assert (failed.data["data"]["code"], failed.data["data"]["operation"]) == (code, "create")
    steps = [e.data["data"]["step"] for e in seen if e.event == "ClusterProvisioning"]
    assert steps[-1] == "compensating", steps
    assert shows_in in steps, steps
    names = [e.event for e in seen]
    assert "ClusterReady" not in names and "NodeGroupReady" not in names, names
    if step == "network":
        assert "ClusterNetworkFailed" in names, names
    else:
        assert "ClusterNetworkReleased" in names, names
    shown = user.api.get(f"/api/v1/{provider}/kubernetes/clusters/{cluster_id}").json()["data"]
    assert (shown["status"], shown["status_reason"]) == ("FAILED", code)
    held = user.clouds.holdings(provider, name, cluster_id)
    assert held.empty, held


@pytest.mark.parametrize("provider", PROVIDERS)
def test_throttling_and_unavailability_are_retried(user: User, provider: str) -> None:
    name = f"t{uuid.uuid4().hex[:8]}"
    times = SDK_ATTEMPTS[provider] + 1
    throttled = inject(
        user, provider, Fault(*control_plane_path(provider, name), status=429), times
    )
    unavailable = inject(user, provider, Fault(*node_group_path(provider, name), status=503), times)
    started = time.monotonic()
    try:
        cluster_id = create(user, provider, name)
        seen = about(cluster_id, user.stream.until("ClusterReady", cluster_id, timeout=60))
    finally:
        consumed = (hits(user, provider, throttled), hits(user, provider, unavailable))
        user.clouds.admin(provider).clear_faults()
    took = time.monotonic() - started
    assert consumed == (times, times), f"the faults were not all met: {consumed}"
    assert "ClusterFailed" not in [e.event for e in seen]
    steps = [e.data["data"]["step"] for e in seen if e.event == "ClusterProvisioning"]
    assert steps == ["network", "control-plane", "node-groups"], steps
    held = user.clouds.holdings(provider, name, cluster_id)
    assert len(held.clusters) == 1 and len(held.vpcs) == 1, held
    assert sorted(held.pools) == sorted({GROUP} | IMPLICIT_POOLS[provider]), held
    print(f"\n{provider}: READY after {took:.1f}s through {times} x 429 and {times} x 503")

    deleted = user.api.delete(f"/api/v1/{provider}/kubernetes/clusters/{cluster_id}")
    assert deleted.status_code == 202, deleted.text
    user.stream.until("ClusterDeleted", cluster_id, timeout=60)
    held = user.clouds.holdings(provider, name, cluster_id)
    assert held.empty, held
