"""`database_unavailable` on the errors a real PostgreSQL gives: a database that is full
(no connection slot left for the role) or out of reach is waited for; a statement that
is wrong, or data that breaks a constraint, is the work's own fault."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from skyclust_common.db import create_engine, database_unavailable
from skyclust_common.dbadmin import provision_service, role_name
from skyclust_tools.embedded import free_port

pytestmark = pytest.mark.integration


async def error_of(url: str, statement: str = "SELECT 1") -> BaseException:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    except Exception as exc:
        return exc
    finally:
        await engine.dispose()
    raise AssertionError(f"{statement} went through on {url}")


async def test_a_database_with_no_connection_slot_left_is_unavailable(postgres: Any) -> None:
    url = await provision_service(postgres.url, "fulltest", "fulltest-pw")
    admin = await asyncpg.connect(postgres.url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await admin.execute(f"ALTER ROLE {role_name('fulltest')} CONNECTION LIMIT 0")
        full = await error_of(url)
        # What the replicated e2e met: every slot taken (SQLSTATE 53300).
        assert "too many connections" in str(full)
        assert database_unavailable(full)
    finally:
        await admin.execute(f"ALTER ROLE {role_name('fulltest')} CONNECTION LIMIT -1")
        await admin.close()


async def test_a_database_out_of_reach_is_unavailable() -> None:
    nobody = f"postgresql+asyncpg://u:p@127.0.0.1:{free_port()}/db"
    assert database_unavailable(await error_of(nobody))


async def test_a_wrong_statement_or_a_broken_constraint_is_not(postgres: Any) -> None:
    url = await provision_service(postgres.url, "faulttest", "faulttest-pw")
    assert not database_unavailable(await error_of(url, "SELEKT 1"))
    assert not database_unavailable(
        await error_of(url, "SELECT 1 / 0")  # division_by_zero, 22012
    )
    assert not database_unavailable(ValueError("a bug"))
