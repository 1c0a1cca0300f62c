"""Envelope encryption: a ciphertext only opens for its own workspace, credential
and key version."""

from __future__ import annotations

import os
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyclust_vault.domain.crypto import DecryptionFailed, Keyring, Sealed, open_sealed, seal
from skyclust_vault.domain.providers import parse

pytestmark = pytest.mark.unit

KEYS = Keyring({"v1": os.urandom(32), "v2": os.urandom(32)}, "v1")


def test_round_trip():
    ws, cred = str(uuid.uuid4()), str(uuid.uuid4())
    sealed = seal(KEYS, b'{"secret": "x"}', workspace_id=ws, credential_id=cred)
    assert sealed.key_version == "v1"
    assert b"secret" not in sealed.ciphertext
    assert open_sealed(KEYS, sealed, workspace_id=ws, credential_id=cred) == b'{"secret": "x"}'


ids = st.uuids().map(str)


@settings(max_examples=100, deadline=None)
@given(ws=ids, cred=ids, other_ws=ids, other_cred=ids, secret=st.binary(min_size=1, max_size=256))
def test_moved_ciphertexts_never_open(ws, cred, other_ws, other_cred, secret):
    sealed = seal(KEYS, secret, workspace_id=ws, credential_id=cred)
    if other_ws != ws:
        with pytest.raises(DecryptionFailed):
            open_sealed(KEYS, sealed, workspace_id=other_ws, credential_id=cred)
    if other_cred != cred:
        with pytest.raises(DecryptionFailed):
            open_sealed(KEYS, sealed, workspace_id=ws, credential_id=other_cred)
    relabelled = Sealed(sealed.ciphertext, sealed.nonce, sealed.wrapped_key, sealed.key_nonce, "v2")
    with pytest.raises(DecryptionFailed):
        open_sealed(KEYS, relabelled, workspace_id=ws, credential_id=cred)
    unknown = Sealed(sealed.ciphertext, sealed.nonce, sealed.wrapped_key, sealed.key_nonce, "v9")
    with pytest.raises(DecryptionFailed) as info:
        open_sealed(KEYS, unknown, workspace_id=ws, credential_id=cred)
    assert info.value.code == "KEY_VERSION_UNKNOWN"


def test_swapped_data_keys_never_open():
    ws = str(uuid.uuid4())
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    first = seal(KEYS, b"one", workspace_id=ws, credential_id=a)
    second = seal(KEYS, b"two", workspace_id=ws, credential_id=b)
    spliced = Sealed(first.ciphertext, first.nonce, second.wrapped_key, second.key_nonce, "v1")
    with pytest.raises(DecryptionFailed):
        open_sealed(KEYS, spliced, workspace_id=ws, credential_id=a)


def test_aws_schema_rejects_unknown_fields_without_echoing_values():
    with pytest.raises(Exception) as info:
        parse(
            "aws",
            {
                "access_key_id": "AKIAABCDEFGHIJKLMNOP",
                "secret_access_key": "x" * 40,
                "favourite": "very-secret-value",
            },
        )
    assert info.value.code == "INVALID_CREDENTIAL_DATA"  # type: ignore[attr-defined]
    assert "data.favourite" in str(info.value)
    assert "very-secret-value" not in str(info.value)
    ok = parse("aws", {"access_key_id": "AKIAABCDEFGHIJKLMNOP", "secret_access_key": "x" * 40})
    assert ok.masked() == {"access_key_id": "AKIA…MNOP"}
    with pytest.raises(Exception) as unsupported:
        parse("gcp", {})
    assert unsupported.value.code == "PROVIDER_NOT_SUPPORTED"  # type: ignore[attr-defined]
