"""The box that seals TOTP secrets at rest: what it opens, and what it refuses."""

from __future__ import annotations

import os

import pytest

from skyclust_identity.domain.secret_box import SecretBox, SecretBoxError, is_sealed

pytestmark = pytest.mark.unit
KEYS = {"v1": os.urandom(32), "v2": os.urandom(32)}


def test_a_sealed_secret_opens_only_for_its_account_and_shows_nothing() -> None:
    box = SecretBox(KEYS, "v1")
    sealed = box.seal("JBSWY3DPEHPK3PXP", context="user-a")
    assert is_sealed(sealed) and sealed.startswith("v1:") and "JBSWY3DPEHPK3PXP" not in sealed
    assert box.open(sealed, context="user-a") == "JBSWY3DPEHPK3PXP"
    # Copied onto another account, it does not open.
    with pytest.raises(SecretBoxError):
        box.open(sealed, context="user-b")
    # Nor does a changed byte, nor a version the box has no key for.
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(SecretBoxError):
        box.open(tampered, context="user-a")
    with pytest.raises(SecretBoxError):
        SecretBox({"v2": KEYS["v2"]}, "v2").open(sealed, context="user-a")
    with pytest.raises(SecretBoxError):
        box.open("v1:not base64!", context="user-a")


def test_two_seals_differ_and_an_older_version_asks_to_be_sealed_again() -> None:
    old = SecretBox(KEYS, "v1")
    first, second = (old.seal("S", context="u") for _ in range(2))
    assert first != second
    rotated = SecretBox(KEYS, "v2")
    assert rotated.open(first, context="u") == "S"
    assert rotated.needs_reseal(first) and not rotated.needs_reseal(rotated.seal("S", context="u"))
    # A secret from before sealing (base32, no ':') is in the clear and asks to be sealed.
    assert not is_sealed("JBSWY3DPEHPK3PXP") and rotated.needs_reseal("JBSWY3DPEHPK3PXP")


def test_bad_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        SecretBox({"v1": os.urandom(16)}, "v1")
    with pytest.raises(ValueError):
        SecretBox(KEYS, "v3")
