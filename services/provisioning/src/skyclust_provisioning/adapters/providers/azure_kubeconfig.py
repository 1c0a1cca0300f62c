"""AKS credentials for kubectl: the cloud's user kubeconfig handed on as JSON, and the
Entra ID token an AAD-integrated cluster's API server accepts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import yaml

from .base import IssuedToken

# The application AAD-integrated AKS clusters accept tokens for: the server id
# `kubelogin` asks Entra for, the same in every tenant.
AKS_AAD_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"


def as_json(text: str) -> str:
    """The cloud's YAML kubeconfig as the JSON the rest of SkyClust reads (JSON is YAML:
    kubectl reads it as it is); a document that is not a YAML mapping is passed on as
    it came."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return json.dumps(config, indent=2) if isinstance(config, dict) else text


def aks_server_token(entra: Any) -> IssuedToken:
    """A token for the AKS server application, as `kubelogin get-token --login spn` gets
    one with the workspace's service principal (`entra`, an azure-identity credential),
    with Entra's own expiry (about an hour)."""
    token = entra.get_token(f"{AKS_AAD_SERVER_APP}/.default")
    return IssuedToken({"token": token.token}, datetime.fromtimestamp(token.expires_on, UTC))
