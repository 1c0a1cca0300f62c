"""Key rotation on a real PostgreSQL (a database of this module's own, so the counts
per version are this module's): rewrap in batches, resumable; old versions keep
decrypting until retired; retiring a version in use is refused; the operator command."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import uuid

import pytest
from sqlalchemy import select

from skyclust_common.errors import SkyclustError
from skyclust_vault import cli
from skyclust_vault.adapters.db import Credential
from skyclust_vault.bootstrap import ActiveKeyRetired, check_keys
from skyclust_vault.handlers import keys
from skyclust_vault.settings import VaultSettings

from .conftest import KEY_BYTES, Harness, aws_data, azure_data, gcp_data, keyring

pytestmark = pytest.mark.integration


async def versions(harness: Harness) -> dict[str, str]:
    async with harness.deps.uow() as uow:
        rows = await uow.session.execute(select(Credential.id, Credential.key_version))
        return {str(i): v for i, v in rows}


async def test_rewrap_moves_every_credential_in_batches_and_retirement_follows(harness):
    factories = {"aws": aws_data, "gcp": gcp_data, "azure": azure_data}
    made = [await harness.create(p, make()) for p, make in factories.items() for _ in range(3)]
    secrets = {c["id"]: (await harness.decrypt(c["id"]))["data"] for c in made}
    assert set((await versions(harness)).values()) == {"v1"}

    # v2 added and active: old rows still decrypt, new rows are sealed under v2.
    rotated = harness.with_keys(keyring("v2", "v1", "v2"))
    assert (await rotated.decrypt(made[0]["id"]))["data"] == secrets[made[0]["id"]]
    newer = await rotated.create("aws", aws_data())
    assert (await versions(rotated))[newer["id"]] == "v2"

    refused = await _refused(keys.retire(rotated.deps, "v1", "ops"), "KEY_VERSION_IN_USE")
    assert refused.details == {"version": "v1", "credentials": 9}
    await _refused(keys.retire(rotated.deps, "v2", "ops"), "KEY_VERSION_ACTIVE")

    # One batch of four, as if the process stopped there; the next run resumes.
    first = await keys.rewrap_batch(rotated.deps, 4, [])
    assert first.rewrapped == 4
    assert list((await versions(rotated)).values()).count("v1") == 5
    rest = await keys.rewrap_all(rotated.deps, 4)
    assert (rest.rewrapped, rest.failed) == (5, [])
    assert set((await versions(rotated)).values()) == {"v2"}
    for credential_id, secret in secrets.items():
        assert (await rotated.decrypt(credential_id))["data"] == secret

    status = await keys.key_status(rotated.deps)
    assert status["credentials_by_version"] == {"v2": 10}
    assert status["pending_rewrap"] == 0

    assert await keys.retire(rotated.deps, "v1", "ops") == {"version": "v1", "retired": True}
    status = await keys.key_status(rotated.deps)
    assert [r["version"] for r in status["retired"]] == ["v1"]
    # The keyring may now drop v1: everything opens with v2 alone.
    only_v2 = rotated.with_keys(keyring("v2", "v2"))
    for credential_id, secret in secrets.items():
        assert (await only_v2.decrypt(credential_id))["data"] == secret

    # A process still configured with v1 active must not start, nor write under it.
    stale = rotated.with_keys(keyring("v1", "v1", "v2"))
    with pytest.raises(ActiveKeyRetired):
        await check_keys(stale.deps.uow(), stale.keys)
    await _refused(stale.create("aws", aws_data()), "KEY_VERSION_RETIRED")
    await _refused(keys.rewrap_all(stale.deps, 10), "KEY_VERSION_RETIRED")


async def test_a_row_that_will_not_open_is_reported_and_does_not_stop_the_rewrap(harness):
    v3 = harness.with_keys(keyring("v3", "v3"))
    good = await v3.create("aws", aws_data())
    broken = await v3.create("aws", aws_data())
    async with v3.deps.uow() as uow:
        row = await uow.session.get(Credential, uuid.UUID(broken["id"]))
        assert row is not None
        row.workspace_id = uuid.uuid4()  # moved: its associated data no longer matches
        await uow.commit()
    # v2 is active from the test above; v3 is readable too.
    moving = harness.with_keys(keyring("v2", "v2", "v3"))
    report = await keys.rewrap_all(moving.deps, 1)
    assert report.failed == [broken["id"]]
    found = await versions(moving)
    assert (found[good["id"]], found[broken["id"]]) == ("v2", "v3")


async def test_the_operator_command(vault_url, monkeypatch, capsys):
    keyring_json = {v: base64.b64encode(KEY_BYTES[v]).decode() for v in ("v2", "v3")}
    monkeypatch.setenv("SKYCLUST_NATS_URL", "nats://127.0.0.1:1")
    monkeypatch.setenv("SKYCLUST_DATABASE_URL", vault_url)
    monkeypatch.setenv("SKYCLUST_VAULT_KEYS", json.dumps(keyring_json))
    monkeypatch.setenv("SKYCLUST_VAULT_ACTIVE_KEY", "v3")
    settings = VaultSettings()

    def args(*argv: str) -> argparse.Namespace:
        return cli.parser().parse_args(argv)

    status = await cli.run(args("keys", "status"), settings)
    assert status["active"] == "v3"
    assert status["configured"] == ["v2", "v3"]
    assert status["pending_rewrap"] >= 10
    rewrapped = await cli.run(args("keys", "rewrap", "--batch-size", "3"), settings)
    assert rewrapped["rewrapped"] >= 10
    assert rewrapped["failed"] == []
    with pytest.raises(SkyclustError) as info:
        await cli.run(args("keys", "retire", "v3"), settings)
    assert info.value.code == "KEY_VERSION_ACTIVE"
    with pytest.raises(SkyclustError) as bad:
        await cli.run(args("keys", "retire", "no such version!"), settings)
    assert bad.value.code == "INVALID_KEY_VERSION"
    retired = await cli.run(args("keys", "retire", "v2", "--by", "alice"), settings)
    assert retired == {"version": "v2", "retired": True}
    after = await cli.run(args("keys", "status"), settings)
    assert {r["version"]: r["by"] for r in after["retired"]} == {"v1": "ops", "v2": "alice"}
    assert after["credentials_by_version"]["v3"] >= 10

    # The same through the command's entry point: JSON out, exit code 1 when refused.
    assert await asyncio.to_thread(cli.main, ["keys", "status"]) == 0
    assert json.loads(capsys.readouterr().out)["active"] == "v3"
    assert await asyncio.to_thread(cli.main, ["keys", "retire", "v3"]) == 1
    assert json.loads(capsys.readouterr().err)["error"]["code"] == "KEY_VERSION_ACTIVE"


async def _refused(coro, code: str) -> SkyclustError:
    with pytest.raises(SkyclustError) as info:
        await coro
    assert info.value.code == code, info.value.to_dict()
    return info.value
