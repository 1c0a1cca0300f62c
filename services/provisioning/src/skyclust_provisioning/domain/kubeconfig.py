"""A kubeconfig for one cluster: its endpoint, its CA and a short-lived credential."""

from __future__ import annotations

import json
from typing import Any


def build_kubeconfig(name: str, server: str, ca_data: str | None, user: dict[str, Any]) -> str:
    """JSON text (JSON is YAML, and kubectl reads either). `user` is the kubeconfig
    `user` entry: `{"token": ...}` here, or whatever the cloud handed out."""
    cluster: dict[str, Any] = {"server": server}
    if ca_data:
        cluster["certificate-authority-data"] = ca_data
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": f"skyclust-{name}", "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": f"skyclust-{name}"}}],
        "current-context": name,
        "preferences": {},
    }
    return json.dumps(config, indent=2)
