"""Identity's pure rules: the last admin, passwords, emails, and when an OIDC login's
state may complete it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from skyclust_identity.domain.errors import InvalidEmail, LastAdmin, WeakPassword
from skyclust_identity.domain.model import check_admins_remain, check_password, normalize_email
from skyclust_identity.domain.oidc import STATE_TTL, pkce_challenge, state_problem

pytestmark = pytest.mark.unit
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_a_workspace_keeps_one_admin() -> None:
    check_admins_remain(1)
    with pytest.raises(LastAdmin) as info:
        check_admins_remain(0)
    assert (info.value.code, info.value.status) == ("LAST_ADMIN", 409)


def test_a_weak_password_names_what_it_misses_but_not_itself() -> None:
    with pytest.raises(WeakPassword) as info:
        check_password("short", min_length=10)
    assert info.value.details["requirements"] == [
        "at least 10 characters",
        "letters and at least one digit or symbol",
    ]
    assert "short" not in info.value.message
    check_password("correct-horse-9", min_length=10)


def test_emails_are_normalized_or_refused() -> None:
    assert normalize_email("Ada@Example.COM") == "ada@example.com"
    with pytest.raises(InvalidEmail):
        normalize_email("ada@")


@pytest.mark.parametrize(
    ("provider", "used_at", "age", "problem"),
    [
        ("local", None, timedelta(minutes=1), None),
        ("other", None, timedelta(minutes=1), "provider_mismatch"),
        ("local", NOW, timedelta(minutes=1), "used"),
        ("local", None, STATE_TTL, "expired"),
        ("local", None, STATE_TTL - timedelta(seconds=1), None),
    ],
)
def test_a_login_state_completes_once_for_its_provider_within_ten_minutes(
    provider: str, used_at: datetime | None, age: timedelta, problem: str | None
) -> None:
    found = state_problem(
        provider=provider, used_at=used_at, created_at=NOW - age, expected="local", now=NOW
    )
    assert found == problem


def test_the_pkce_challenge_is_rfc_7636s_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
