"""Envelope encryption: a ciphertext only opens for its own workspace, credential and
key version; every other case fails with the one documented error."""

from __future__ import annotations

import os
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyclust_vault.domain.crypto import (
    DecryptionFailed,
    Keyring,
    Sealed,
    open_sealed,
    reseal,
    seal,
)

pytestmark = pytest.mark.unit

KEYS = Keyring({"v1": os.urandom(32), "v2": os.urandom(32)}, "v1")
DOCUMENTED = "CREDENTIAL_DECRYPTION_FAILED"


def test_round_trip_with_a_fresh_data_key_and_nonce_each_time():
    ws, cred = str(uuid.uuid4()), str(uuid.uuid4())
    first = seal(KEYS, b'{"secret": "x"}', workspace_id=ws, credential_id=cred)
    second = seal(KEYS, b'{"secret": "x"}', workspace_id=ws, credential_id=cred)
    assert first.key_version == "v1"
    assert b"secret" not in first.ciphertext
    assert first.nonce != second.nonce and first.wrapped_key != second.wrapped_key
    assert open_sealed(KEYS, first, workspace_id=ws, credential_id=cred) == b'{"secret": "x"}'


def test_reseal_moves_to_the_active_version_and_old_versions_keep_opening():
    ws, cred = str(uuid.uuid4()), str(uuid.uuid4())
    old = seal(KEYS, b"secret", workspace_id=ws, credential_id=cred)
    rotated = Keyring({"v1": KEYS._keys["v1"], "v2": KEYS._keys["v2"]}, "v2")
    assert open_sealed(rotated, old, workspace_id=ws, credential_id=cred) == b"secret"
    moved = reseal(rotated, old, workspace_id=ws, credential_id=cred)
    assert moved.key_version == "v2"
    assert moved.wrapped_key != old.wrapped_key
    assert open_sealed(rotated, moved, workspace_id=ws, credential_id=cred) == b"secret"
    without_v1 = Keyring({"v2": KEYS._keys["v2"]}, "v2")
    assert open_sealed(without_v1, moved, workspace_id=ws, credential_id=cred) == b"secret"
    with pytest.raises(DecryptionFailed) as info:
        open_sealed(without_v1, old, workspace_id=ws, credential_id=cred)
    assert (info.value.code, info.value.reason) == (DOCUMENTED, "key_version_unknown")


def test_a_keyring_refuses_keys_that_are_not_256_bits_or_an_absent_active_version():
    with pytest.raises(ValueError, match="256 bits"):
        Keyring({"v1": os.urandom(16)}, "v1")
    with pytest.raises(ValueError, match="active"):
        Keyring({"v1": os.urandom(32)}, "v2")


ids = st.uuids().map(str)


def _fails(sealed: Sealed, ws: str, cred: str) -> DecryptionFailed:
    with pytest.raises(DecryptionFailed) as info:
        open_sealed(KEYS, sealed, workspace_id=ws, credential_id=cred)
    assert info.value.code == DOCUMENTED
    assert info.value.status == 500
    assert "ciphertext" in info.value.message or "keyring" in info.value.message
    return info.value


@settings(max_examples=150, deadline=None)
@given(
    ws=ids,
    cred=ids,
    other_ws=ids,
    other_cred=ids,
    secret=st.binary(min_size=1, max_size=512),
    other_secret=st.binary(min_size=1, max_size=512),
    version=st.text(min_size=1, max_size=32).filter(lambda v: v != "v1"),
)
def test_moved_swapped_or_relabelled_ciphertexts_never_open(
    ws, cred, other_ws, other_cred, secret, other_secret, version
):
    """Every way a stored ciphertext can end up somewhere else fails, 100% of the time,
    with CREDENTIAL_DECRYPTION_FAILED."""
    mine = seal(KEYS, secret, workspace_id=ws, credential_id=cred)
    theirs = seal(KEYS, other_secret, workspace_id=other_ws, credential_id=other_cred)
    cases = []
    if other_ws != ws:
        # The same credential id in another workspace (a row copied across workspaces).
        cases.append((mine, other_ws, cred))
        cases.append((theirs, ws, other_cred))
    if other_cred != cred:
        # Another credential in the same workspace.
        cases.append((mine, ws, other_cred))
    if (other_ws, other_cred) != (ws, cred):
        # Whole ciphertexts swapped between two credentials.
        cases.append((theirs, ws, cred))
        cases.append((mine, other_ws, other_cred))
        # Only one layer swapped: their data key with my ciphertext, and the reverse.
        cases.append(
            (
                Sealed(mine.ciphertext, mine.nonce, theirs.wrapped_key, theirs.key_nonce, "v1"),
                ws,
                cred,
            )
        )
        cases.append(
            (
                Sealed(theirs.ciphertext, theirs.nonce, mine.wrapped_key, mine.key_nonce, "v1"),
                ws,
                cred,
            )
        )
    # The key version changed: to another version in the keyring, or to any other label.
    for label in ("v2", version):
        relabelled = Sealed(mine.ciphertext, mine.nonce, mine.wrapped_key, mine.key_nonce, label)
        cases.append((relabelled, ws, cred))
    for sealed, at_ws, at_cred in cases:
        _fails(sealed, at_ws, at_cred)
    assert open_sealed(KEYS, mine, workspace_id=ws, credential_id=cred) == secret


@settings(max_examples=50, deadline=None)
@given(
    position=st.integers(min_value=0),
    layer=st.sampled_from(["ciphertext", "wrapped", "nonce", "key_nonce"]),
)
def test_a_flipped_bit_anywhere_never_opens(position, layer):
    ws, cred = str(uuid.uuid4()), str(uuid.uuid4())
    sealed = seal(KEYS, b"a secret worth protecting", workspace_id=ws, credential_id=cred)
    parts = {
        "ciphertext": bytearray(sealed.ciphertext),
        "wrapped": bytearray(sealed.wrapped_key),
        "nonce": bytearray(sealed.nonce),
        "key_nonce": bytearray(sealed.key_nonce),
    }
    target = parts[layer]
    target[position % len(target)] ^= 1 << (position % 8)
    tampered = Sealed(
        bytes(parts["ciphertext"]),
        bytes(parts["nonce"]),
        bytes(parts["wrapped"]),
        bytes(parts["key_nonce"]),
        "v1",
    )
    assert _fails(tampered, ws, cred).reason == "mismatch"


def test_truncated_nonces_fail_the_same_way():
    ws, cred = str(uuid.uuid4()), str(uuid.uuid4())
    sealed = seal(KEYS, b"x", workspace_id=ws, credential_id=cred)
    short = Sealed(sealed.ciphertext, sealed.nonce[:8], sealed.wrapped_key, sealed.key_nonce, "v1")
    assert _fails(short, ws, cred).reason == "mismatch"
