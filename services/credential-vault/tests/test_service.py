"""The vault as it runs: its own start-up path on a real nats-server with per-service
users and a real PostgreSQL. Only provisioning, network and cost obtain a secret; every
decryption is in the audit trail first; no audit trail, no secret; a credential in use
(learnt from events on the stream) cannot be deleted until its users are gone."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from nats.errors import TimeoutError as NatsTimeout

from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import BadRequest, SkyclustError
from skyclust_common.messaging import EVENTS_STREAM, Bus
from skyclust_vault.adapters.clouds.fake import FakeCloud
from skyclust_vault.domain.providers import parse

from .conftest import (
    ADMIN,
    AuditStore,
    Nats,
    RunningVault,
    aws_data,
    gcp_data,
    start_vault,
    vault_settings,
)

pytestmark = pytest.mark.integration
VAULT = "credential-vault"


class World:
    def __init__(self, nats: Nats, vault: RunningVault, cloud: FakeCloud) -> None:
        self.nats = nats
        self.vault = vault
        self.cloud = cloud
        self.buses: dict[str, Bus] = {}
        self.audit: AuditStore | None = None
        self.workspace = str(uuid.uuid4())

    async def as_(self, service: str, **kw: Any) -> Bus:
        if service not in self.buses:
            self.buses[service] = await self.nats.bus(service, **kw)
        return self.buses[service]

    async def ask(
        self, service: str, query: str, timeout: float | None = None, **data: Any
    ) -> dict[str, Any]:
        bus = await self.as_(service)
        body = {"workspace_id": self.workspace, **data}
        return await bus.request(VAULT, query, body, timeout=timeout)

    async def create(self, provider: str, data: dict[str, Any]) -> dict[str, Any]:
        self.cloud.accept(parse(provider, data), account="123456789012")
        return await self.ask(
            "gateway",
            "CreateCredential",
            actor_id=ADMIN,
            provider=provider,
            name=f"{provider}-{uuid.uuid4().hex[:8]}",
            data=data,
        )

    async def decrypt(
        self, service: str, credential_id: str, correlation: str = "c-1", timeout: float = 3
    ) -> Any:
        return await self.ask(
            service,
            "DecryptCredential",
            timeout=timeout,
            credential_id=credential_id,
            reason=f"{service} test",
            correlation_id=correlation,
        )


@pytest.fixture(scope="module")
async def world(nats_with_users: Nats, vault_url) -> AsyncIterator[World]:
    cloud = FakeCloud()
    settings = vault_settings(nats_with_users.url, vault_url, "v1")
    vault = await start_vault(settings, cloud)
    world = World(nats_with_users, vault, cloud)
    world.audit = await AuditStore(await world.as_("identity")).serve()
    yield world
    for bus in world.buses.values():
        await bus.close()
    await vault.stop()


async def refused(coro: Awaitable[Any], code: str) -> SkyclustError:
    with pytest.raises(SkyclustError) as info:
        await coro
    assert info.value.code == code, info.value.to_dict()
    return info.value


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_only_provisioning_network_and_cost_obtain_a_secret(world: World):
    data = aws_data()
    created = await world.create("aws", data)
    assert created["status"] == "valid"
    for service in ("provisioning", "network", "cost"):
        secret = await world.decrypt(service, created["id"], correlation=f"corr-{service}")
        assert secret == {"provider": "aws", "data": data}

    # Their NATS users may not publish the request: it never reaches the vault.
    await asyncio.gather(
        *(
            refused(world.decrypt(service, created["id"], timeout=0.5), "SERVICE_UNAVAILABLE")
            for service in ("gateway", "identity", "notification")
        )
    )
    # A connection allowed everything still meets the vault's own check of the caller.
    admin = await world.as_("gateway-as-admin", user="admin")
    with pytest.raises(SkyclustError) as info:
        await admin.request(
            VAULT,
            "DecryptCredential",
            {"workspace_id": world.workspace, "credential_id": created["id"], "reason": "x"},
        )
    assert info.value.code == "DECRYPT_NOT_ALLOWED"

    assert world.audit is not None
    mine = [r for r in world.audit.records if r["resource_id"] == created["id"]]
    assert [(r["actor_id"], r["outcome"]) for r in mine] == [
        ("provisioning", "success"),
        ("network", "success"),
        ("cost", "success"),
        ("gateway-as-admin", "denied"),
    ]
    for record in mine[:3]:
        assert record["action"] == "credential.decrypt"
        assert record["actor_type"] == "service"
        assert record["correlation_id"] == f"corr-{record['actor_id']}"
        assert record["details"]["reason"] == f"{record['actor_id']} test"
    assert data["secret_access_key"] not in json.dumps(world.audit.records)

    def three_decrypted(events: list[CloudEvent]) -> bool:
        return sum(e.name == "CredentialDecrypted" for e in events) == 3

    stored = await stream_events(world, created["id"], three_decrypted)
    decrypted = [e for e in stored if e.name == "CredentialDecrypted"]
    assert sorted(e.data["service"] for e in decrypted) == ["cost", "network", "provisioning"]
    for event in stored:
        assert data["secret_access_key"] not in event.model_dump_json()


async def test_without_the_audit_trail_there_is_no_secret(world: World):
    created = await world.create("gcp", gcp_data())
    assert world.audit is not None
    world.audit.failing = True
    error = await refused(world.decrypt("provisioning", created["id"]), "AUDIT_UNAVAILABLE")
    assert (error.status, error.retryable) == (503, True), "the caller waits and asks again"
    world.audit.failing = BadRequest("the entry breaks its contract")
    error = await refused(world.decrypt("provisioning", created["id"]), "AUDIT_UNAVAILABLE")
    assert (error.status, error.retryable) == (503, False), "asking again cannot help"
    world.audit.failing = False

    # Identity gone altogether.
    identity = world.buses.pop("identity")
    await identity.close()
    error = await refused(world.decrypt("provisioning", created["id"]), "AUDIT_UNAVAILABLE")
    assert error.retryable
    got = await world.ask("gateway", "GetCredential", credential_id=created["id"])
    assert got["last_used_at"] is None

    world.audit = await AuditStore(await world.as_("identity")).serve()
    secret = await world.decrypt("provisioning", created["id"])
    assert secret["provider"] == "gcp"
    assert [r["outcome"] for r in world.audit.records] == ["success"]


async def test_a_credential_in_use_is_refused_deletion_until_its_users_are_gone(world: World):
    created = await world.create("aws", aws_data())
    cluster_id = str(uuid.uuid4())
    provisioning = await world.as_("provisioning")
    await provisioning.publish(
        new_event(
            "ClusterRequested",
            {
                "cluster_id": cluster_id,
                "provider": "aws",
                "name": "payments",
                "version": "1.29",
                "region": "us-east-1",
                "credential_id": created["id"],
                "tags": {},
                "aws_config": None,
            },
            source="provisioning",
            subject=cluster_id,
            workspace_id=world.workspace,
        )
    )

    async def in_use() -> bool:
        got = await world.ask("gateway", "GetCredential", credential_id=created["id"])
        return bool(got["in_use"])

    await eventually(in_use)
    error = await refused(
        world.ask("gateway", "DeleteCredential", actor_id=ADMIN, credential_id=created["id"]),
        "CREDENTIAL_IN_USE",
    )
    assert error.status == 409
    assert error.details["users"] == [{"kind": "cluster", "id": cluster_id, "name": "payments"}]
    assert "cluster payments" in error.message

    # Forgeries: network may not publish a ClusterDeleted at all (nats-server refuses
    # it), and one on provisioning's subject that says it comes from network is
    # dead-lettered by the vault's consumer, never handled: the lock holds.
    gone = {"cluster_id": cluster_id, "provider": "aws", "name": "payments"}
    network = await world.as_("network")
    subject = f"skyclust.evt.{world.workspace}.ClusterDeleted"
    from_network = new_event(
        "ClusterDeleted", gone, source="network", subject=cluster_id, workspace_id=world.workspace
    )
    with pytest.raises(NatsTimeout):  # no ack: the publish never reached a stream
        await network.js.publish(subject, from_network.to_json(), timeout=1)
    await provisioning.publish(from_network)
    letters = await dead_letters(world, from_network.id)
    assert letters[0]["error_code"] == "UNTRUSTED_SOURCE"
    assert letters[0]["service"] == VAULT
    assert "not by 'skyclust/network'" in letters[0]["reason"]
    got = await world.ask("gateway", "GetCredential", credential_id=created["id"])
    assert [u["id"] for u in got["in_use"]] == [cluster_id]

    await provisioning.publish(
        new_event(
            "ClusterDeleted",
            gone,
            source="provisioning",
            subject=cluster_id,
            workspace_id=world.workspace,
        )
    )

    async def deleted() -> bool:
        try:
            await world.ask(
                "gateway", "DeleteCredential", actor_id=ADMIN, credential_id=created["id"]
            )
        except SkyclustError as exc:
            assert exc.code == "CREDENTIAL_IN_USE"
            return False
        return True

    await eventually(deleted)
    await refused(
        world.ask("gateway", "GetCredential", credential_id=created["id"]), "CREDENTIAL_NOT_FOUND"
    )


async def test_rotation_and_validation_over_nats(world: World):
    created = await world.create("aws", aws_data())
    new = aws_data()
    world.cloud.accept(parse("aws", new), account="123456789012")
    rotated = await world.ask(
        "gateway", "RotateCredential", actor_id=ADMIN, credential_id=created["id"], data=new
    )
    assert rotated["status"] == "valid"
    assert (await world.decrypt("provisioning", created["id"]))["data"] == new
    world.cloud.accounts.clear()
    checked = await world.ask(
        "gateway", "ValidateCredential", actor_id=ADMIN, credential_id=created["id"]
    )
    assert (checked["status"], checked["status_reason"]) == ("invalid", "SignatureDoesNotMatch")
    wanted = {"CredentialRotated", "CredentialValidated", "CredentialInvalid"}
    await stream_events(world, created["id"], lambda events: wanted <= {e.name for e in events})


async def dead_letters(world: World, event_id: str, timeout: float = 10) -> list[dict[str, Any]]:
    """The dead letters of the event `event_id`, once there is one."""
    admin = await world.as_("dlq-reader", user="admin")
    found: list[dict[str, Any]] = []

    async def collect() -> bool:
        info = await admin.js.stream_info("SKYCLUST_DLQ")
        found.clear()
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            try:
                msg = await admin.js.get_msg("SKYCLUST_DLQ", seq)
            except Exception:
                continue
            data = json.loads(msg.data or b"{}").get("data", {})
            if (data.get("original") or {}).get("id") == event_id:
                found.append(data)
        return bool(found)

    await eventually(collect, timeout)
    return found


async def stream_events(
    world: World,
    subject: str,
    until: Callable[[list[CloudEvent]], bool] = bool,
    timeout: float = 10,
) -> list[CloudEvent]:
    """The vault's events about `subject` as published on JetStream by its outbox
    relay, read again until `until` holds."""
    admin = await world.as_("stream-reader", user="admin")
    found: list[CloudEvent] = []

    async def collect() -> bool:
        found.clear()
        sub = await admin.js.subscribe(
            f"skyclust.evt.{world.workspace}.>", stream=EVENTS_STREAM, ordered_consumer=True
        )
        try:
            while True:
                try:
                    msg = await sub.next_msg(timeout=0.3)
                except Exception:
                    break
                event = CloudEvent.from_json(msg.data)
                if event.subject == subject:
                    found.append(event)
        finally:
            await sub.unsubscribe()
        return until(found)

    await eventually(collect, timeout)
    return list(found)
