"""OCI images for SkyClust, one per service, built without a Docker daemon or a registry:
`python -m skyclust_tools.images [SERVICE ...] [--tag TAG]` (what `make images` runs).

No container registry is reachable from where SkyClust is built, so no `FROM python:slim`:
the base is a Debian root filesystem made by `debootstrap` (minbase and `python3`, from the
same Debian release as the build host) and imported into buildah `FROM scratch`, with the
user `skyclust` (uid 10001) added. Each service's image is then two stages over that base:

- `build`: the service's locked dependencies (`uv export` of its package, installed by
  `uv pip install --target` for the base's Python and glibc, wheels only), its own source,
  `skyclust_common`, its migrations and the contracts, compiled to bytecode so that the
  image's read-only root filesystem never needs a write;
- the runtime: the base with `/opt/skyclust` copied from `build`, user 10001, the
  settings that suit a container (listen on `0.0.0.0`, health/metrics port 9000, the
  gateway's API on 8080), a `HEALTHCHECK` on `/healthz`, and the service's
  `python3 -m <package>` as the entry point (exec form, so SIGTERM reaches the runtime).

One more image, `localhost/skyclust-emulators`, holds the tools package and its locked
dependencies for the local AWS (moto plus), GCP and Azure emulators: the same two stages,
user 10001, `python3 -m` as the entry point and the emulator's module as the command
(docker-compose.yml's `emulators` profile runs one container of it per cloud).

buildah runs with the `vfs` storage driver and `chroot` isolation, which work as root in a
container with no overlay or user namespaces. Everything is kept under `.skyclust/images/`;
the debootstrapped root filesystem is made once and reused."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Published as source only, and pure Python: built into a wheel on the way in.
PURE_PYTHON_SDISTS = frozenset({"nkeys"})
REPO = Path(__file__).resolve().parents[3]
WORK = REPO / ".skyclust" / "images"
BASE_IMAGE = "localhost/skyclust-base"
IMAGE_PREFIX = "localhost/skyclust-"
UID = 10001
HEALTH_PORT = 9000
API_PORT = 8080
APP = "/opt/skyclust"
BUILDAH = ("buildah", "--storage-driver", "vfs")
# debootstrap's minbase leaves these behind; none is needed to run Python.
TRIM = (
    "var/cache/apt/archives",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
)


@dataclass(frozen=True)
class Service:
    name: str  # e.g. credential-vault, the folder under services/
    package: str  # e.g. skyclust_vault
    # The workspace member's folder, when it is not services/<name>.
    source: str = ""

    @property
    def folder(self) -> str:
        return self.source or f"services/{self.name}"

    @property
    def project(self) -> str:
        """The uv workspace member, e.g. skyclust-vault, from its pyproject.toml."""
        pyproject = REPO / self.folder / "pyproject.toml"
        name: str = tomllib.loads(pyproject.read_text())["project"]["name"]
        return name

    @property
    def has_database(self) -> bool:
        return (REPO / self.folder / "migrations").is_dir()

    @property
    def is_emulators(self) -> bool:
        return self.package == "skyclust_tools"


SERVICES: dict[str, Service] = {
    s.name: s
    for s in (
        Service("gateway", "skyclust_gateway"),
        Service("identity", "skyclust_identity"),
        Service("credential-vault", "skyclust_vault"),
        Service("provisioning", "skyclust_provisioning"),
        Service("network", "skyclust_network"),
        Service("cost", "skyclust_cost"),
        Service("notification", "skyclust_notification"),
    )
}
# Not a service of the platform: the local clouds, for docker-compose.yml's `emulators`.
EMULATORS = Service("emulators", "skyclust_tools", source="tools")
# The emulators' ports, as `make run` and tools/EMULATORS.md number them.
EMULATOR_PORTS = {"aws": 8792, "gcp": 8790, "azure": 8791}
EMULATOR_TLS_DIR = "/var/lib/skyclust/emulator-tls"
IMAGES: dict[str, Service] = {**SERVICES, EMULATORS.name: EMULATORS}


class ImageError(Exception):
    """A step of the build that failed, with what to do about it."""


@dataclass(frozen=True)
class Base:
    """The base image and what the dependencies must be installed for."""

    image: str
    python_version: str  # e.g. 3.11.2
    glibc: str  # e.g. 2.36


def containerfile(service: Service, base: str) -> str:
    """The two-stage Containerfile for one service, over the base image `base`."""
    if service.is_emulators:
        return emulators_containerfile(base)
    src = f"{APP}/{service.folder}/src"
    env = {
        "PYTHONPATH": f"{src}:{APP}/libs/common/src:{APP}/site",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "SKYCLUST_CONTRACTS_DIR": f"{APP}/contracts",
        "SKYCLUST_HEALTH_HOST": "0.0.0.0",
        "SKYCLUST_HEALTH_PORT": str(HEALTH_PORT),
    }
    ports = [HEALTH_PORT]
    if service.name == "gateway":
        env["SKYCLUST_GATEWAY_HOST"] = "0.0.0.0"
        env["SKYCLUST_GATEWAY_PORT"] = str(API_PORT)
        ports.insert(0, API_PORT)
    probe = (
        "import urllib.request; urllib.request.urlopen("
        f"'http://127.0.0.1:{HEALTH_PORT}/healthz', timeout=3)"
    )
    lines = [
        f"# skyclust-{service.name}: generated by `python -m skyclust_tools.images`; do not edit.",
        f"FROM {base} AS build",
        f"COPY site/ {APP}/site/",
        f"COPY app/ {APP}/",
        f"RUN python3 -m compileall -q -j 0 {APP} && chown -R root:root {APP}",
        "",
        f"FROM {base}",
        f"COPY --from=build {APP} {APP}",
        *(f"ENV {key}={value}" for key, value in env.items()),
        f"EXPOSE {' '.join(str(p) for p in ports)}",
        f"USER {UID}:{UID}",
        "WORKDIR /tmp",
        "STOPSIGNAL SIGTERM",
        "HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 "
        f'CMD ["python3", "-c", "{probe}"]',
        f'ENTRYPOINT ["python3", "-m", "{service.package}"]',
        f'LABEL org.opencontainers.image.title="skyclust-{service.name}"',
        "",
    ]
    return "\n".join(lines)


def emulators_containerfile(base: str) -> str:
    """The emulators' image: the tools package over the base, the emulator to run given
    as the command (`skyclust_tools.emulators.aws -H 0.0.0.0`...). No HEALTHCHECK: each
    emulator listens on a port of its own, so each compose service has its own check."""
    env = {
        "PYTHONPATH": f"{APP}/{EMULATORS.folder}/src:{APP}/libs/common/src:{APP}/site",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        # Real AWS accounts have the AWS-managed IAM policies (AmazonEKSClusterPolicy...),
        # as the launcher's moto has them.
        "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
    }
    ports = " ".join(str(port) for port in sorted(EMULATOR_PORTS.values()))
    lines = [
        "# skyclust-emulators: generated by `python -m skyclust_tools.images`; do not edit.",
        f"FROM {base} AS build",
        f"COPY site/ {APP}/site/",
        f"COPY app/ {APP}/",
        f"RUN python3 -m compileall -q -j 0 {APP} && chown -R root:root {APP} "
        f"&& mkdir -p {EMULATOR_TLS_DIR}",
        "",
        f"FROM {base}",
        f"COPY --from=build {APP} {APP}",
        # The Azure emulator writes its CA and certificate here; a volume mounted on it
        # starts with this folder's owner, the emulator's user.
        f"COPY --from=build --chown={UID}:{UID} {EMULATOR_TLS_DIR} {EMULATOR_TLS_DIR}",
        *(f"ENV {key}={value}" for key, value in env.items()),
        f"EXPOSE {ports}",
        f"USER {UID}:{UID}",
        "WORKDIR /tmp",
        "STOPSIGNAL SIGTERM",
        'ENTRYPOINT ["python3", "-m"]',
        'CMD ["skyclust_tools.emulators.aws", "--host", "0.0.0.0", "--port", '
        f'"{EMULATOR_PORTS["aws"]}"]',
        'LABEL org.opencontainers.image.title="skyclust-emulators"',
        "",
    ]
    return "\n".join(lines)


def base_containerfile() -> str:
    return "\n".join(
        [
            "# The SkyClust base: a debootstrapped Debian with python3, and the user skyclust.",
            "FROM scratch",
            "ADD rootfs.tar /",
            f"RUN groupadd --gid {UID} skyclust && useradd --uid {UID} --gid {UID} "
            "--no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin skyclust",
            'CMD ["python3"]',
            "",
        ]
    )


def _run(argv: Sequence[str], what: str, **kwargs: object) -> str:
    try:
        done = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            check=False,
            **kwargs,  # type: ignore[call-overload]
        )
    except FileNotFoundError as exc:
        raise ImageError(f"{what}: {argv[0]} is not installed ({exc.strerror})") from exc
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise ImageError(f"{what} failed (exit {done.returncode}):\n{tail}")
    return done.stdout


def require_tools() -> None:
    """buildah and debootstrap, with the way to get them when one is missing."""
    missing = [tool for tool in ("buildah", "debootstrap") if shutil.which(tool) is None]
    if missing:
        raise ImageError(
            f"{' and '.join(missing)} not installed: `make images` installs them with "
            f"apt-get, or run `apt-get install {' '.join(missing)}`"
        )


def _suite() -> str:
    """The build host's Debian release, so the base's Python matches the locked wheels."""
    fields = dict(
        line.split("=", 1)
        for line in Path("/etc/os-release").read_text().splitlines()
        if "=" in line
    )
    codename = fields.get("VERSION_CODENAME", "").strip('"')
    if fields.get("ID", "").strip('"') != "debian" or not codename:
        raise ImageError("the base root filesystem is made with debootstrap on Debian only")
    return codename


def _image_exists(image: str) -> bool:
    done = subprocess.run(
        [*BUILDAH, "inspect", "--type", "image", image], capture_output=True, check=False
    )
    return done.returncode == 0


def build_base(work: Path = WORK) -> Base:
    """The base image, made once: debootstrap, trim, import `FROM scratch`."""
    suite = _suite()
    image = f"{BASE_IMAGE}:{suite}"
    facts_file = work / f"base-{suite}.json"
    if facts_file.exists() and _image_exists(image):
        facts = json.loads(facts_file.read_text())
        return Base(image, facts["python_version"], facts["glibc"])
    rootfs = work / f"rootfs-{suite}"
    if not (rootfs / "usr" / "bin" / "python3").exists():
        shutil.rmtree(rootfs, ignore_errors=True)
        rootfs.parent.mkdir(parents=True, exist_ok=True)
        mirror = os.environ.get("SKYCLUST_DEBIAN_MIRROR")
        argv = ["debootstrap", "--variant=minbase", "--include=python3,ca-certificates"]
        argv += [suite, str(rootfs), *([mirror] if mirror else [])]
        _run(argv, "debootstrap")
    for path in TRIM:
        target = rootfs / path
        if target.is_dir():
            shutil.rmtree(target)
            target.mkdir()
    probe = "import platform; print(platform.python_version(), platform.libc_ver()[1])"
    python_version, glibc = _run(
        ["chroot", str(rootfs), "python3", "-c", probe], "the base's python3"
    ).split()
    context = work / "base"
    context.mkdir(parents=True, exist_ok=True)
    _run(["tar", "-C", str(rootfs), "-cf", str(context / "rootfs.tar"), "."], "tar")
    (context / "Containerfile").write_text(base_containerfile())
    _build(image, context)
    (context / "rootfs.tar").unlink()
    facts_file.write_text(json.dumps({"python_version": python_version, "glibc": glibc}))
    return Base(image, python_version, glibc)


def _uv() -> list[str]:
    uv = shutil.which("uv")
    return [uv] if uv else [sys.executable, "-m", "uv"]


def stage(service: Service, base: Base, work: Path = WORK, *, link_mode: str = "copy") -> Path:
    """The build context for one service: site/ (its locked dependencies, for the base's
    Python), app/ (its source, migrations, skyclust_common, contracts), Containerfile.
    `link_mode` is uv's: an image needs copies, a look at the tree may take symlinks."""
    context = work / service.name
    shutil.rmtree(context, ignore_errors=True)
    app = context / "app"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "tests")
    shutil.copytree(REPO / "contracts", app / "contracts", ignore=ignore)
    shutil.copytree(
        REPO / "libs" / "common" / "src", app / "libs" / "common" / "src", ignore=ignore
    )
    own = REPO / service.folder
    shutil.copytree(own / "src", app / service.folder / "src", ignore=ignore)
    if service.has_database:
        shutil.copytree(own / "migrations", app / service.folder / "migrations", ignore=ignore)
    requirements = context / "requirements.txt"
    export = [*_uv(), "export", "--frozen", "--package", service.project, "--no-dev"]
    export += ["--no-emit-workspace", "--no-hashes", "--no-header", "--no-annotate"]
    _run([*export, "-o", str(requirements)], f"uv export for {service.name}", cwd=REPO)
    install = [*_uv(), "pip", "install", "--quiet", "--target", str(context / "site")]
    install += ["--python-version", base.python_version]
    install += [
        "--python-platform",
        f"{os.uname().machine}-manylinux_{base.glibc.replace('.', '_')}",
    ]
    # Wheels only (nothing is compiled for the base's Python), but for the pure-Python
    # packages that publish no wheel at all.
    names = [
        line.split("==")[0].strip().lower()
        for line in requirements.read_text().splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    ]
    binary = ",".join(n for n in names if n not in PURE_PYTHON_SDISTS) or ":none:"
    install += ["--no-deps", "--only-binary", binary, "--link-mode", link_mode]
    install += ["-r", str(requirements)]
    _run(install, f"the dependencies of {service.name}", cwd=REPO)
    (context / "Containerfile").write_text(containerfile(service, base.image))
    return context


def _build(image: str, context: Path) -> None:
    argv = [*BUILDAH, "build", "--isolation", "chroot", "--format", "docker", "--layers=false"]
    argv += ["-t", image, "-f", str(context / "Containerfile"), str(context)]
    _run(argv, f"buildah build {image}")


def build(service: Service, tag: str, base: Base | None = None, work: Path = WORK) -> str:
    """Build one service's image; returns its name."""
    require_tools()
    base = base or build_base(work)
    context = stage(service, base, work)
    image = f"{IMAGE_PREFIX}{service.name}:{tag}"
    _build(image, context)
    shutil.rmtree(context / "site", ignore_errors=True)
    return image


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "services", nargs="*", help="default: all seven and `emulators`, the local clouds"
    )
    parser.add_argument("--tag", default="dev")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.services) - set(IMAGES))
    if unknown:
        print(f"unknown services: {', '.join(unknown)}", file=sys.stderr)
        return 2
    try:
        require_tools()
        base = build_base()
        for name in args.services or IMAGES:
            print(f"{build(IMAGES[name], args.tag, base)}", flush=True)
    except ImageError as exc:
        print(f"images: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
