"""The OCI images: every service's Containerfile says what the image must be (non-root, two
stages, its entry point, a health check, container bindings), and one real image, built
with buildah as `make images` builds it, runs the service's operator commands inside
against the test's Postgres and NATS.

The build test is marked `images`: `make test` runs it where buildah is installed, and run
by itself (`make test-images`, which installs buildah) without buildah it fails saying
how to get it."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib.metadata
import json
import re
import socket
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from cryptography import x509
from sqlalchemy.engine import make_url

from skyclust_common.dbadmin import service_url
from skyclust_tools import images
from skyclust_tools.emulators import AdminError, AwsAdmin, AzureAdmin, GcpAdmin
from skyclust_tools.images import EMULATOR_PORTS, EMULATORS, SERVICES, Base, containerfile


@pytest.mark.unit
def test_every_service_has_a_two_stage_non_root_containerfile() -> None:
    assert set(SERVICES) == {
        "gateway",
        "identity",
        "credential-vault",
        "provisioning",
        "network",
        "cost",
        "notification",
    }
    for service in SERVICES.values():
        text = containerfile(service, "localhost/skyclust-base:bookworm")
        lines = text.splitlines()
        froms = [line for line in lines if line.startswith("FROM ")]
        base = "FROM localhost/skyclust-base:bookworm"
        assert froms == [f"{base} AS build", base]
        runtime = lines[lines.index(froms[1]) :]
        # Nothing but the built tree reaches the runtime stage, and it runs as 10001.
        assert "COPY --from=build /opt/skyclust /opt/skyclust" in runtime
        assert not [line for line in runtime if line.startswith(("RUN ", "ADD "))]
        assert "USER 10001:10001" in runtime
        assert f'LABEL org.opencontainers.image.title="skyclust-{service.name}"' in runtime
        assert f'ENTRYPOINT ["python3", "-m", "{service.package}"]' in runtime
        assert any(line.startswith("HEALTHCHECK ") and "/healthz" in line for line in runtime)
        assert "ENV SKYCLUST_HEALTH_HOST=0.0.0.0" in runtime
        assert "ENV SKYCLUST_HEALTH_PORT=9000" in runtime
        assert ("ENV SKYCLUST_GATEWAY_HOST=0.0.0.0" in runtime) == (service.name == "gateway")
        assert ("EXPOSE 8080 9000" in runtime) == (service.name == "gateway")
        # The bytecode is compiled at build time: the root filesystem is read-only.
        assert any("compileall" in line for line in lines[: lines.index(froms[1])])
        # Migrations ship with every service that has a database, and only those.
        assert service.has_database == (service.name != "gateway")


@pytest.mark.unit
def test_the_emulators_image_runs_any_emulator_as_the_non_root_user() -> None:
    text = containerfile(EMULATORS, "localhost/skyclust-base:bookworm")
    lines = text.splitlines()
    froms = [line for line in lines if line.startswith("FROM ")]
    assert froms == ["FROM localhost/skyclust-base:bookworm AS build", froms[0][:-9]]
    runtime = lines[lines.index(froms[1]) :]
    assert not [line for line in runtime if line.startswith(("RUN ", "ADD "))]
    assert "USER 10001:10001" in runtime
    assert (
        "ENV PYTHONPATH=/opt/skyclust/tools/src:/opt/skyclust/libs/common/src:"
        "/opt/skyclust/site" in runtime
    )
    # The emulator is the command: `python3 -m skyclust_tools.emulators.<cloud> ...`.
    assert 'ENTRYPOINT ["python3", "-m"]' in runtime
    assert any(line.startswith('CMD ["skyclust_tools.emulators.aws"') for line in runtime)
    assert "EXPOSE 8790 8791 8792" in runtime
    # The Azure emulator's TLS folder is its user's, so a volume on it is writable.
    tls = images.EMULATOR_TLS_DIR
    assert f"COPY --from=build --chown=10001:10001 {tls} {tls}" in runtime
    assert 'LABEL org.opencontainers.image.title="skyclust-emulators"' in runtime
    # The seven services are the platform; the emulators image is built beside them.
    assert EMULATORS.name not in SERVICES and images.IMAGES["emulators"] == EMULATORS


@pytest.mark.unit
def test_staging_the_emulators_installs_the_tools_package_and_its_dependencies(
    tmp_path: Path,
) -> None:
    base = Base("localhost/skyclust-base:test", "3.11.2", "2.36")
    # Symlinks into uv's cache: the layout is what is looked at, not copies.
    context = images.stage(EMULATORS, base, tmp_path, link_mode="symlink")
    site = context / "site"
    for dependency in ("moto", "uvicorn", "starlette", "cryptography", "httpx"):
        assert (site / dependency).is_dir(), dependency
    assert not (site / "pytest").exists() and not (site / "mypy").exists()
    app = context / "app"
    for cloud in EMULATOR_PORTS:
        assert (app / f"tools/src/skyclust_tools/emulators/{cloud}/__main__.py").exists()
    assert (app / "libs/common/src/skyclust_common/cloud").is_dir()
    assert not list(app.rglob("tests"))


@pytest.mark.unit
def test_the_base_is_made_from_scratch_with_the_non_root_user() -> None:
    text = images.base_containerfile()
    assert text.splitlines()[1:3] == ["FROM scratch", "ADD rootfs.tar /"]
    assert "useradd --uid 10001 --gid 10001" in text


@pytest.mark.unit
def test_staging_installs_the_locked_dependencies_for_the_bases_python(tmp_path: Path) -> None:
    """The cheap part of a build, without buildah: the context of the gateway's image."""
    base = Base("localhost/skyclust-base:test", "3.11.2", "2.36")
    context = images.stage(SERVICES["gateway"], base, tmp_path)
    assert (context / "Containerfile").read_text() == containerfile(SERVICES["gateway"], base.image)
    site = context / "site"
    assert (site / "fastapi").is_dir() and (site / "nats").is_dir()
    # Only the gateway's own dependencies: no cloud SDK, no dev tooling.
    assert not (site / "boto3").exists() and not (site / "pytest").exists()
    # python_full_version < '3.11.3' holds for the base's 3.11.2: its markers are the base's.
    assert "async-timeout" in (context / "requirements.txt").read_text()
    app = context / "app"
    assert (app / "services/gateway/src/skyclust_gateway/__main__.py").exists()
    assert (app / "libs/common/src/skyclust_common/operator.py").exists()
    assert any((app / "contracts").rglob("*.json"))
    assert not list(app.rglob("tests"))


@pytest.mark.unit
def test_every_service_imports_only_what_its_image_holds() -> None:
    """An image holds a service's locked dependencies only, so each module a service's code
    imports must come from the standard library, skyclust_common, the service itself or a
    distribution of its `uv export`: in the workspace's shared venv a missing one hides."""
    owners = module_owners()
    missing: dict[str, set[str]] = {}
    for service in [*SERVICES.values(), EMULATORS]:
        export = [*images._uv(), "export", "--frozen", "--package", service.project, "--no-dev"]
        export += ["--no-emit-workspace", "--no-hashes", "--no-header", "--no-annotate"]
        out = subprocess.run(export, capture_output=True, text=True, check=True, cwd=images.REPO)
        locked = {
            canonical(line.split("==")[0]) for line in out.stdout.splitlines() if "==" in line
        }
        own = {"skyclust_common", service.package}
        src = images.REPO / service.folder / "src"
        if service == EMULATORS:
            # What that image runs; the rest of the tools package (gen_messages needs the
            # dev group's datamodel-code-generator) is there, but not run there.
            src = src / "skyclust_tools" / "emulators"
        for module in sorted(top_level_imports(src)):
            if module in sys.stdlib_module_names or module in own:
                continue
            if not {canonical(dist) for dist in owners.get(module, [])} & locked:
                missing.setdefault(service.name, set()).add(module)
    assert missing == {}


def namespaced(parts: list[str]) -> str:
    """google.auth, google.api_core, google.cloud.compute_v1: distinct distributions
    under one namespace package."""
    depth = 3 if parts[:2] == ["google", "cloud"] else 2 if parts[0] == "google" else 1
    return ".".join(parts[:depth])


def module_owners() -> dict[str, set[str]]:
    owners: dict[str, set[str]] = {}
    for dist in importlib.metadata.distributions():
        for file in dist.files or []:
            parts = list(file.parts)
            if not parts or parts[0].endswith((".dist-info", ".data")) or ".." in parts:
                continue
            parts[-1] = parts[-1].removesuffix(".py")
            owners.setdefault(namespaced(parts), set()).add(dist.metadata["Name"])
    return owners


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def top_level_imports(src: Path) -> set[str]:
    found: set[str] = set()
    for path in src.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {namespaced(alias.name.split(".")) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                parts = node.module.split(".")
                found |= {namespaced([*parts, alias.name]) for alias in node.names}
    return found


@pytest.mark.unit
def test_an_unknown_service_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert images.main(["nope"]) == 2
    assert "unknown services: nope" in capsys.readouterr().err
    # `emulators` is known: that call fails later, on buildah or the build, not the name.
    assert images.main(["emulators", "nope"]) == 2
    assert capsys.readouterr().err.strip() == "unknown services: nope"


# --- a real image, built with buildah and run -------------------------------------------


def buildah_missing() -> str | None:
    try:
        images.require_tools()
    except images.ImageError as exc:
        return str(exc)
    return None


@pytest.fixture(scope="module")
def identity_image() -> Iterator[str]:
    problem = buildah_missing()
    if problem:
        pytest.fail(f"the image test needs buildah and debootstrap: {problem}", pytrace=False)
    image = images.build(SERVICES["identity"], f"test-{uuid.uuid4().hex[:8]}")
    yield image
    subprocess.run([*images.BUILDAH, "rmi", image], capture_output=True, check=False)


@pytest.fixture(scope="module")
def identity_container(identity_image: str) -> Iterator[str]:
    """One working container of the image (with vfs each one is a full copy)."""
    ctr = subprocess.run(
        [*images.BUILDAH, "from", identity_image], capture_output=True, text=True, check=True
    ).stdout.strip()
    yield ctr
    subprocess.run([*images.BUILDAH, "rm", ctr], capture_output=True, check=False)


def run_in(ctr: str, *argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`buildah run` a command in the container, on the host's network (the test's
    servers listen on loopback), as the image's own user."""
    flags = ["--isolation", "chroot", "--network", "host"]
    for key, value in env.items():
        flags += ["--env", f"{key}={value}"]
    return subprocess.run(
        [*images.BUILDAH, "run", *flags, ctr, "--", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def image_config(image: str) -> dict[str, Any]:
    out = subprocess.run(
        [*images.BUILDAH, "inspect", "--type", "image", image],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    config: dict[str, Any] = json.loads(out)["Docker"]["config"]
    return config


class SocketBridge(socketserver.ThreadingTCPServer):
    """A loopback TCP port in front of the embedded Postgres's Unix socket, whose folder
    (mode 0700, the server's) the image's user 10001 may not enter."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        super().__init__(("127.0.0.1", 0), _Bridged)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Bridged(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        assert isinstance(self.server, SocketBridge)
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(self.server.socket_path)

        def pump(src: socket.socket, dst: socket.socket) -> None:
            with contextlib.suppress(OSError):
                while data := src.recv(65536):
                    dst.sendall(data)
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

        back = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
        back.start()
        pump(self.request, upstream)
        back.join(timeout=30)
        upstream.close()


@pytest.fixture
def postgres_on_tcp(postgres: Any) -> Iterator[str]:
    """An administrator URL of a fresh database, reached over loopback TCP."""
    url = make_url(asyncio.run(fresh_database(postgres.url)))
    socket_dir = str(url.query["host"])
    (socket_path,) = (p for p in Path(socket_dir).glob(".s.PGSQL.*") if p.suffix != ".lock")
    bridge = SocketBridge(str(socket_path))
    thread = threading.Thread(target=bridge.serve_forever, daemon=True)
    thread.start()
    yield url.set(host="127.0.0.1", port=bridge.port, query={}).render_as_string(
        hide_password=False
    )
    bridge.shutdown()
    bridge.server_close()


async def fresh_database(admin_url: str) -> str:
    name = f"img_{uuid.uuid4().hex[:10]}"
    plain = make_url(admin_url).set(drivername="postgresql")
    conn = await asyncpg.connect(plain.render_as_string(hide_password=False))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.mark.integration
@pytest.mark.images
def test_the_identity_image_bootstraps_migrates_and_checks(
    identity_image: str, identity_container: str, postgres_on_tcp: str, nats_server: Any
) -> None:
    ctr = identity_container
    config = image_config(identity_image)
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["python3", "-m", "skyclust_identity"]
    assert "/healthz" in " ".join(config["Healthcheck"]["Test"])
    assert set(config["ExposedPorts"]) == {"9000/tcp"}

    who = run_in(ctr, "id", "-u", env={})
    assert who.stdout.strip() == "10001", who.stderr
    # The application tree is root's: the service cannot change its own code.
    write = run_in(ctr, "touch", "/opt/skyclust/x", env={})
    assert write.returncode != 0 and "Permission denied" in write.stderr

    admin_url = postgres_on_tcp
    password = "identity-image-test"
    boot = run_in(
        ctr,
        "python3",
        "-m",
        "skyclust_identity",
        "bootstrap-db",
        env={"SKYCLUST_ADMIN_DATABASE_URL": admin_url, "SKYCLUST_DATABASE_PASSWORD": password},
    )
    assert boot.returncode == 0, boot.stderr
    assert json.loads(boot.stdout)["role"] == "skyclust_identity"
    env = {
        "SKYCLUST_DATABASE_URL": service_url(admin_url, "identity", password),
        "SKYCLUST_NATS_URL": nats_server.url,
    }
    # Before `migrate` the check names the command to run.
    before = run_in(ctr, "python3", "-m", "skyclust_identity", "check", env=env)
    assert before.returncode == 1
    assert "migrate" in before.stdout + before.stderr
    migrated = run_in(ctr, "python3", "-m", "skyclust_identity", "migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    checked = run_in(ctr, "python3", "-m", "skyclust_identity", "check", env=env)
    assert checked.returncode == 0, checked.stderr + checked.stdout
    assert set(json.loads(checked.stdout)["checks"].values()) == {"ok"}


# --- the emulators' image, built and run ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def emulators_image() -> Iterator[str]:
    problem = buildah_missing()
    if problem:
        pytest.fail(f"the image test needs buildah and debootstrap: {problem}", pytrace=False)
    image = images.build(EMULATORS, f"test-{uuid.uuid4().hex[:8]}")
    yield image
    subprocess.run([*images.BUILDAH, "rmi", image], capture_output=True, check=False)


def wait_healthy(admin: AwsAdmin | GcpAdmin | AzureAdmin, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            admin.health()
            return
        except (AdminError, httpx.TransportError):
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.communicate(timeout=10)[0] if proc.poll() is not None else ""
                raise AssertionError(f"the emulator did not answer: {out[-2000:]}") from None
            time.sleep(0.5)


@pytest.mark.integration
@pytest.mark.images
def test_the_emulators_image_serves_the_three_clouds(emulators_image: str, tmp_path: Path) -> None:
    """Each emulator from the image, as docker-compose.yml's profile runs it (its module as
    the command, --host 0.0.0.0), answers its admin API; the Azure one over TLS with a
    certificate for `azure-emulator`, made by the image's user in a mounted folder."""
    config = image_config(emulators_image)
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["python3", "-m"]
    ctr = subprocess.run(
        [*images.BUILDAH, "from", emulators_image], capture_output=True, text=True, check=True
    ).stdout.strip()
    tls = tmp_path / "tls"
    tls.mkdir()
    tls.chmod(0o777)  # the image's user 10001 writes the CA there
    procs: list[subprocess.Popen[str]] = []
    try:
        ports = {cloud: free_port() for cloud in EMULATOR_PORTS}
        for cloud, port in ports.items():
            argv = [f"skyclust_tools.emulators.{cloud}", "--host", "0.0.0.0", "--port", str(port)]
            if cloud == "azure":
                argv += ["--tls-dir", images.EMULATOR_TLS_DIR, "--tls-name", "azure-emulator"]
            flags = ["--isolation", "chroot", "--network", "host"]
            flags += ["--volume", f"{tls}:{images.EMULATOR_TLS_DIR}"]
            procs.append(
                subprocess.Popen(
                    [*images.BUILDAH, "run", *flags, ctr, "--", "python3", "-m", *argv],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
        aws_proc, gcp_proc, azure_proc = procs
        wait_healthy(AwsAdmin(f"http://127.0.0.1:{ports['aws']}"), aws_proc)
        gcp = GcpAdmin(f"http://127.0.0.1:{ports['gcp']}")
        wait_healthy(gcp, gcp_proc)
        assert gcp.create_service_account_key("image-test")["project_id"] == "image-test"
        deadline = time.monotonic() + 60
        while not (tls / "ca.pem").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        azure = AzureAdmin(f"https://127.0.0.1:{ports['azure']}", verify=str(tls / "ca.pem"))
        wait_healthy(azure, azure_proc)
        assert azure.create_account()["tenant_id"]
        leaf = x509.load_pem_x509_certificates((tls / "server.pem").read_bytes())[0]
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert "azure-emulator" in names.get_values_for_type(x509.DNSName)
        assert (tls / "server-key.pem").stat().st_uid == images.UID
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=15)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        subprocess.run([*images.BUILDAH, "rm", ctr], capture_output=True, check=False)
