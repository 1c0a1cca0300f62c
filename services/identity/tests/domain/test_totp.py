"""TOTP against pyotp, an independent RFC 6238 implementation, and the rules around
it: drift, replay, recovery codes, account links."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from skyclust_identity.domain import account_tokens, totp

pytestmark = pytest.mark.unit
T = 1_790_000_000.0  # a fixed instant, so no test depends on the clock


def test_codes_agree_with_an_independent_implementation() -> None:
    secret = totp.new_secret()
    theirs = pyotp.TOTP(secret)
    for offset in range(0, 600, 17):
        assert totp.code_at(secret, T + offset) == theirs.at(T + offset)


def test_a_pyotp_code_matches_its_step_and_one_either_side() -> None:
    secret = totp.new_secret()
    theirs = pyotp.TOTP(secret)
    step = int(T) // 30
    assert totp.matching_step(secret, theirs.at(T), at=T, last_step=None) == step
    assert totp.matching_step(secret, theirs.at(T - 30), at=T, last_step=None) == step - 1
    assert totp.matching_step(secret, theirs.at(T + 30), at=T, last_step=None) == step + 1
    assert totp.matching_step(secret, theirs.at(T - 90), at=T, last_step=None) is None


def test_a_code_is_refused_once_its_step_was_used() -> None:
    secret = totp.new_secret()
    code = pyotp.TOTP(secret).at(T)
    step = totp.matching_step(secret, code, at=T, last_step=None)
    assert step is not None
    assert totp.matching_step(secret, code, at=T + 5, last_step=step) is None
    # Nor an earlier code still in the drift window.
    earlier = pyotp.TOTP(secret).at(T - 30)
    assert totp.matching_step(secret, earlier, at=T, last_step=step) is None
    later = pyotp.TOTP(secret).at(T + 30)
    assert totp.matching_step(secret, later, at=T + 30, last_step=step) == step + 1


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_never_match(code: str) -> None:
    assert totp.matching_step(totp.new_secret(), code, at=T, last_step=None) is None


def test_the_provisioning_uri_is_read_back_by_pyotp() -> None:
    secret = totp.new_secret()
    uri = totp.provisioning_uri(secret, "ada@example.com")
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.secret == secret
    assert parsed.at(T) == totp.code_at(secret, T)
    query = parse_qs(urlparse(uri).query)
    assert query["issuer"] == ["SkyClust"]
    assert urlparse(uri).scheme == "otpauth"


def test_recovery_codes_are_distinct_and_hash_however_they_are_typed() -> None:
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == totp.RECOVERY_CODES
    first = codes[0]
    typed = " " + first.upper().replace("-", " ") + " "
    assert totp.recovery_code_hash(typed) == totp.recovery_code_hash(first)
    assert totp.recovery_code_hash(codes[1]) != totp.recovery_code_hash(first)


def test_an_account_link_carries_the_token_but_the_store_only_its_hash() -> None:
    token, stored = account_tokens.new_token()
    assert stored == account_tokens.token_hash(token) and token not in stored
    url = account_tokens.link(
        "https://app.example.com/", account_tokens.Purpose.VERIFY_EMAIL, token
    )
    assert url == f"https://app.example.com/verify-email?token={token}"
