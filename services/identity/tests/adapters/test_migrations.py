"""Identity's migrations build exactly the schema its models describe."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from skyclust_identity.adapters.db import metadata

pytestmark = pytest.mark.integration


async def test_migrations_match_the_models(database_url):
    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        return name in (None, "identity") if type_ == "schema" else True

    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": True,
                "version_table_schema": "identity",
                "include_name": include_name,
                "compare_type": True,
                "target_metadata": metadata,
            },
        )
        return list(compare_metadata(context, metadata))

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []
