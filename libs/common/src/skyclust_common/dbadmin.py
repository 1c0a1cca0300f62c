"""Database set-up done with an administrator's connection, before any service runs:
one schema and one login role per service, the role granted only its own schema."""

from __future__ import annotations

import re

import asyncpg
from sqlalchemy.engine import make_url

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def schema_name(service: str) -> str:
    return service.replace("-", "_")


def role_name(service: str) -> str:
    return f"skyclust_{schema_name(service)}"


def service_url(admin_url: str, service: str, password: str) -> str:
    url = make_url(admin_url).set(
        drivername="postgresql+asyncpg", username=role_name(service), password=password
    )
    return url.render_as_string(hide_password=False)


def _plain(url: str) -> str:
    """asyncpg takes postgresql:// URLs, without SQLAlchemy's driver suffix."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


async def provision_service(admin_url: str, service: str, password: str) -> str:
    """Create (or update) the service's role and schema; return the role's URL."""
    schema, role = schema_name(service), role_name(service)
    if not (_IDENT.match(schema) and _IDENT.match(role)):
        raise ValueError(f"bad service name {service!r}")
    conn = await asyncpg.connect(_plain(admin_url))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
        quoted_password = await conn.fetchval("SELECT quote_literal($1)", password)
        verb = "ALTER" if exists else "CREATE"
        await conn.execute(f"{verb} ROLE {role} LOGIN PASSWORD {quoted_password}")
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role}")
        await conn.execute(f"ALTER SCHEMA {schema} OWNER TO {role}")
        await conn.execute(f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC")
        # Every table names its schema; a schema-specific search_path would only make
        # Alembic's reflection see the tables under the default schema and miss them.
        await conn.execute(f"ALTER ROLE {role} RESET search_path")
        database = await conn.fetchval("SELECT current_database()")
        await conn.execute(f'REVOKE CREATE ON DATABASE "{database}" FROM PUBLIC')
    finally:
        await conn.close()
    return service_url(admin_url, service, password)
