"""The cluster saga's failures against real PostgreSQL, with the in-memory cloud: rollback in
reverse, the network's failures and deadlines."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from skyclust_common.errors import (
    NotFound,
    ProviderError,
)
from skyclust_common.runtime import PeriodicJob
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.handlers import saga, sweep

from .saga_harness import (
    NODE_GROUP,
    _groups,
    _set,
    advance,
    delivery,
    make_deps,
    names,
    network_ready,
    published,
    released,
    reply,
    request,
    status,
    wire,
)

pytestmark = pytest.mark.integration


# failure and rollback ----------------------------------------------------------------


async def test_a_permanent_error_rolls_back_in_reverse_and_fails_with_its_code(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await request(deps, node_groups=[NODE_GROUP])
    await advance(deps, cluster)
    # Control plane created; the node group's create is refused.
    real = cloud.create_node_group

    async def refuse(*args: Any) -> Any:
        raise ProviderError("bad instance type", code="PROVIDER_INVALID_REQUEST")

    cloud.create_node_group = refuse  # type: ignore[method-assign,assignment]
    await saga.on_network_ready(deps, network_ready(cluster), delivery())
    cloud.create_node_group = real  # type: ignore[method-assign]
    rolling = await status(deps, cluster)
    assert (rolling["status"], rolling["step"]) == ("PROVISIONING", "release-network")
    assert rolling["status_reason"] == "PROVIDER_INVALID_REQUEST"
    assert not cloud.clusters, "the control plane is deleted before the network is released"
    commands = [s for s, _ in await published(deps, cluster["id"]) if s.startswith("skyclust.cmd")]
    assert commands[-1] == "skyclust.cmd.network.ReleaseClusterNetwork"

    await saga.on_network_released(deps, released(cluster), delivery())
    got = await status(deps, cluster)
    assert (got["status"], got["status_reason"]) == ("FAILED", "PROVIDER_INVALID_REQUEST")
    assert got["step"] is None
    events = await names(deps, cluster["id"])
    assert events.index("ClusterProvisioning", events.index("ClusterProvisioning") + 3) > 0
    failed = [e for _, e in await published(deps, cluster["id"]) if e.name == "ClusterFailed"]
    assert [(f.data["code"], f.data["operation"]) for f in failed] == [
        ("PROVIDER_INVALID_REQUEST", "create")
    ]
    groups = await _groups(deps, cluster)
    assert [g["status"] for g in groups] == []  # deleted with the rollback


async def test_a_failed_network_fails_the_cluster_with_the_network_code(sessions):
    cloud = FakeClusterProvider()
    deps = make_deps(sessions, cloud)
    cluster = await request(deps)
    await advance(deps, cluster)
    failed = reply(
        cluster,
        "ClusterNetworkFailed",
        {
            "request_id": f"provision-{cluster['id']}",
            "provider": "aws",
            "code": "CIDR_EXHAUSTED",
            "message": "no room for a /16",
            "retryable": False,
            "operation": "provision",
        },
    )
    await saga.on_network_failed(deps, failed, delivery())
    got = await status(deps, cluster)
    assert (got["status"], got["status_reason"]) == ("FAILED", "CIDR_EXHAUSTED")
    commands = [s for s, _ in await published(deps, cluster["id"]) if s.startswith("skyclust.cmd")]
    assert commands == ["skyclust.cmd.network.ProvisionClusterNetwork"], (
        "the network service cleaned up after itself: nothing to release"
    )
    assert cloud.create_calls == 0
    conditions = {c["type"]: (c["status"], c["reason"]) for c in got["conditions"]}
    assert conditions["NetworkReady"] == ("False", "CIDR_EXHAUSTED")


async def test_a_network_that_never_answers_hits_the_deadline_and_is_released(sessions):
    deps = make_deps(sessions, FakeClusterProvider())
    cluster = await request(deps)
    await advance(deps, cluster)
    await _set(
        deps,
        cluster,
        step_deadline=datetime.now(UTC) - timedelta(seconds=1),
        updated_at=datetime.now(UTC) - timedelta(hours=1),
    )
    sweeper = sweep.Sweeper(deps, stale_after=60)
    assert uuid.UUID(cluster["id"]) in await sweeper.once()
    await sweeper.wait()
    got = await status(deps, cluster)
    assert (got["step"], got["status_reason"]) == ("release-network", "STEP_DEADLINE_EXCEEDED")
    await saga.on_network_released(deps, released(cluster), delivery())
    assert (await status(deps, cluster))["status"] == "FAILED"


async def test_stopping_the_sweep_job_stops_the_runs_it_started(sessions):
    deps = make_deps(sessions, FakeClusterProvider(polls_until_active=10_000))
    cluster = await request(deps, aws_config={"subnet_ids": ["subnet-a", "subnet-b"]})
    await _set(deps, cluster, updated_at=datetime.now(UTC) - timedelta(hours=1))
    sweeper = sweep.Sweeper(deps, stale_after=60)
    job = PeriodicJob("saga-sweep", 60, sweeper.once, on_stop=sweeper.stop)
    job.start()
    for _ in range(200):
        if sweeper.running:
            break
        await asyncio.sleep(0.01)
    (run,) = sweeper.running.values()
    await asyncio.sleep(0.2)  # well into the control plane's polling
    assert not run.done()
    await job.stop()
    assert run.cancelled() and sweeper.running == {}
    got = await status(deps, cluster)
    assert (got["status"], got["step"]) == ("PROVISIONING", "control-plane"), (
        "a stopped run leaves the saga where it was, for the next sweep to resume"
    )


async def test_a_control_plane_that_never_turns_active_hits_its_deadline(sessions):
    cloud = FakeClusterProvider(polls_until_active=10_000)
    deps = make_deps(sessions, cloud, steps={"control-plane": 0.3})
    cluster = await request(deps, aws_config={"subnet_ids": ["subnet-a", "subnet-b"]})
    await advance(deps, cluster)
    got = await status(deps, cluster)
    assert (got["status"], got["status_reason"]) == ("FAILED", "STEP_DEADLINE_EXCEEDED")
    assert not cloud.clusters, "the half-made control plane is deleted"


async def test_missing_credential_fails_the_cluster(sessions):
    async def gone(*args: Any) -> dict[str, Any]:
        raise wire(NotFound("credential not found", code="CREDENTIAL_NOT_FOUND"))

    deps = make_deps(sessions, FakeClusterProvider(), decrypt_credential=gone)
    cluster = await request(deps, aws_config={"subnet_ids": ["subnet-a", "subnet-b"]})
    await advance(deps, cluster)
    got = await status(deps, cluster)
    assert (got["status"], got["status_reason"]) == ("FAILED", "CREDENTIAL_NOT_FOUND")
