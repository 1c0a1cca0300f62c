"""Where pgserver has no wheel (Python 3.13, Linux arm64) it is not installed, and the
embedded PostgreSQL says what to do instead of failing with an import error."""

from __future__ import annotations

import sys
from pathlib import Path

import asyncpg
import pytest
from skyclust_cost.settings import CostSettings

from skyclust_identity.settings import IdentitySettings
from skyclust_network.settings import NetworkSettings
from skyclust_notification.settings import NotificationSettings
from skyclust_provisioning.settings import ProvisioningSettings
from skyclust_tools.embedded import MAX_CONNECTIONS, EmbeddedError, PostgresServer
from skyclust_vault.settings import VaultSettings

pytestmark = pytest.mark.unit


def test_without_pgserver_it_names_the_way_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pgserver", None)  # `import pgserver` fails
    with pytest.raises(EmbeddedError) as refused:
        PostgresServer(tmp_path / "pg").start()
    message = str(refused.value)
    assert "SKYCLUST_DATABASE_URL" in message
    assert "3.11 and 3.12" in message and "x86_64" in message


def test_the_dependency_is_limited_to_where_it_has_wheels() -> None:
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    (line,) = [line for line in pyproject.splitlines() if '"pgserver' in line]
    assert "python_version < '3.13'" in line and "platform_machine == 'x86_64'" in line


@pytest.mark.integration
async def test_it_takes_as_many_connections_as_the_platform_at_five_replicas(
    postgres: PostgresServer,
) -> None:
    """PostgreSQL's default 100 is fewer than two replicas of every service pool: the
    replicated e2e ran out of slots and its messages failed on them."""
    admin = await asyncpg.connect(postgres.url.replace("postgresql+asyncpg", "postgresql"))
    try:
        shown = int(await admin.fetchval("SHOW max_connections"))
    finally:
        await admin.close()
    assert shown == MAX_CONNECTIONS
    settings = (
        CostSettings,
        IdentitySettings,
        NetworkSettings,
        NotificationSettings,
        ProvisioningSettings,
        VaultSettings,
    )
    pools = sum(
        int(s.model_fields["database_pool_size"].default) + 5  # and the engine's overflow
        for s in settings
    )
    assert shown >= 5 * pools
