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


def test_a_cloud_kubeconfig_becomes_an_exec_one_and_a_bad_one_is_refused_by_name():
    # An AKS user kubeconfig as the adapter hands it on: the cloud's own names and server.
    aks = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "c", "cluster": {"server": "https://aks:443"}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "c",
            "users": [{"name": "u", "user": {"token": "t"}}],
        }
    )
    assert exec_credential_status(aks) == {"token": "t"}
    config = json.loads(exec_kubeconfig(aks, provider="azure", cluster_id=CLUSTER_ID))
    assert config["clusters"][0]["cluster"]["server"] == "https://aks:443"
    [user] = config["users"]
    assert set(user["user"]) == {"exec"} and "t" not in user["user"]["exec"]["args"]
    assert user["user"]["exec"]["args"][-1] == CLUSTER_ID
    for broken in ("apiVersion: v1\nkind: Config\n", '{"users": []}', "[1]", '{"users": [1]}'):
        with pytest.raises(KubeconfigModeNotSupported) as info:
            exec_kubeconfig(broken, provider="azure", cluster_id=CLUSTER_ID)
        assert info.value.code == "KUBECONFIG_MODE_NOT_SUPPORTED" and info.value.status == 422
    bare = build_kubeconfig("demo", "https://demo", None, {"username": "admin"})
    with pytest.raises(KubeconfigModeNotSupported):
        exec_credential_status(bare)
