"""Each service's login role is granted only its own schema."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from skyclust_common.dbadmin import provision_service
from skyclust_common.migrations import upgrade_head

pytestmark = pytest.mark.integration
VAULT_MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def test_provisioning_role_cannot_read_the_vault_tables(postgres):
    vault_url = await provision_service(postgres.url, "credential-vault", "vault-pw")
    provisioning_url = await provision_service(postgres.url, "provisioning", "prov-pw")
    await asyncio.to_thread(upgrade_head, vault_url, VAULT_MIGRATIONS)

    vault = await asyncpg.connect(plain(vault_url))
    try:
        assert await vault.fetchval("SELECT count(*) FROM credential_vault.credentials") >= 0
    finally:
        await vault.close()

    provisioning = await asyncpg.connect(plain(provisioning_url))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await provisioning.fetch("SELECT * FROM credential_vault.credentials")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await provisioning.execute("CREATE TABLE credential_vault.sneaky (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await provisioning.execute("CREATE SCHEMA elsewhere")
    finally:
        await provisioning.close()
