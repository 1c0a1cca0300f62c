"""Kubeconfig modes: the exec kubeconfig keeps everything but the credential, and the
ExecCredential status carries the credential a static kubeconfig holds."""

from __future__ import annotations

import base64
import json

import pytest

from skyclust_provisioning.domain.errors import KubeconfigModeNotSupported
from skyclust_provisioning.domain.kubeconfig import (
    build_kubeconfig,
    exec_credential_status,
    exec_kubeconfig,
)

pytestmark = pytest.mark.unit
CLUSTER_ID = "5b0c6f5e-1d1c-4f3e-9d55-0c1f1a7f2b11"


def test_the_exec_kubeconfig_replaces_only_the_credential():
    static = build_kubeconfig("demo", "https://demo", "Q0E=", {"token": "secret-token"})
    config = json.loads(exec_kubeconfig(static, provider="aws", cluster_id=CLUSTER_ID))
    assert config["clusters"] == json.loads(static)["clusters"]
    assert config["contexts"] == json.loads(static)["contexts"]
    plugin = config["users"][0]["user"]["exec"]
    assert set(config["users"][0]["user"]) == {"exec"}
    assert plugin["apiVersion"] == "client.authentication.k8s.io/v1"
    assert [plugin["command"], *plugin["args"]] == [
        "skyclust", "kubeconfig", "token", "--provider", "aws", "--cluster", CLUSTER_ID,
    ]  # fmt: skip
    assert plugin["interactiveMode"] == "Never"
    assert "secret-token" not in json.dumps(config)


def test_the_status_carries_a_token_or_a_client_certificate_as_pem():
    static = build_kubeconfig("demo", "https://demo", None, {"token": "t-1"})
    assert exec_credential_status(static) == {"token": "t-1"}
    pem_cert, pem_key = "-----BEGIN CERTIFICATE-----\nx\n", "-----BEGIN KEY-----\ny\n"
    with_cert = build_kubeconfig(
        "demo",
        "https://demo",
        None,
        {
            "client-certificate-data": base64.b64encode(pem_cert.encode()).decode(),
            "client-key-data": base64.b64encode(pem_key.encode()).decode(),
        },
    )
    assert exec_credential_status(with_cert) == {
        "clientCertificateData": pem_cert,
        "clientKeyData": pem_key,
    }


def test_a_cloud_kubeconfig_or_one_without_a_credential_is_refused_by_name():
    aks = "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: t\n"
    with pytest.raises(KubeconfigModeNotSupported) as info:
        exec_credential_status(aks)
    assert info.value.code == "KUBECONFIG_MODE_NOT_SUPPORTED" and info.value.status == 422
    with pytest.raises(KubeconfigModeNotSupported):
        exec_kubeconfig(aks, provider="azure", cluster_id=CLUSTER_ID)
    bare = build_kubeconfig("demo", "https://demo", None, {"username": "admin"})
    with pytest.raises(KubeconfigModeNotSupported):
        exec_credential_status(bare)
