"""Contexts, like kubectl's: each names a gateway, a workspace and how to authenticate
there. The file holds tokens and API keys, so it is only ever written with mode 0600 and
a file that others can read is narrowed before it is used."""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from .errors import CliError, ExitCode

CONFIG_ENV = "SKYCLUST_CONFIG"
CONTEXT_ENV = "SKYCLUST_CONTEXT"


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser()
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "skyclust" / "config.yaml"


@dataclass
class Context:
    name: str
    gateway: str
    workspace_id: str | None = None
    workspace_name: str | None = None
    user: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    # Seconds since the epoch after which the access token is refused.
    expires_at: float | None = None
    api_key: str | None = None

    @property
    def authenticated(self) -> bool:
        return bool(self.api_key or self.access_token)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and k != "name"}

    @classmethod
    def from_dict(cls, name: str, raw: Mapping[str, Any]) -> Context:
        known = {f.name for f in fields(cls)} - {"name"}
        if not isinstance(raw, Mapping) or not raw.get("gateway"):
            raise CliError("CONFIG_INVALID", f"context {name!r} has no gateway", ExitCode.USAGE)
        return cls(name=name, **{k: v for k, v in raw.items() if k in known})


@dataclass
class Config:
    path: Path
    current_context: str | None = None
    contexts: dict[str, Context] = field(default_factory=dict)

    def current(self, override: str | None = None) -> Context:
        name = override or os.environ.get(CONTEXT_ENV) or self.current_context
        if not name:
            raise CliError(
                "NO_CONTEXT",
                "not logged in: run `skyclust login --gateway URL` first",
                ExitCode.AUTH,
            )
        if name not in self.contexts:
            raise CliError("CONTEXT_NOT_FOUND", f"no context named {name!r}", ExitCode.USAGE)
        return self.contexts[name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "current-context": self.current_context,
            "contexts": {name: ctx.to_dict() for name, ctx in sorted(self.contexts.items())},
        }


def _narrow(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)
        print(
            f"warning: {path} was readable by others (mode {mode:04o}); it is now 0600",
            file=sys.stderr,
        )


def load(path: Path | None = None) -> Config:
    path = path or config_path()
    if not path.exists():
        return Config(path=path)
    _narrow(path)
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise CliError("CONFIG_INVALID", f"{path} is not YAML: {exc}", ExitCode.USAGE) from exc
    if not isinstance(raw, dict):
        raise CliError("CONFIG_INVALID", f"{path} is not a mapping", ExitCode.USAGE)
    contexts = {
        str(name): Context.from_dict(str(name), body)
        for name, body in (raw.get("contexts") or {}).items()
    }
    return Config(path=path, current_context=raw.get("current-context"), contexts=contexts)


def save(config: Config) -> None:
    """Written whole to a 0600 file beside the old one, then renamed over it, so a reader
    never sees half a file and the secrets are never readable by others, even briefly."""
    config.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=config.path.parent, prefix=".config-", suffix=".yaml")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as out:
            yaml.safe_dump(config.to_dict(), out, sort_keys=False)
        os.replace(tmp, config.path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Held while tokens are refreshed: a refresh token works once, so two commands
    refreshing together would end the session. The second one waits, then finds the
    new tokens in the file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
