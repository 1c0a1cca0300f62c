"""The platform with two replicas of every service (`SKYCLUST_REPLICAS=2`) on a 3-node
NATS JetStream cluster (embedded nats-servers on free ports, routed to each other) with
every stream at 3 replicas. In the middle of 50 sagas, the node that leads every stream
(and every consumer it could be given) is killed, and so is one replica of each service
(SIGKILL; the launcher starts it again): the other two nodes elect new leaders with
nothing acknowledged lost, and every cluster still becomes READY, each announced once,
with one cloud cluster each. With R1 streams on that node, replicas that did not keep up,
or a service replica's half-done work not taken over, the sagas would stall, run a cloud
step twice or the streams would go back in sequence."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import nats
import pytest

from skyclust_tools.embedded import NatsServer, free_port, scratch_dir

from .client import Api
from .conftest import Platform, launched, platform_env
from .test_cluster_lifecycle import add_credential, make_cluster

pytestmark = pytest.mark.e2e

PATH = "/api/v1/aws/kubernetes/clusters"
NODES = 3
CLUSTERS = 50
REPLICAS = 2
# Every service has a second replica; the first ones serve the test (gateway, logs).
SERVICES = ("identity", "credential-vault", "provisioning", "network", "cost", "notification")


def cluster_config(name: str, cluster_port: int, routes: list[int]) -> str:
    listed = ", ".join(f"nats://127.0.0.1:{port}" for port in routes)
    return (
        f"server_name: {name}\n"
        f"cluster {{ name: skyclust, listen: 127.0.0.1:{cluster_port}, routes: [{listed}] }}\n"
    )


async def _jetstream_ready(url: str, timeout: float) -> None:
    """Until the cluster has a JetStream meta leader and takes an R3 stream."""
    deadline = time.monotonic() + timeout
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        while True:
            try:
                await js.add_stream(name="PROBE", subjects=["probe.>"], num_replicas=NODES)
                await js.delete_stream("PROBE")
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await nc.close()


async def _replicas(url: str) -> dict[str, int]:
    nc = await nats.connect(url)
    try:
        streams = await nc.jetstream().streams_info()
        return {s.config.name or "": s.config.num_replicas or 1 for s in streams}
    finally:
        await nc.close()


async def _leaders(url: str) -> dict[str, tuple[str, int]]:
    """Each stream's leader and last sequence, as the cluster reports them."""
    nc = await nats.connect(url)
    try:
        streams = await nc.jetstream().streams_info()
        return {
            s.config.name or "": ((s.cluster.leader if s.cluster else "") or "", s.state.last_seq)
            for s in streams
        }
    finally:
        await nc.close()


async def _lead_from(url: str, node: str, timeout: float) -> tuple[int, int]:
    """Every stream's leadership moved to `node` (a step-down with it preferred), and each
    consumer's where the server takes it; returns how many consumers `node` then leads,
    and how many there are."""
    deadline = time.monotonic() + timeout
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        preferred = json.dumps({"placement": {"preferred": node}}).encode()
        for stream in await js.streams_info():
            name = stream.config.name or ""
            while True:
                leader = None
                with contextlib.suppress(Exception):  # 503 while it elects
                    info = await js.stream_info(name)
                    leader = info.cluster.leader if info.cluster else None
                if leader == node:
                    break
                if time.monotonic() > deadline:
                    pytest.fail(f"{name} is led by {leader} and not by {node}")
                with contextlib.suppress(Exception):
                    await nc.request(f"$JS.API.STREAM.LEADER.STEPDOWN.{name}", preferred, 5)
                await asyncio.sleep(0.5)
        led = total = 0
        for stream in await js.streams_info():
            name = stream.config.name or ""
            for consumer in await js.consumers_info(name):
                total += 1
                if consumer.cluster and consumer.cluster.leader == node:
                    led += 1
                    continue
                subject = f"$JS.API.CONSUMER.LEADER.STEPDOWN.{name}.{consumer.name}"
                with contextlib.suppress(Exception):
                    await nc.request(subject, preferred, 5)
                # The consumer elects for a moment (503 meanwhile).
                for _ in range(20):
                    with contextlib.suppress(Exception):
                        after = await js.consumer_info(name, consumer.name or "", timeout=2)
                        if after.cluster and after.cluster.leader:
                            led += after.cluster.leader == node
                            break
                    await asyncio.sleep(0.25)
        return led, total
    finally:
        await nc.close()


async def _new_leaders(
    url: str, dead: str, before: dict[str, tuple[str, int]], timeout: float
) -> dict[str, tuple[str, int]]:
    """Until every stream is led by a live node, at no lower a sequence than before."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            now = await _leaders(url)
            if set(now) == set(before) and all(now[s][0] not in ("", dead) for s in now):
                return now
        if time.monotonic() > deadline:
            pytest.fail(f"no new stream leaders after {dead} died")
        await asyncio.sleep(0.3)


@pytest.fixture(scope="module")
def nats_cluster() -> Iterator[list[NatsServer]]:
    root = scratch_dir("sc-natsc-")
    cluster_ports = [free_port() for _ in range(NODES)]
    servers = []
    try:
        for i in range(NODES):
            config = root / f"n{i}.conf"
            config.write_text(cluster_config(f"n{i}", cluster_ports[i], cluster_ports))
            server = NatsServer(
                port=free_port(),
                store_dir=root / f"n{i}",
                config_file=config,
                log_file=root / f"n{i}.log",
            )
            servers.append(server.start())
        asyncio.run(_jetstream_ready(servers[0].url, timeout=60))
        yield servers
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def replicated_platform(nats_cluster: list[NatsServer]) -> Iterator[Platform]:
    env = platform_env(
        SKYCLUST_NATS_URL=nats_cluster[0].url,
        SKYCLUST_STREAM_REPLICAS=str(NODES),
        SKYCLUST_REPLICAS=str(REPLICAS),
    )
    with launched(env) as platform:
        yield platform


def eks_clusters(platform: Platform, credential: dict[str, Any]) -> list[str]:
    data = credential["data"]
    eks = boto3.client(
        "eks",
        region_name="us-east-1",
        endpoint_url=platform.env["SKYCLUST_AWS_ENDPOINT_URL"],
        aws_access_key_id=data["access_key_id"],
        aws_secret_access_key=data["secret_access_key"],
    )
    names: list[str] = eks.list_clusters()["clusters"]
    return names


def status(api: Api, cluster: str) -> str:
    value: str = api.get(f"/api/v1/aws/kubernetes/clusters/{cluster}").json()["data"]["status"]
    return value


# The platform's start (14 services on three nodes) counts toward the test's time.
@pytest.mark.timeout(900)
def test_sagas_finish_when_a_nats_node_and_a_replica_of_each_service_die_mid_run(
    nats_cluster: list[NatsServer], replicated_platform: Platform
) -> None:
    platform = replicated_platform
    replicas = asyncio.run(_replicas(nats_cluster[0].url))
    assert replicas and set(replicas.values()) == {NODES}, replicas
    for service in (*SERVICES, "gateway"):
        assert platform.pid(f"{service}-{REPLICAS}") != platform.pid(service)

    body = json.loads((Path(platform.state_dir) / "credentials" / "aws.json").read_text())
    api = platform.api()
    api.signup()
    credential = add_credential(api, body)
    stream = api.stream(types="ClusterReady,ClusterFailed")
    # The last node (not the one the services were given) is made the leader of every
    # stream, then dies with sagas in flight: the replicas on the other two must elect a
    # leader that has everything the dead one had acknowledged.
    victim = f"n{NODES - 1}"
    url = nats_cluster[0].url
    consumers_led, consumers = asyncio.run(_lead_from(url, victim, timeout=30))
    started = time.monotonic()
    clusters = [make_cluster(api, credential["id"])["id"] for _ in range(CLUSTERS // 2)]
    before = asyncio.run(_leaders(url))
    in_flight = sum(status(api, c) != "READY" for c in clusters)
    assert {leader for leader, _ in before.values()} == {victim}, before
    nats_cluster[-1].stop()
    killed = [kill(platform, f"{service}-{REPLICAS}") for service in (*SERVICES, "gateway")]
    after = asyncio.run(_new_leaders(url, victim, before, timeout=30))
    for name, (_, last_seq) in before.items():
        assert after[name][1] >= last_seq, (name, before, after)
    clusters += [create(api, credential["id"]) for _ in range(CLUSTERS - len(clusters))]

    deadline = time.monotonic() + 300
    statuses: dict[str, str] = {}
    while time.monotonic() < deadline:
        statuses = {c: status(api, c) for c in clusters}
        if set(statuses.values()) == {"READY"}:
            break
        assert "FAILED" not in statuses.values(), statuses
        time.sleep(2)
    assert set(statuses.values()) == {"READY"}, stalled(platform, statuses)
    elapsed = time.monotonic() - started
    # One cloud cluster per saga: no step ran twice against the cloud.
    assert len(eks_clusters(platform, body)) == CLUSTERS
    # Each saga's outcome announced once: none lost, none repeated by a second replica.
    ready = [e.data["subject"] for e in stream.drain(3) if e.event == "ClusterReady"]
    stream.close()
    assert sorted(ready) == sorted(clusters)
    # The killed replicas were started again and are serving.
    restarted = [platform.pid(f"{service}-{REPLICAS}") for service in (*SERVICES, "gateway")]
    assert all(new != old for new, old in zip(restarted, killed, strict=True))
    print(
        f"{CLUSTERS} sagas READY in {elapsed:.1f} s on {REPLICAS} replicas of every service,"
        f" across the death of {victim}, which led {len(before)} streams and {consumers_led}"
        f" of {consumers} consumers, and of one replica of each service, with {in_flight} of"
        f" {CLUSTERS // 2} sagas in flight; new leaders {after}"
    )


def create(api: Api, credential_id: str, timeout: float = 90) -> str:
    """A create as a client does it while the platform is losing pieces: a retryable
    answer (503 while a request found no live replica) is sent again, under the same
    Idempotency-Key and name; a create that went through but whose answer was lost is
    then found by its name (409 CLUSTER_NAME_TAKEN), never made twice."""
    name = f"c-{uuid.uuid4().hex[:8]}"
    key = uuid.uuid4().hex
    body = {"credential_id": credential_id, "name": name, "version": "1.29", "region": "us-east-1"}
    deadline = time.monotonic() + timeout
    while True:
        response = api.post(PATH, json=body, headers={"Idempotency-Key": key})
        if response.status_code == 202:
            created: str = response.json()["data"]["id"]
            return created
        error = response.json()["error"]
        if response.status_code == 409 and error["code"] == "CLUSTER_NAME_TAKEN":
            (found,) = [c for c in api.get(PATH).json()["data"] if c["name"] == name]
            existing: str = found["id"]
            return existing
        assert response.status_code == 503 and error["code"] == "SERVICE_UNAVAILABLE", response.text
        assert time.monotonic() < deadline, response.text
        time.sleep(1)


def stalled(platform: Platform, statuses: dict[str, str], limit: int = 150) -> str:
    """The clusters not READY, with what every service logged about them."""
    stuck = {c: s for c, s in statuses.items() if s != "READY"}
    lines = [
        f"{name}: {line}"
        for name, text in sorted(platform.logs().items())
        for line in text.splitlines()
        if any(c in line for c in stuck)
    ]
    return f"not READY: {stuck}\n" + "\n".join(lines[-limit:])


def kill(platform: Platform, replica: str) -> int:
    """SIGKILL one replica (the launcher starts it again); its pid as it was."""
    pid = platform.pid(replica)
    os.kill(pid, signal.SIGKILL)
    return pid
