"""The vault's use cases on the in-memory unit of work: create, rotate, decrypt, delete
and the lock a user puts on its credential."""

from __future__ import annotations

import json
import uuid

import pytest

from skyclust_common.messaging import RpcContext
from skyclust_vault.domain.crypto import Keyring
from skyclust_vault.domain.errors import (
    AccountMismatch,
    AuditUnavailable,
    CredentialInUse,
    CredentialInvalid,
    CredentialNameTaken,
    CredentialNotFound,
    DecryptNotAllowed,
    KeyVersionRetired,
)
from skyclust_vault.domain.providers import parse
from skyclust_vault.handlers import credentials, keys

from .vault_fakes import KEYS, Vault, aws_data

pytestmark = pytest.mark.unit


async def test_create_seals_the_secret_and_shows_it_masked() -> None:
    vault = Vault()
    data = aws_data()
    created = await vault.create(data)
    assert (created["status"], created["account_id"]) == ("valid", "111111111111")
    assert created["masked"]["access_key_id"].startswith(data["access_key_id"][:4])
    [row] = vault.db.tables["credentials"].values()
    assert row.key_version == "v1"
    assert data["secret_access_key"].encode() not in row.ciphertext
    assert data["secret_access_key"] not in json.dumps(created)
    assert [e["credential_id"] for e in vault.events("CredentialCreated")] == [created["id"]]
    assert [e["account_id"] for e in vault.events("CredentialValidated")] == ["111111111111"]


async def test_a_name_is_taken_once_per_workspace() -> None:
    vault = Vault()
    await vault.create(name="prod")
    with pytest.raises(CredentialNameTaken) as info:
        await vault.create(name="prod")
    assert info.value.status == 409
    elsewhere = Vault(db=vault.db)
    assert (await elsewhere.create(name="prod"))["name"] == "prod"


async def test_a_cloud_that_cannot_be_reached_leaves_the_credential_unverified() -> None:
    vault = Vault()
    vault.cloud.down = True
    created = await vault.create()
    assert (created["status"], created["status_reason"]) == ("unverified", "PROVIDER_UNAVAILABLE")
    assert vault.events("CredentialValidated") == vault.events("CredentialInvalid") == []


async def test_decrypt_hands_the_secret_only_to_allowed_callers_after_the_audit() -> None:
    vault = Vault()
    data = aws_data()
    created = await vault.create(data)
    assert await vault.decrypt(created["id"]) == {"provider": "aws", "data": data}
    [entry] = vault.audit.entries
    assert (entry.service, entry.outcome, entry.request_id) == ("provisioning", "success", "req-1")
    assert vault.db.tables["credentials"][uuid.UUID(created["id"])].last_used_at is not None
    with pytest.raises(DecryptNotAllowed):
        await vault.decrypt(created["id"], RpcContext({}, caller="gateway"))
    assert vault.audit.entries[-1].outcome == "denied"
    vault.audit.available = False
    with pytest.raises(AuditUnavailable):
        await vault.decrypt(created["id"])
    assert len(vault.events("CredentialDecrypted")) == 1


async def test_another_workspace_finds_nothing() -> None:
    vault = Vault()
    created = await vault.create()
    other = Vault(db=vault.db)
    with pytest.raises(CredentialNotFound):
        await other.decrypt(created["id"])
    with pytest.raises(CredentialNotFound):
        await other.call(credentials.delete, credential_id=created["id"])
    assert (await other.call(credentials.list_))["items"] == []


async def test_rotation_takes_only_a_valid_secret_of_the_same_account() -> None:
    vault = Vault()
    old = aws_data()
    created = await vault.create(old)
    with pytest.raises(CredentialInvalid):
        await vault.call(credentials.rotate, credential_id=created["id"], data=aws_data())
    stranger = aws_data()
    vault.cloud.accept(parse("aws", stranger), account="999999999999")
    with pytest.raises(AccountMismatch) as info:
        await vault.call(credentials.rotate, credential_id=created["id"], data=stranger)
    assert info.value.details == {"account_id": "111111111111", "new_account_id": "999999999999"}
    assert (await vault.decrypt(created["id"]))["data"] == old

    new = aws_data()
    vault.cloud.accept(parse("aws", new), account="111111111111")
    rotated = await vault.call(credentials.rotate, credential_id=created["id"], data=new)
    assert rotated["updated_at"] > created["updated_at"]
    assert (await vault.decrypt(created["id"]))["data"] == new
    [event] = vault.events("CredentialRotated")
    assert new["secret_access_key"] not in json.dumps(event)


async def test_a_validation_stamps_the_credential_as_changed() -> None:
    vault = Vault()
    data = aws_data()
    created = await vault.create(data, valid=False)
    assert created["status"] == "invalid"
    vault.cloud.accept(parse("aws", data), account="111111111111")
    checked = await vault.call(credentials.validate, credential_id=created["id"])
    assert (checked["status"], checked["account_id"]) == ("valid", "111111111111")
    got = await vault.call(credentials.get, credential_id=created["id"])
    assert got["updated_at"] > created["updated_at"]


async def test_a_credential_in_use_is_locked_until_its_users_are_gone() -> None:
    vault = Vault()
    created = await vault.create()
    cluster = str(uuid.uuid4())
    await vault.usage("ClusterRequested", cluster, created["id"])
    await vault.usage("ClusterRequested", cluster, created["id"])  # a new copy of the event
    got = await vault.call(credentials.get, credential_id=created["id"])
    assert got["in_use"] == [{"kind": "cluster", "id": cluster, "name": "web"}]
    with pytest.raises(CredentialInUse) as info:
        await vault.call(credentials.delete, credential_id=created["id"])
    assert info.value.details["users"] == got["in_use"]
    assert "cluster web" in info.value.message
    await vault.usage("ClusterDeleted", cluster, created["id"])
    # A late request for the deleted cluster does not bring it back.
    await vault.usage("ClusterRequested", cluster, created["id"])
    assert await vault.call(credentials.delete, credential_id=created["id"]) == {"deleted": True}
    assert "credentials" in vault.db.tables and not vault.db.tables["credentials"]
    assert [e["credential_id"] for e in vault.events("CredentialDeleted")] == [created["id"]]


async def test_a_rewrap_moves_credentials_to_the_active_key_and_the_old_one_retires() -> None:
    vault = Vault()
    made = [(await vault.create(name=f"c{n}"))["id"] for n in range(3)]
    vault.keys = Keyring(KEYS, "v2")
    report = await keys.rewrap_all(vault.deps, 2)
    assert (report.rewrapped, report.failed) == (3, [])
    assert {row.key_version for row in vault.db.tables["credentials"].values()} == {"v2"}
    assert await keys.retire(vault.deps, "v1", "ops") == {"version": "v1", "retired": True}
    for credential_id in made:
        assert (await vault.decrypt(credential_id))["data"]
    vault.keys = Keyring(KEYS, "v1")
    with pytest.raises(KeyVersionRetired):
        await vault.create(name="late")
