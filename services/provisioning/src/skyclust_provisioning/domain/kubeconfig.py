"""A kubeconfig for one cluster: its endpoint, its CA and a short-lived credential."""

from __future__ import annotations

import base64
import json
from typing import Any

from .errors import KubeconfigModeNotSupported


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


EXEC_API = "client.authentication.k8s.io/v1"
CLI = "skyclust"


def exec_kubeconfig(static: str, *, provider: str, cluster_id: str) -> str:
    """The same kubeconfig with its credential replaced by the exec plugin: kubectl runs
    `skyclust kubeconfig token` whenever the token it holds has expired, so the file
    works for as long as the CLI's session or API key does, and holds no credential."""
    config = _json_kubeconfig(static)
    exec_entry = {
        "apiVersion": EXEC_API,
        "command": CLI,
        "args": ["kubeconfig", "token", "--provider", provider, "--cluster", cluster_id],
        "installHint": "the SkyClust CLI (skyclust) fetches this cluster's tokens; "
        "install it and run `skyclust login`, or ask for the static kubeconfig",
        "interactiveMode": "Never",
        "provideClusterInfo": False,
    }
    for entry in config["users"]:
        entry["user"] = {"exec": exec_entry}
    return json.dumps(config, indent=2)


def exec_credential_status(static: str) -> dict[str, str]:
    """The ExecCredential `status` fields for the credential a static kubeconfig holds."""
    user = _json_kubeconfig(static)["users"][0].get("user") or {}
    if isinstance(user.get("token"), str) and user["token"]:
        return {"token": user["token"]}
    cert, key = user.get("client-certificate-data"), user.get("client-key-data")
    if isinstance(cert, str) and isinstance(key, str) and cert and key:
        # The kubeconfig holds them in base64; ExecCredential wants the PEM itself.
        return {
            "clientCertificateData": base64.b64decode(cert).decode(),
            "clientKeyData": base64.b64decode(key).decode(),
        }
    raise KubeconfigModeNotSupported(
        "the cluster's credential is neither a token nor a client certificate"
    )


def _json_kubeconfig(text: str) -> dict[str, Any]:
    """JSON, as SkyClust writes it and as the adapters hand on a cloud's YAML (AKS)."""
    try:
        config = json.loads(text)
    except ValueError:
        config = None
    if (
        not isinstance(config, dict)
        or not isinstance(config.get("users"), list)
        or not config["users"]
        or not all(isinstance(u, dict) for u in config["users"])
    ):
        raise KubeconfigModeNotSupported("the cloud's kubeconfig names no user; use mode=static")
    return config
