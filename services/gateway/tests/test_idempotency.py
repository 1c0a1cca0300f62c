"""Idempotency-Key on POST through the real gateway app, in process, on the fake
provisioning; and both stores (in memory, and Redis on a real redis-server)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from skyclust_gateway.idempotency import (
    IdempotencyStore,
    Kept,
    MemoryIdempotencyStore,
    RedisIdempotencyStore,
)
from skyclust_tools.embedded import free_port, wait_for_port

from .cluster_fakes import AWS, AWS_CLUSTER, CREATE, FakeProvisioning, as_

pytestmark = pytest.mark.unit


def keyed(role: str = "user", key: str | None = None) -> dict[str, str]:
    return {**as_(role), "Idempotency-Key": key or uuid.uuid4().hex}


async def test_same_key_same_body_replays_the_first_answer(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    headers = keyed()

    first = await gw.post(AWS, json=CREATE, headers=headers)
    # The same body, fields in another order and spaced otherwise, with a fresh token.
    again = await gw.post(
        AWS,
        content=b'{"region": "us-east-1",  "version": "1.31", "name": "web", "credential_id": "'
        + CREATE["credential_id"].encode()
        + b'"}',
        headers={
            **as_("user"),
            "Idempotency-Key": headers["Idempotency-Key"],
            "Content-Type": "application/json",
        },
    )

    assert first.status_code == again.status_code == 202, again.text
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["retry-after"] == first.headers["retry-after"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    # A new request id for the new request; the work was done once.
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert [name for name, _ in provisioning.sent()] == ["CreateCluster"]


async def test_same_key_other_body_is_refused(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    headers = keyed()
    await gw.post(AWS, json=CREATE, headers=headers)

    other = await gw.post(AWS, json={**CREATE, "name": "api"}, headers=headers)
    other_path = await gw.post(AWS.replace("/aws/", "/gcp/"), json=CREATE, headers=headers)

    for response in (other, other_path):
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert [name for name, _ in provisioning.sent()] == ["CreateCluster"]


async def test_keys_are_the_callers_own(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    key = uuid.uuid4().hex
    await gw.post(AWS, json=CREATE, headers=keyed("user", key))

    # The same key from a caller in another workspace runs its own request.
    other = as_("user", workspace_id=str(uuid.uuid4()))
    response = await gw.post(AWS, json=CREATE, headers={**other, "Idempotency-Key": key})

    assert response.status_code == 202
    assert "idempotent-replayed" not in response.headers
    assert [call[0] for call in provisioning.calls] == ["CreateCluster", "CreateCluster"]


async def test_a_failed_answer_is_kept_but_refusals_and_5xx_are_not(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    headers = keyed("viewer")
    refused = await gw.post(AWS, json=CREATE, headers=headers)
    assert refused.status_code == 403
    # The viewer's key was not spent on the refusal: a user with the same key runs.
    allowed = await gw.post(
        AWS, json=CREATE, headers={**as_("user"), "Idempotency-Key": headers["Idempotency-Key"]}
    )
    assert allowed.status_code == 202
    assert "idempotent-replayed" not in allowed.headers

    invalid_headers = keyed()
    invalid = await gw.post(AWS, json={**CREATE, "name": ""}, headers=invalid_headers)
    replayed = await gw.post(AWS, json={**CREATE, "name": ""}, headers=invalid_headers)
    assert invalid.status_code == replayed.status_code == 422
    assert replayed.headers["idempotent-replayed"] == "true"


async def test_a_request_still_running_holds_its_key(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    release, entered = asyncio.Event(), asyncio.Event()
    answer = provisioning.call

    async def slow(service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        entered.set()
        await release.wait()
        return await answer(service, name, data)

    provisioning.call = slow  # type: ignore[method-assign]
    headers = keyed()
    first = asyncio.create_task(gw.post(AWS, json=CREATE, headers=headers))
    await entered.wait()
    second = await gw.post(AWS, json=CREATE, headers=headers)

    assert second.status_code == 409
    assert second.json()["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE"
    assert second.headers["retry-after"] == "1"
    release.set()
    assert (await first).status_code == 202
    third = await gw.post(AWS, json=CREATE, headers=headers)
    assert third.status_code == 202 and third.headers["idempotent-replayed"] == "true"
    assert third.json() == (await first).json()


@pytest.mark.parametrize("key", [b"", b"x" * 256, "caf\u00e9".encode(), b"a b"])
async def test_a_malformed_key_is_refused(gw: httpx.AsyncClient, key: bytes) -> None:
    headers = [(name.encode(), value.encode()) for name, value in as_("user").items()]
    response = await gw.post(AWS, json=CREATE, headers=[*headers, (b"idempotency-key", key)])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_IDEMPOTENCY_KEY"


async def test_other_methods_ignore_the_key(
    gw: httpx.AsyncClient, provisioning: FakeProvisioning
) -> None:
    headers = keyed()
    for _ in range(2):
        response = await gw.patch(f"{AWS}/{AWS_CLUSTER}", json={"version": "1.31"}, headers=headers)
        assert response.status_code == 202
        assert "idempotent-replayed" not in response.headers
    assert [name for name, _ in provisioning.sent()] == ["UpgradeCluster", "UpgradeCluster"]


# the stores ------------------------------------------------------------------------


async def _exercise(store: IdempotencyStore) -> None:
    key = uuid.uuid4().hex
    assert await store.claim(key, "f1", 30) is None
    running = await store.claim(key, "f1", 30)
    assert running is not None and running.status is None and running.fingerprint == "f1"
    answer = Kept("f1", 202, [("location", "/x")], b'{"ok": true}')
    await store.keep(key, answer, 30)
    assert await store.claim(key, "f2", 30) == answer
    await store.release(key)
    assert await store.claim(key, "f2", 30) is None


async def test_memory_store() -> None:
    await _exercise(MemoryIdempotencyStore())


async def test_memory_store_lapses_and_stays_bounded() -> None:
    now = [0.0]
    store = MemoryIdempotencyStore(max_entries=2, clock=lambda: now[0])
    assert await store.claim("a", "f", 10) is None
    now[0] = 11  # a claim its gateway never finished lapses
    assert await store.claim("a", "g", 10) is None
    await store.claim("b", "f", 10)
    await store.claim("c", "f", 10)
    assert len(store.entries) == 2 and "a" not in store.entries


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is part of the test set-up"
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 10, proc)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(5)


@pytest.fixture
async def redis_store(redis_url: str) -> AsyncIterator[RedisIdempotencyStore]:
    import redis.asyncio as redis

    client = redis.from_url(redis_url)
    try:
        yield RedisIdempotencyStore(client)
    finally:
        await client.aclose()


async def test_redis_store(redis_store: RedisIdempotencyStore) -> None:
    await _exercise(redis_store)


async def test_redis_store_claims_once_across_gateways(
    redis_store: RedisIdempotencyStore,
) -> None:
    key = uuid.uuid4().hex
    claims = await asyncio.gather(*(redis_store.claim(key, "f", 30) for _ in range(20)))

    assert sum(1 for claim in claims if claim is None) == 1
    ttl = await redis_store.redis.ttl(redis_store.prefix + key)
    assert 0 < ttl <= 30
