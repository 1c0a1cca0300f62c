"""API keys and the audit trail on the in-memory unit of work."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from skyclust_common.envelope import new_event
from skyclust_common.errors import UntrustedSource
from skyclust_common.messages.rpc import (
    CreateApiKey,
    ListApiKeys,
    ListAuditLogs,
    RecordAudit,
    RevokeApiKey,
    VerifyApiKey,
)
from skyclust_common.messaging import Delivery, RpcContext
from skyclust_common.nats_permissions import AUDIT_SUBJECT
from skyclust_identity.domain.errors import (
    ApiKeyNotFound,
    AuditNotAllowed,
    InvalidApiKey,
    InvalidExpiry,
)
from skyclust_identity.handlers import api_keys, audit

from .fakes import Identity

pytestmark = pytest.mark.unit
WS, ACTOR = str(uuid.uuid4()), str(uuid.uuid4())


async def test_an_api_key_is_shown_once_verified_by_its_hash_and_revoked() -> None:
    identity = Identity()
    body = {"workspace_id": WS, "actor_id": ACTOR, "name": "ci", "role": "user"}
    created = await api_keys.create_api_key(identity.deps, CreateApiKey.request(body))
    assert created["key"].startswith("sk_") and created["prefix"] == created["key"][:10]
    [row] = identity.db.tables["api_keys"].values()
    assert created["key"] not in repr(row)
    listed = await api_keys.list_api_keys(identity.deps, ListApiKeys.request({"workspace_id": WS}))
    assert "key" not in listed["items"][0]
    verified = await api_keys.verify_api_key(
        identity.deps, VerifyApiKey.request({"key": created["key"]})
    )
    assert verified == {"api_key_id": created["id"], "workspace_id": WS, "role": "user"}
    revoke = {"workspace_id": WS, "actor_id": ACTOR, "api_key_id": created["id"]}
    with pytest.raises(ApiKeyNotFound):
        await api_keys.revoke_api_key(
            identity.deps, RevokeApiKey.request({**revoke, "workspace_id": str(uuid.uuid4())})
        )
    assert (await api_keys.revoke_api_key(identity.deps, RevokeApiKey.request(revoke)))[
        "revoked_at"
    ] is not None
    with pytest.raises(InvalidApiKey):
        await api_keys.verify_api_key(identity.deps, VerifyApiKey.request({"key": created["key"]}))
    assert [e["name"] for e in identity.events("ApiKeyRevoked")] == ["ci"]
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    with pytest.raises(InvalidExpiry):
        await api_keys.create_api_key(
            identity.deps, CreateApiKey.request({**body, "expires_at": past})
        )


# What RecordAudit's subject names: the vault, the one service that records over it.
VAULT_CTX = RpcContext({}, caller="credential-vault")


def record(action: str, at: datetime) -> dict[str, str]:
    return {
        "workspace_id": WS,
        "occurred_at": at.isoformat(),
        "actor_type": "user",
        "actor_id": ACTOR,
        "action": action,
        "resource_type": "cluster",
        "outcome": "success",
    }


async def test_the_audit_trail_pages_newest_first_and_takes_an_event_once() -> None:
    identity = Identity()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(3):
        made = new_event("AuditRecorded", record(f"cluster.create.{n}", start), source="gateway")
        await audit.on_audit_recorded(
            identity.deps, made, Delivery(audit.CONSUMER, AUDIT_SUBJECT, 1, 10 + n)
        )
    event = new_event("AuditRecorded", record("cluster.delete", start), source="gateway")
    delivery = Delivery(audit.CONSUMER, AUDIT_SUBJECT, 1, 1)
    await audit.on_audit_recorded(identity.deps, event, delivery)
    await audit.on_audit_recorded(identity.deps, event, delivery)  # redelivered
    page = await audit.list_audit_logs(
        identity.deps, ListAuditLogs.request({"workspace_id": WS, "limit": 3})
    )
    assert [r["action"] for r in page["items"]] == [
        "cluster.delete",
        "cluster.create.2",
        "cluster.create.1",
    ]
    assert page["items"][0]["id"] == event.id
    rest = await audit.list_audit_logs(
        identity.deps,
        ListAuditLogs.request({"workspace_id": WS, "limit": 3, "cursor": page["next_cursor"]}),
    )
    assert ([r["action"] for r in rest["items"]], rest["next_cursor"]) == (
        ["cluster.create.0"],
        None,
    )
    only = await audit.list_audit_logs(
        identity.deps, ListAuditLogs.request({"workspace_id": WS, "action": "cluster.create.1"})
    )
    assert [r["action"] for r in only["items"]] == ["cluster.create.1"]


async def test_each_service_may_audit_only_its_own_actions() -> None:
    identity = Identity()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    elsewhere = f"skyclust.evt.{WS}.AuditRecorded"
    kubeconfig = {**record("issue_kubeconfig", start), "resource_type": "cluster"}
    refused = [
        # Provisioning recording a change made through the API, as if the gateway had.
        (record("delete_cluster", start), "provisioning", elsewhere),
        # ... or claiming to be the gateway, off the gateway's own subject.
        (record("delete_cluster", start), "gateway", elsewhere),
        # Only the gateway may publish there (nats-server refuses the others too).
        (kubeconfig, "provisioning", AUDIT_SUBJECT),
        # The gateway audits what callers do, not what services do.
        ({**record("x", start), "actor_type": "service"}, "gateway", AUDIT_SUBJECT),
        # A service with no audit rights at all.
        (kubeconfig, "network", elsewhere),
        (record("credential.decrypt", start), "credential-vault", elsewhere),
        # Cost audits its budgets, not clusters.
        ({**kubeconfig, "action": "budget_created"}, "cost", elsewhere),
    ]
    for n, (data, source, subject) in enumerate(refused):
        event = new_event("AuditRecorded", data, source=source)
        with pytest.raises(UntrustedSource) as info:
            await audit.on_audit_recorded(identity.deps, event, Delivery("c", subject, 1, n))
        assert info.value.code == "UNTRUSTED_SOURCE"
        assert not info.value.retryable
    page = await audit.list_audit_logs(identity.deps, ListAuditLogs.request({"workspace_id": WS}))
    assert page["items"] == []
    budget = {**record("budget_created", start), "resource_type": "budget"}
    accepted = [
        (kubeconfig, "provisioning", elsewhere),
        (budget, "cost", elsewhere),
        (record("delete_cluster", start), "gateway", AUDIT_SUBJECT),
    ]
    for n, (data, source, subject) in enumerate(accepted):
        event = new_event("AuditRecorded", data, source=source)
        await audit.on_audit_recorded(identity.deps, event, Delivery("c", subject, 1, n))
    page = await audit.list_audit_logs(identity.deps, ListAuditLogs.request({"workspace_id": WS}))
    assert sorted(r["action"] for r in page["items"]) == [
        "budget_created",
        "delete_cluster",
        "issue_kubeconfig",
    ]


async def test_only_the_vault_records_over_request_reply_and_only_its_decryptions() -> None:
    identity = Identity()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    decrypt = {
        **record("credential.decrypt", start),
        "actor_type": "service",
        "actor_id": "provisioning",
        "resource_type": "credential",
    }
    refused = [
        (decrypt, RpcContext({"Skyclust-Caller": "credential-vault"})),  # a header is no caller
        (decrypt, RpcContext({}, caller="network")),
        ({**decrypt, "action": "credential.delete"}, VAULT_CTX),
        ({**decrypt, "actor_type": "user"}, VAULT_CTX),
    ]
    for data, ctx in refused:
        with pytest.raises(AuditNotAllowed) as info:
            await audit.record_audit(identity.deps, RecordAudit.request(data), ctx)
        assert (info.value.status, info.value.code) == (403, "AUDIT_NOT_ALLOWED")
    assert (
        await audit.list_audit_logs(identity.deps, ListAuditLogs.request({"workspace_id": WS}))
    )["items"] == []
    await audit.record_audit(identity.deps, RecordAudit.request(decrypt), VAULT_CTX)
    page = await audit.list_audit_logs(identity.deps, ListAuditLogs.request({"workspace_id": WS}))
    assert [(r["action"], r["actor_id"]) for r in page["items"]] == [
        ("credential.decrypt", "provisioning")
    ]
