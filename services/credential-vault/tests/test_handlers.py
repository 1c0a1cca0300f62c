"""The vault's use cases on a real PostgreSQL, with the in-memory cloud and audit trail:
round trips, masked views, validation, secret rotation, in-use tracking, audited
decryption, and what a tampered database row gets."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.envelope import new_event
from skyclust_common.errors import SkyclustError
from skyclust_common.messaging import Delivery, RpcContext
from skyclust_vault.entrypoints.events import usage_events
from skyclust_vault.handlers import credentials, usage

from .conftest import (
    ADMIN,
    Harness,
    aws_data,
    azure_data,
    gcp_data,
    plain,
    serve,
    with_canary,
)

pytestmark = pytest.mark.integration
CONSUMER = "credential-vault-usage"


async def fails(coro: Any, code: str) -> SkyclustError:
    with pytest.raises(SkyclustError) as info:
        await coro
    assert info.value.code == code, info.value.to_dict()
    return info.value


async def every_value_in_the_schema(url: str) -> list[str]:
    conn = await asyncpg.connect(plain(url))
    try:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'credential_vault' AND table_type = 'BASE TABLE'"
        )
        assert {"credentials", "credential_users", "outbox", "inbox"} <= {
            t["table_name"] for t in tables
        }
        values: list[str] = []
        for table in tables:
            columns = await conn.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'credential_vault' AND table_name = $1",
                table["table_name"],
            )
            for column in columns:
                rows = await conn.fetch(
                    f'SELECT "{column["column_name"]}"::text AS v '
                    f'FROM credential_vault."{table["table_name"]}"'
                )
                values += [row["v"] for row in rows if row["v"] is not None]
        return values
    finally:
        await conn.close()


@pytest.mark.parametrize("provider", ["aws", "gcp", "azure"])
async def test_round_trip_and_no_plaintext_in_any_column(harness: Harness, vault_url, provider):
    data, canary = with_canary(provider)
    created = await harness.create(provider, data)
    assert created["status"] == "valid"
    assert created["account_id"] == f"{provider}-account"
    secret = await harness.decrypt(created["id"])
    if provider == "gcp":
        # Handed out as the key file's text.
        key = secret["data"]["service_account_json"]
        assert isinstance(key, str)
        secret["data"]["service_account_json"] = json.loads(key)
    assert secret == {"provider": provider, "data": data}

    values = await every_value_in_the_schema(vault_url)
    assert any(created["id"] in v for v in values), "the scan did not see the credential"
    hexed = canary.encode().hex()
    assert not [v for v in values if canary in v or hexed in v]
    for event in await harness.events(created["id"]):
        assert canary not in event.model_dump_json()
    assert canary not in json.dumps(created)
    assert canary not in json.dumps(await harness.call(credentials.list_))


async def test_masked_views_show_status_times_and_users_but_no_secret(harness: Harness):
    data = aws_data()
    created = await harness.create("aws", data, name="prod")
    got = await harness.call(credentials.get, credential_id=created["id"])
    key = data["access_key_id"]
    assert got["masked"] == {"access_key_id": f"{key[:4]}…{key[-4:]}", "region": "eu-west-1"}
    assert got["name"] == "prod"
    assert got["created_by"] == ADMIN
    assert got["last_used_at"] is None
    assert got["last_validated_at"] is not None
    assert got["in_use"] == []
    await harness.decrypt(created["id"])
    again = await harness.call(credentials.get, credential_id=created["id"])
    assert again["last_used_at"] is not None
    listed = await harness.call(credentials.list_)
    assert [c["id"] for c in listed["items"]] == [created["id"]]
    assert data["secret_access_key"] not in json.dumps([got, again, listed])
    await fails(harness.create("aws", aws_data(), name="prod"), "CREDENTIAL_NAME_TAKEN")


async def test_another_workspace_sees_nothing(harness: Harness):
    created = await harness.create("azure", azure_data())
    other = Harness(harness.engine, harness.keys, workspace=str(uuid.uuid4()))
    await fails(other.call(credentials.get, credential_id=created["id"]), "CREDENTIAL_NOT_FOUND")
    await fails(other.decrypt(created["id"]), "CREDENTIAL_NOT_FOUND")
    await fails(other.call(credentials.delete, credential_id=created["id"]), "CREDENTIAL_NOT_FOUND")
    assert (await other.call(credentials.list_))["items"] == []


async def test_rows_swapped_or_moved_in_the_database_never_decrypt(harness: Harness, vault_url):
    first = await harness.create("aws", aws_data())
    second = await harness.create("aws", aws_data())
    third = await harness.create("aws", aws_data())
    conn = await asyncpg.connect(plain(vault_url))
    try:
        # The sealed columns of the first two credentials swapped, the third moved to
        # another workspace, and a relabelled key version.
        await conn.execute(
            """
            UPDATE credential_vault.credentials AS c
            SET ciphertext = o.ciphertext, nonce = o.nonce,
                wrapped_key = o.wrapped_key, key_nonce = o.key_nonce
            FROM credential_vault.credentials AS o
            WHERE (c.id, o.id) IN (($1::uuid, $2::uuid), ($2::uuid, $1::uuid))
            """,
            first["id"],
            second["id"],
        )
        moved_to = uuid.uuid4()
        await conn.execute(
            "UPDATE credential_vault.credentials SET workspace_id = $1 WHERE id = $2",
            moved_to,
            uuid.UUID(third["id"]),
        )
    finally:
        await conn.close()
    for credential in (first, second):
        error = await fails(harness.decrypt(credential["id"]), "CREDENTIAL_DECRYPTION_FAILED")
        assert error.details == {"reason": "mismatch"}
    await fails(
        harness.decrypt(third["id"], workspace=str(moved_to)), "CREDENTIAL_DECRYPTION_FAILED"
    )
    # Nothing was handed out; each attempt is on record as a failure.
    assert [(e.credential_id, e.outcome) for e in harness.audit.entries] == [
        (first["id"], "failure"),
        (second["id"], "failure"),
        (third["id"], "failure"),
    ]
    assert harness.audit.entries[0].details["cause"] == "mismatch"


async def test_validation_stores_the_verdict_and_emits_it(harness: Harness):
    data = gcp_data()
    created = await harness.create("gcp", data, valid=False)
    assert (created["status"], created["status_reason"]) == ("invalid", "invalid_grant")
    assert created["last_validated_at"] is not None
    # (Events of one transaction leave the outbox in no particular order.)
    names = {e.name for e in await harness.events(created["id"])}
    assert names == {"CredentialCreated", "CredentialInvalid"}

    from skyclust_vault.domain.providers import parse

    harness.cloud.accept(parse("gcp", data), account="skyclust-test")
    checked = await harness.call(credentials.validate, credential_id=created["id"])
    assert (checked["status"], checked["status_reason"]) == ("valid", None)
    assert checked["account_id"] == "skyclust-test"
    validated = [e for e in await harness.events(created["id"]) if e.name == "CredentialValidated"]
    assert [e.data["account_id"] for e in validated] == ["skyclust-test"]

    harness.cloud.down = True
    error = await fails(
        harness.call(credentials.validate, credential_id=created["id"]), "PROVIDER_UNAVAILABLE"
    )
    assert error.status == 502
    unverified = await harness.create("aws", aws_data())
    assert (unverified["status"], unverified["status_reason"]) == (
        "unverified",
        "PROVIDER_UNAVAILABLE",
    )
    assert [e.name for e in await harness.events(unverified["id"])] == ["CredentialCreated"]


async def test_rotation_replaces_the_secret_only_with_a_valid_one_of_the_same_account(
    harness: Harness,
):
    old = aws_data()
    created = await harness.create("aws", old)
    await fails(
        harness.call(credentials.rotate, credential_id=created["id"], data=aws_data()),
        "CREDENTIAL_INVALID",
    )
    other_account = aws_data()
    from skyclust_vault.domain.providers import parse

    harness.cloud.accept(parse("aws", other_account), account="999999999999")
    mismatch = await fails(
        harness.call(credentials.rotate, credential_id=created["id"], data=other_account),
        "CREDENTIAL_ACCOUNT_MISMATCH",
    )
    assert mismatch.details == {"account_id": "aws-account", "new_account_id": "999999999999"}
    await fails(
        harness.call(credentials.rotate, credential_id=created["id"], data=azure_data()),
        "INVALID_CREDENTIAL_DATA",
    )
    assert (await harness.decrypt(created["id"]))["data"] == old

    new = aws_data()
    harness.cloud.accept(parse("aws", new), account="aws-account")
    rotated = await harness.call(credentials.rotate, credential_id=created["id"], data=new)
    assert rotated["masked"]["access_key_id"].startswith(new["access_key_id"][:4])
    assert rotated["status"] == "valid"
    assert rotated["updated_at"] > created["updated_at"]
    assert (await harness.decrypt(created["id"]))["data"] == new
    events = await harness.events(created["id"])
    rotated_event = next(e for e in events if e.name == "CredentialRotated")
    assert new["secret_access_key"] not in rotated_event.model_dump_json()
    assert [e.name for e in events].count("CredentialValidated") == 2
    await fails(
        harness.call(credentials.rotate, credential_id=str(uuid.uuid4()), data=new),
        "CREDENTIAL_NOT_FOUND",
    )


# What each usage event carries besides the ids and the name: the handler reads the
# events as their contracts' models.
REST_OF: dict[str, dict[str, Any]] = {
    "ClusterRequested": {"version": "1.31", "region": "us-east-1", "tags": {}, "aws_config": None},
    "ClusterImported": {"version": "1.31", "region": "us-east-1", "cloud_id": None},
    "VpcRequested": {"region": "us-east-1", "cidr": "10.0.0.0/16"},
    "VpcAdopted": {"cloud_id": "vpc-0abc"},
}


def cluster_event(
    name: str, harness: Harness, cluster_id: str, credential_id: str | None = None
) -> Any:
    data: dict[str, Any] = {"cluster_id": cluster_id, "provider": "aws", "name": "web"}
    if credential_id:
        data["credential_id"] = credential_id
    data |= REST_OF.get(name, {})
    return new_event(name, data, source="provisioning", workspace_id=harness.workspace)


def vpc_event(name: str, harness: Harness, vpc_id: str, credential_id: str) -> Any:
    data = {"vpc_id": vpc_id, "provider": "aws", "name": "main", "credential_id": credential_id}
    data |= REST_OF.get(name, {})
    return new_event(name, data, source="network", workspace_id=harness.workspace)


async def handle(harness: Harness, event: Any) -> None:
    await usage.on_usage_event(harness.deps, CONSUMER, event, Delivery(CONSUMER, "s", 1, 1))


async def test_a_credential_in_use_cannot_be_deleted_until_its_users_are_gone(harness: Harness):
    created = await harness.create("aws", aws_data())
    cluster_id, vpc_id = str(uuid.uuid4()), str(uuid.uuid4())
    requested = cluster_event("ClusterRequested", harness, cluster_id, created["id"])
    await handle(harness, requested)
    await handle(harness, requested)  # a redelivery changes nothing
    await handle(harness, vpc_event("VpcRequested", harness, vpc_id, created["id"]))

    got = await harness.call(credentials.get, credential_id=created["id"])
    assert got["in_use"] == [
        {"kind": "cluster", "id": cluster_id, "name": "web"},
        {"kind": "network", "id": vpc_id, "name": "main"},
    ]
    refused = await fails(
        harness.call(credentials.delete, credential_id=created["id"]), "CREDENTIAL_IN_USE"
    )
    assert refused.status == 409
    assert "cluster web" in refused.message and "network main" in refused.message
    assert refused.details["users"] == got["in_use"]

    await handle(harness, cluster_event("ClusterDeleted", harness, cluster_id))
    await fails(harness.call(credentials.delete, credential_id=created["id"]), "CREDENTIAL_IN_USE")
    await handle(harness, vpc_event("VpcDeleted", harness, vpc_id, created["id"]))
    # A late copy of the request (a new event id) does not bring the cluster back.
    await handle(harness, cluster_event("ClusterRequested", harness, cluster_id, created["id"]))
    assert await harness.call(credentials.delete, credential_id=created["id"]) == {"deleted": True}
    assert "CredentialDeleted" in {e.name for e in await harness.events(created["id"])}


async def test_an_adopted_network_uses_its_credential(harness: Harness):
    created = await harness.create("aws", aws_data())
    vpc_id = str(uuid.uuid4())
    await handle(harness, vpc_event("VpcAdopted", harness, vpc_id, created["id"]))
    await fails(harness.call(credentials.delete, credential_id=created["id"]), "CREDENTIAL_IN_USE")
    await handle(harness, vpc_event("VpcDeleted", harness, vpc_id, created["id"]))
    assert await harness.call(credentials.delete, credential_id=created["id"]) == {"deleted": True}


async def test_an_imported_cluster_uses_its_credential_until_forgotten(harness: Harness):
    created = await harness.create("aws", aws_data())
    cluster_id = str(uuid.uuid4())
    await handle(harness, cluster_event("ClusterImported", harness, cluster_id, created["id"]))
    got = await harness.call(credentials.get, credential_id=created["id"])
    assert got["in_use"] == [{"kind": "cluster", "id": cluster_id, "name": "web"}]
    await fails(harness.call(credentials.delete, credential_id=created["id"]), "CREDENTIAL_IN_USE")
    await handle(harness, cluster_event("ClusterForgotten", harness, cluster_id))
    assert await harness.call(credentials.delete, credential_id=created["id"]) == {"deleted": True}


def test_the_usage_consumer_follows_every_usage_event_with_a_contract():
    assert usage_events(load_registry()) == list(usage.CLAIMS_AND_RELEASES)


async def test_a_deletion_seen_before_its_request_leaves_nothing_in_use(harness: Harness):
    created = await harness.create("aws", aws_data())
    cluster_id = str(uuid.uuid4())
    await handle(harness, cluster_event("ClusterDeleted", harness, cluster_id))
    await handle(harness, cluster_event("ClusterRequested", harness, cluster_id, created["id"]))
    got = await harness.call(credentials.get, credential_id=created["id"])
    assert got["in_use"] == []
    # A cluster naming a credential that does not exist is noted and skipped.
    await handle(
        harness, cluster_event("ClusterRequested", harness, str(uuid.uuid4()), str(uuid.uuid4()))
    )


async def test_every_decryption_is_audited_before_the_secret_is_returned(harness: Harness):
    created = await harness.create("azure", azure_data())
    secret = await harness.decrypt(created["id"])
    assert secret["provider"] == "azure"
    [entry] = harness.audit.entries
    assert entry.as_request() == {
        "workspace_id": harness.workspace,
        "actor_type": "service",
        "actor_id": "provisioning",
        "action": "credential.decrypt",
        "resource_type": "credential",
        "resource_id": created["id"],
        "outcome": "success",
        "request_id": "req-1",
        "correlation_id": "corr-1",
        "details": {"reason": "test", "provider": "azure"},
        "occurred_at": entry.occurred_at.isoformat(),
    }
    decrypted = [e for e in await harness.events(created["id"]) if e.name == "CredentialDecrypted"]
    assert [e.data["service"] for e in decrypted] == ["provisioning"]

    harness.audit.available = False
    error = await fails(harness.decrypt(created["id"]), "AUDIT_UNAVAILABLE")
    assert error.status == 503
    got = await harness.call(credentials.get, credential_id=created["id"])
    assert got["last_used_at"] is not None  # from the first decryption only
    decrypted = [e for e in await harness.events(created["id"]) if e.name == "CredentialDecrypted"]
    assert len(decrypted) == 1


async def test_a_service_outside_the_allowed_callers_is_refused_and_recorded(harness: Harness):
    created = await harness.create("aws", aws_data())
    for caller in ("gateway", "identity", None):
        # A header naming provisioning is not a caller: only the subject's name is.
        headers = {"Skyclust-Caller": "provisioning"}
        await fails(
            serve(
                harness.deps,
                credentials.decrypt,
                {"workspace_id": harness.workspace, "credential_id": created["id"], "reason": "x"},
                RpcContext(headers, caller=caller),
            ),
            "DECRYPT_NOT_ALLOWED",
        )
    assert [(e.service, e.outcome) for e in harness.audit.entries] == [
        ("gateway", "denied"),
        ("identity", "denied"),
        ("unknown", "denied"),
    ]
