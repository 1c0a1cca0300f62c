"""The AWS KMS keyring on moto's KMS, through boto3: the same envelope and rotation
semantics as the keys from settings (one behaviour suite runs on both), the KMS itself
refusing a wrapped key moved to another context, a KMS that does not answer failing with
KEYRING_UNAVAILABLE, and the GCP and Azure keyrings refusing to start by name."""

from __future__ import annotations

import base64
import dataclasses
import os
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from prometheus_client import REGISTRY

from skyclust_tools.embedded import free_port
from skyclust_vault.adapters.kms import (
    AwsKmsKeyring,
    AzureKeyVaultKeyring,
    GcpKmsKeyring,
    build_keyring,
)
from skyclust_vault.bootstrap import keyring
from skyclust_vault.domain.crypto import (
    KeyEncryptionKeys,
    Keyring,
    Keyrings,
    open_sealed,
    reseal,
    seal,
)
from skyclust_vault.domain.errors import (
    DecryptionFailed,
    KeyringNotImplemented,
    KeyringUnavailable,
)
from skyclust_vault.settings import VaultSettings

from .conftest import AWS_KEYS, Kms

pytestmark = pytest.mark.integration


def aws(kms: Kms, active: str, *versions: str) -> AwsKmsKeyring:
    wanted = versions or (active,)
    return AwsKmsKeyring({v: kms.keys[v] for v in wanted}, active, endpoint_url=kms.url)


ENV_BYTES = {v: os.urandom(32) for v in ("k1", "k2")}


def env(kms: Kms, active: str, *versions: str) -> Keyring:
    return Keyring({v: ENV_BYTES[v] for v in versions or (active,)}, active)


KEYRINGS: dict[str, Callable[..., KeyEncryptionKeys]] = {"env": env, "aws-kms": aws}


@pytest.fixture(params=sorted(KEYRINGS))
def make(request: pytest.FixtureRequest, kms: Kms) -> Callable[..., KeyEncryptionKeys]:
    factory = KEYRINGS[request.param]
    return lambda active, *versions: factory(kms, active, *versions)


def ids() -> tuple[str, str]:
    return str(uuid.uuid4()), str(uuid.uuid4())


def test_round_trip_never_stores_the_data_key_in_clear(make):
    ws, cred = ids()
    keys = make("k1")
    first = seal(keys, b'{"secret": "x"}', workspace_id=ws, credential_id=cred)
    second = seal(keys, b'{"secret": "x"}', workspace_id=ws, credential_id=cred)
    assert first.key_version == "k1"
    assert first.wrapped_key != second.wrapped_key and first.key_nonce != second.key_nonce
    assert open_sealed(keys, first, workspace_id=ws, credential_id=cred) == b'{"secret": "x"}'


def test_rotation_reseals_under_the_new_version_and_a_dropped_version_stops_opening(make):
    ws, cred = ids()
    old = seal(make("k1"), b"secret", workspace_id=ws, credential_id=cred)
    rotated = make("k2", "k1", "k2")
    assert open_sealed(rotated, old, workspace_id=ws, credential_id=cred) == b"secret"
    moved = reseal(rotated, old, workspace_id=ws, credential_id=cred)
    assert moved.key_version == "k2"
    only_k2 = make("k2")
    assert open_sealed(only_k2, moved, workspace_id=ws, credential_id=cred) == b"secret"
    with pytest.raises(DecryptionFailed) as info:
        open_sealed(only_k2, old, workspace_id=ws, credential_id=cred)
    assert (info.value.code, info.value.reason) == (
        "CREDENTIAL_DECRYPTION_FAILED",
        "key_version_unknown",
    )


@pytest.mark.parametrize("moved", ["workspace", "credential", "key_nonce", "wrapped_key"])
def test_a_wrapped_key_moved_or_altered_does_not_open(make, moved: str):
    ws, cred = ids()
    keys = make("k1")
    sealed = seal(keys, b"secret", workspace_id=ws, credential_id=cred)
    if moved == "workspace":
        ws = str(uuid.uuid4())
    elif moved == "credential":
        cred = str(uuid.uuid4())
    elif moved == "key_nonce":
        sealed = dataclasses.replace(sealed, key_nonce=os.urandom(12))
    else:
        other = seal(keys, b"other", workspace_id=ws, credential_id=str(uuid.uuid4()))
        sealed = dataclasses.replace(sealed, wrapped_key=other.wrapped_key)
    with pytest.raises(DecryptionFailed) as info:
        open_sealed(keys, sealed, workspace_id=ws, credential_id=cred)
    assert info.value.reason == "mismatch"


def kms_calls(operation: str, outcome: str) -> float:
    labels = {"provider": "aws", "operation": operation, "outcome": outcome}
    return REGISTRY.get_sample_value("skyclust_cloud_api_calls_total", labels) or 0.0


def test_each_kms_call_is_counted_as_a_cloud_call(kms: Kms):
    keys = aws(kms, "k1")
    ws, cred = ids()
    before = (kms_calls("kms_encrypt", "ok"), kms_calls("kms_decrypt", "ok"))
    sealed = seal(keys, b"secret", workspace_id=ws, credential_id=cred)
    assert open_sealed(keys, sealed, workspace_id=ws, credential_id=cred) == b"secret"
    after = (kms_calls("kms_encrypt", "ok"), kms_calls("kms_decrypt", "ok"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1]
    failed = kms_calls("kms_encrypt", "error")
    dead = AwsKmsKeyring(
        {"k1": kms.keys["k1"]}, "k1", endpoint_url=f"http://127.0.0.1:{free_port()}"
    )
    with pytest.raises(KeyringUnavailable):
        seal(dead, b"secret", workspace_id=ws, credential_id=cred)
    assert kms_calls("kms_encrypt", "error") == failed + 1


def test_the_kms_itself_refuses_a_wrapped_key_under_another_context(kms: Kms):
    client = boto3.client("kms", endpoint_url=kms.url, region_name="us-east-1", **AWS_KEYS)
    ws, cred = ids()
    sealed = seal(aws(kms, "k1"), b"secret", workspace_id=ws, credential_id=cred)
    with pytest.raises(client.exceptions.InvalidCiphertextException):
        client.decrypt(CiphertextBlob=sealed.wrapped_key, KeyId=kms.keys["k1"])


def test_an_unreachable_kms_is_a_retryable_keyring_unavailable(kms: Kms):
    dead = f"http://127.0.0.1:{free_port()}"
    keys = AwsKmsKeyring({"k1": kms.keys["k1"]}, "k1", endpoint_url=dead)
    ws, cred = ids()
    with pytest.raises(KeyringUnavailable) as info:
        seal(keys, b"secret", workspace_id=ws, credential_id=cred)
    assert info.value.code == "KEYRING_UNAVAILABLE" and info.value.retryable
    assert info.value.status == 503


def test_keys_from_settings_and_the_kms_side_by_side_move_credentials_across(kms: Kms):
    ws, cred = ids()
    on_env = seal(env(kms, "k1"), b"secret", workspace_id=ws, credential_id=cred)
    both = Keyrings([Keyring({"v1": ENV_BYTES["k1"]}, "v1"), aws(kms, "k2")], "k2")
    relabelled = dataclasses.replace(on_env, key_version="v1")
    with pytest.raises(DecryptionFailed):
        # The version is in the associated data: relabelling is not a way across.
        open_sealed(both, relabelled, workspace_id=ws, credential_id=cred)
    legacy = seal(Keyring({"v1": ENV_BYTES["k1"]}, "v1"), b"s", workspace_id=ws, credential_id=cred)
    moved = reseal(both, legacy, workspace_id=ws, credential_id=cred)
    assert moved.key_version == "k2"
    assert open_sealed(aws(kms, "k2"), moved, workspace_id=ws, credential_id=cred) == b"s"
    with pytest.raises(ValueError, match="two keyrings"):
        Keyrings([Keyring({"k1": ENV_BYTES["k1"]}, "k1"), aws(kms, "k1")], "k1")


def settings_for(kms: Kms, **values: Any) -> VaultSettings:
    base: dict[str, Any] = {
        "nats_url": "nats://127.0.0.1:1",
        "database_url": "postgresql+asyncpg://x:y@127.0.0.1:1/x",
        "aws_endpoint_url": kms.url,
    }
    return VaultSettings(**{**base, **values})


def test_settings_choose_the_keyring(kms: Kms):
    v1 = base64.b64encode(ENV_BYTES["k1"]).decode()
    plain = settings_for(kms, vault_keys={"v1": v1}, vault_active_key="v1")
    assert isinstance(keyring(plain), Keyring)
    moving = settings_for(
        kms,
        vault_keyring="aws-kms",
        vault_keys={"v1": v1},
        vault_kms_keys={"k1": kms.keys["k1"]},
        vault_active_key="k1",
    )
    keys = keyring(moving)
    assert keys.active_version == "k1" and keys.versions == {"v1", "k1"}
    kms_only = settings_for(
        kms, vault_keyring="aws-kms", vault_kms_keys=kms.keys, vault_active_key="k2"
    )
    assert isinstance(keyring(kms_only), AwsKmsKeyring)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"vault_kms_keys": {"k1": "alias/x"}, "vault_active_key": "k1"}, "KMS vault_keyring"),
        ({"vault_keyring": "aws-kms", "vault_active_key": "k1"}, "needs vault_kms_keys"),
        (
            {"vault_keyring": "aws-kms", "vault_kms_keys": {"k1": "a"}, "vault_active_key": "x"},
            "vault_active_key",
        ),
        (
            {
                "vault_keyring": "aws-kms",
                "vault_keys": {"k1": base64.b64encode(os.urandom(32)).decode()},
                "vault_kms_keys": {"k1": "alias/x"},
                "vault_active_key": "k1",
            },
            "are in vault_keys and vault_kms_keys",
        ),
    ],
)
def test_settings_refuse_a_keyring_that_does_not_add_up(kms: Kms, values, message):
    with pytest.raises(ValueError, match=message):
        settings_for(kms, **values)


@pytest.mark.parametrize(
    ("kind", "cls"), [("gcp-kms", GcpKmsKeyring), ("azure-key-vault", AzureKeyVaultKeyring)]
)
def test_gcp_and_azure_keyrings_say_they_are_not_implemented(kms: Kms, kind: str, cls):
    with pytest.raises(KeyringNotImplemented) as info:
        cls({"k1": "some-key"}, "k1")
    assert info.value.code == "KEYRING_NOT_IMPLEMENTED" and kind in str(info.value.details)
    with pytest.raises(KeyringNotImplemented):
        build_keyring(kind, {}, {"k1": "some-key"}, "k1")
