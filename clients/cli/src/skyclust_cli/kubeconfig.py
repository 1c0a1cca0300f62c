"""A cluster's kubeconfig merged into the user's, as `aws eks update-kubeconfig` does:
entries of the same name are replaced, every other entry is kept, and the cluster's
context becomes the current one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import CliError, ExitCode

SECTIONS = ("clusters", "users", "contexts")


def default_path(env: Mapping[str, str] | None = None) -> Path:
    """Where kubectl writes: the first file of KUBECONFIG, else ~/.kube/config."""
    env = os.environ if env is None else env
    for part in (env.get("KUBECONFIG") or "").split(os.pathsep):
        if part:
            return Path(part).expanduser()
    return Path.home() / ".kube" / "config"


def parse(text: str, source: str) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise CliError(
            "KUBECONFIG_INVALID", f"{source} is not YAML: {exc}", ExitCode.USAGE
        ) from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise CliError("KUBECONFIG_INVALID", f"{source} is not a kubeconfig", ExitCode.USAGE)
    return loaded


def rename(new: dict[str, Any], alias: str) -> dict[str, Any]:
    """The cluster's own context (and its cluster and user entries) under another name."""
    renamed = {k: v for k, v in new.items() if k not in SECTIONS}
    old_context = new.get("current-context") or next(
        (c.get("name") for c in new.get("contexts") or []), None
    )
    renamed["contexts"] = [
        {**c, "name": alias} if c.get("name") == old_context else c
        for c in new.get("contexts") or []
    ]
    renamed["clusters"] = list(new.get("clusters") or [])
    renamed["users"] = list(new.get("users") or [])
    renamed["current-context"] = alias
    return renamed


def merge(
    existing: dict[str, Any], new: dict[str, Any], *, set_current: bool = True
) -> dict[str, Any]:
    merged: dict[str, Any] = {
        "apiVersion": existing.get("apiVersion") or new.get("apiVersion") or "v1",
        "kind": existing.get("kind") or "Config",
        **{k: v for k, v in existing.items() if k not in ("apiVersion", "kind")},
    }
    for section in SECTIONS:
        incoming = [e for e in new.get(section) or [] if isinstance(e, dict) and e.get("name")]
        names = {e["name"] for e in incoming}
        kept = [
            e
            for e in existing.get(section) or []
            if not (isinstance(e, dict) and e.get("name") in names)
        ]
        merged[section] = kept + incoming
    merged.setdefault("preferences", existing.get("preferences") or {})
    context = new.get("current-context") or next(
        (c["name"] for c in new.get("contexts") or [] if c.get("name")), None
    )
    if set_current and context:
        merged["current-context"] = context
    elif "current-context" not in merged:
        merged["current-context"] = context or ""
    return merged


def write(path: Path, config: dict[str, Any]) -> None:
    """Atomically, mode 0600: it holds the cluster's credentials."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".kubeconfig-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as out:
            yaml.safe_dump(config, out, sort_keys=False, default_flow_style=False)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def update(path: Path, new: dict[str, Any], *, set_current: bool = True) -> dict[str, Any]:
    existing = parse(path.read_text(), str(path)) if path.exists() else {}
    merged = merge(existing, new, set_current=set_current)
    write(path, merged)
    return merged


def pin_context(config: dict[str, Any], context: str | None) -> dict[str, Any]:
    """An exec plugin asks the gateway of the CLI context that fetched the kubeconfig,
    not whichever context is current when kubectl runs it."""
    if not context:
        return config
    for entry in config.get("users") or []:
        plugin = (entry.get("user") or {}).get("exec")
        if isinstance(plugin, dict) and plugin.get("command") == "skyclust":
            plugin["args"] = ["--context", context, *(plugin.get("args") or [])]
    return config
