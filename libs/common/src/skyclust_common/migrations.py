"""Alembic per service: each service's migrations/env.py calls `run_env`. Migrations are
an operator step (`python -m <package> migrate`, which calls `upgrade_head` under the
service's own role); a service only checks at start that its schema is at head."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def alembic_config(database_url: str, migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["database_url"] = database_url
    return config


class SchemaNotMigrated(RuntimeError):
    """The service's schema is behind its code: the operator runs `migrate` first."""


def upgrade_head(database_url: str, migrations_dir: Path) -> None:
    command.upgrade(alembic_config(database_url, migrations_dir), "head")


def head_revisions(migrations_dir: Path) -> frozenset[str]:
    script = ScriptDirectory.from_config(alembic_config("", migrations_dir))
    return frozenset(script.get_heads())


async def applied_revisions(engine: AsyncEngine, schema: str) -> frozenset[str]:
    """The revisions recorded in the schema's version table (none before the first
    migration, or when the schema does not exist yet)."""
    async with engine.connect() as conn:
        table = await conn.scalar(
            text("SELECT to_regclass(:name)"), {"name": f"{schema}.alembic_version"}
        )
        if table is None:
            return frozenset()
        rows = await conn.execute(text(f'SELECT version_num FROM "{schema}".alembic_version'))
        return frozenset(row[0] for row in rows)


async def require_head(
    engine: AsyncEngine, metadata: MetaData, migrations_dir: Path, command_hint: str
) -> None:
    schema = metadata.schema
    assert schema, "a service's metadata is bound to its schema"
    heads = head_revisions(migrations_dir)
    applied = await applied_revisions(engine, schema)
    if applied != heads:
        have = ", ".join(sorted(applied)) or "none"
        raise SchemaNotMigrated(
            f"schema {schema} is at revision {have}, the code needs"
            f" {', '.join(sorted(heads))}: run `{command_hint}` first"
        )


def _lock_key(schema: str) -> str:
    return f"skyclust-migrate-{schema}"


def run_env(metadata: MetaData) -> None:
    schema = metadata.schema
    assert schema, "a service's metadata is bound to its schema"
    url = context.config.attributes["database_url"]

    def include_name(name: str | None, type_: str, parent_names: object) -> bool:
        return name == schema if type_ == "schema" else True

    def migrate(connection: Connection) -> None:
        # Replicas started at once each run `migrate`: the first takes the lock and
        # upgrades, the others wait for its commit and then find nothing to do. The lock
        # is the transaction's, so a migration killed halfway releases it.
        connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": _lock_key(schema)}
        )
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=include_name,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())
