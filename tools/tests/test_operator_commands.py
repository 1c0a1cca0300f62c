"""The operator commands every service gets from its SPEC, run as an operator runs them:
`python -m <package> <command>` in a process of its own, against the real embedded
Postgres and nats-server. Each test uses a database of its own."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from skyclust_common.dbadmin import service_url
from skyclust_common.migrations import head_revisions
from skyclust_common.nats_permissions import permissions
from skyclust_network.bootstrap import MIGRATIONS

PACKAGE = "skyclust_network"
PASSWORD = "network-operator-test"

pytestmark = pytest.mark.integration


def run(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYCLUST_")}
    env.update(values)
    return env


def plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def fresh_database(admin_url: str) -> str:
    name = f"op_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(plain(admin_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def versions(url: str) -> list[str]:
    conn = await asyncpg.connect(plain(url))
    try:
        rows = await conn.fetch("SELECT version_num FROM network.alembic_version")
    finally:
        await conn.close()
    return [row[0] for row in rows]


@pytest.fixture
def admin_url(postgres: Any) -> str:
    return asyncio.run(fresh_database(postgres.url))


@pytest.fixture
def bootstrapped(admin_url: str) -> str:
    """The network role and schema made by `bootstrap-db`; returns the role's URL."""
    done = run(
        "bootstrap-db",
        env=clean_env(SKYCLUST_ADMIN_DATABASE_URL=admin_url, SKYCLUST_DATABASE_PASSWORD=PASSWORD),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "service": "network",
        "bootstrapped": True,
        "role": "skyclust_network",
        "schema": "network",
    }
    return service_url(admin_url, "network", PASSWORD)


def test_replicas_migrating_at_once_apply_each_migration_once(
    bootstrapped: str, nats_server: Any
) -> None:
    env = clean_env(SKYCLUST_DATABASE_URL=bootstrapped, SKYCLUST_NATS_URL=nats_server.url)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", PACKAGE, "migrate"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(proc.wait(timeout=180), *proc.communicate()) for proc in procs]
    for code, out, err in results:
        assert code == 0, err
        assert json.loads(out) == {"service": "network", "migrated": True, "schema": "network"}
    assert sorted(asyncio.run(versions(bootstrapped))) == sorted(head_revisions(MIGRATIONS))

    checked = run("check", env=env)
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["checks"] == {
        "settings": "ok",
        "nats": "ok",
        "database": "ok",
        "schema": "ok",
    }


def test_a_service_refuses_to_start_on_an_unmigrated_schema(
    bootstrapped: str, nats_server: Any
) -> None:
    env = clean_env(SKYCLUST_DATABASE_URL=bootstrapped, SKYCLUST_NATS_URL=nats_server.url)
    checked = run("check", env=env)
    assert checked.returncode == 1
    assert "python -m skyclust_network migrate" in json.loads(checked.stdout)["checks"]["schema"]

    started = run(env=env, timeout=60)
    assert started.returncode == 3
    assert "run `python -m skyclust_network migrate` first" in started.stderr
    assert "Traceback" not in started.stderr


def test_check_names_the_settings_that_are_missing_without_a_trace() -> None:
    checked = run("check", env=clean_env())
    assert checked.returncode == 2
    assert "SKYCLUST_NATS_URL" in checked.stderr
    assert "SKYCLUST_DATABASE_URL" in checked.stderr
    assert "Traceback" not in checked.stderr


def test_check_reports_an_unreachable_nats(bootstrapped: str) -> None:
    env = clean_env(SKYCLUST_DATABASE_URL=bootstrapped, SKYCLUST_NATS_URL="nats://127.0.0.1:1")
    checked = run("check", "--timeout", "1", env=env)
    assert checked.returncode == 1
    checks = json.loads(checked.stdout)["checks"]
    assert checks["nats"].startswith("unreachable")
    assert checks["database"] == "ok"


def test_bootstrap_db_refuses_without_an_administrator_url() -> None:
    done = run("bootstrap-db", env=clean_env(SKYCLUST_DATABASE_PASSWORD=PASSWORD))
    assert done.returncode == 2
    assert "SKYCLUST_ADMIN_DATABASE_URL" in done.stderr


def test_nats_config_is_the_services_entry_of_the_permission_table() -> None:
    done = run("nats-config", env=clean_env(SKYCLUST_NATS_PASSWORD="s3cret-network"))
    assert done.returncode == 0, done.stderr
    user = json.loads(done.stdout)
    assert user["user"] == "network"
    assert user["password"] == "s3cret-network"
    assert user["permissions"] == permissions("network").as_config()
    assert user["inbox_prefix"] == "_INBOX_network"

    refused = run("nats-config", env=clean_env())
    assert refused.returncode == 2
    assert "SKYCLUST_NATS_PASSWORD" in refused.stderr
