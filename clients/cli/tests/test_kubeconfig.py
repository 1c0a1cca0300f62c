from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from skyclust_cli import kubeconfig as kube

pytestmark = pytest.mark.unit

NEW: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "demo", "cluster": {"server": "https://new"}}],
    "users": [{"name": "skyclust-demo", "user": {"token": "t2"}}],
    "contexts": [{"name": "demo", "context": {"cluster": "demo", "user": "skyclust-demo"}}],
    "current-context": "demo",
}
EXISTING: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [
        {"name": "kind-local", "cluster": {"server": "https://127.0.0.1:6443"}},
        {"name": "demo", "cluster": {"server": "https://old"}},
    ],
    "users": [{"name": "kind-local", "user": {"token": "t0"}}],
    "contexts": [
        {"name": "kind-local", "context": {"cluster": "kind-local", "user": "kind-local"}}
    ],
    "current-context": "kind-local",
    "preferences": {"colors": True},
}


def test_merge_keeps_other_entries_replaces_same_names_and_sets_current() -> None:
    merged = kube.merge(EXISTING, NEW)

    assert [c["name"] for c in merged["clusters"]] == ["kind-local", "demo"]
    assert merged["clusters"][1]["cluster"]["server"] == "https://new"
    assert [u["name"] for u in merged["users"]] == ["kind-local", "skyclust-demo"]
    assert [c["name"] for c in merged["contexts"]] == ["kind-local", "demo"]
    assert merged["current-context"] == "demo"
    assert merged["preferences"] == {"colors": True}


def test_merge_can_leave_the_current_context_alone() -> None:
    assert kube.merge(EXISTING, NEW, set_current=False)["current-context"] == "kind-local"


def test_an_alias_renames_the_context_only() -> None:
    renamed = kube.rename(NEW, "prod-eu")
    assert renamed["current-context"] == "prod-eu"
    assert renamed["contexts"][0] == {"name": "prod-eu", "context": NEW["contexts"][0]["context"]}
    assert renamed["clusters"] == NEW["clusters"]


def test_update_writes_a_0600_file_and_merges_into_an_existing_one(tmp_path: Path) -> None:
    path = tmp_path / "kube" / "config"
    kube.update(path, NEW)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text(yaml.safe_dump(EXISTING))

    kube.update(path, NEW)

    written = yaml.safe_load(path.read_text())
    assert {c["name"] for c in written["contexts"]} == {"kind-local", "demo"}
    assert written["current-context"] == "demo"


def test_the_default_path_is_kubeconfigs_first_file(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert kube.default_path({"KUBECONFIG": f"{first}:{second}"}) == first
    assert kube.default_path({}) == Path.home() / ".kube" / "config"
