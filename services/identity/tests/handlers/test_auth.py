"""Sign-up and password login on the in-memory unit of work."""

from __future__ import annotations

import pytest

from skyclust_identity.domain.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidEmail,
    TooManyLoginAttempts,
    WeakPassword,
)

from .fakes import PASSWORD, Identity

pytestmark = pytest.mark.unit


async def test_registering_makes_the_user_admin_of_a_new_workspace() -> None:
    identity = Identity()
    registered = await identity.register("Ada@Example.com", name="Ada", workspace_name="lab")
    assert registered["user"]["email"] == "ada@example.com"
    assert registered["workspace"]["name"] == "lab"
    assert registered["workspace"]["role"] == "admin"
    [event] = identity.events("UserRegistered")
    assert event["user_id"] == registered["user"]["id"]
    assert event["workspace_id"] == registered["workspace"]["id"]
    assert [e["owner_id"] for e in identity.events("WorkspaceCreated")] == [event["user_id"]]


async def test_an_email_registers_once_and_nothing_is_left_of_the_refusal() -> None:
    identity = Identity()
    await identity.register("ada@example.com")
    commits = identity.db.commits
    with pytest.raises(EmailTaken) as info:
        await identity.register("ADA@example.com")
    assert info.value.code == "EMAIL_TAKEN" and info.value.status == 409
    assert identity.db.commits == commits
    assert len(identity.db.tables["users"]) == 1


async def test_weak_passwords_and_bad_emails_are_refused_with_their_codes() -> None:
    identity = Identity()
    with pytest.raises(WeakPassword) as weak:
        await identity.register(password="onlyletterslong")
    assert weak.value.code == "WEAK_PASSWORD" and weak.value.status == 422
    with pytest.raises(InvalidEmail):
        await identity.register("not-an-email")
    assert identity.db.commits == 0


async def test_login_issues_a_session_with_tokens() -> None:
    identity = Identity()
    registered = await identity.register("ada@example.com")
    tokens = await identity.login("  Ada@Example.com ")
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == identity.settings.access_token_ttl_seconds
    [session] = identity.db.tables["sessions"].values()
    assert str(session.user_id) == registered["user"]["id"]
    assert str(session.workspace_id) == registered["workspace"]["id"]
    assert len(identity.db.tables["refresh_tokens"]) == 1


async def test_a_wrong_password_and_an_unknown_account_get_the_same_answer() -> None:
    identity = Identity()
    await identity.register("ada@example.com")
    with pytest.raises(InvalidCredentials) as wrong:
        await identity.login("ada@example.com", "wrong-one-1")
    with pytest.raises(InvalidCredentials) as unknown:
        await identity.login("nobody@example.com", PASSWORD)
    assert wrong.value.message == unknown.value.message == "invalid email or password"
    assert wrong.value.status == 401
    assert "sessions" not in identity.db.tables


async def test_failed_logins_are_throttled_per_account_and_a_success_clears_the_account() -> None:
    identity = Identity()
    await identity.register("ada@example.com")
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            await identity.login("ada@example.com", "wrong-one-1", client_address="10.0.0.1")
    await identity.login("ada@example.com", client_address="10.0.0.1")
    assert "account:ada@example.com" not in identity.db.tables["login_attempts"]
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            await identity.login("ada@example.com", "wrong-one-1", client_address="10.0.0.1")
    with pytest.raises(TooManyLoginAttempts) as info:
        await identity.login("ada@example.com", client_address="10.0.0.9")
    assert info.value.status == 429
    assert 0 < info.value.details["retry_after"] <= identity.settings.login_window_seconds + 1


async def test_one_client_trying_many_accounts_is_stopped() -> None:
    identity = Identity()
    for n in range(5):
        with pytest.raises(InvalidCredentials):
            await identity.login(f"nobody{n}@example.com", "wrong-one-1", client_address="10.0.0.2")
    with pytest.raises(TooManyLoginAttempts):
        await identity.login("someone@example.com", client_address="10.0.0.2")
    assert identity.db.tables["login_attempts"]["client:10.0.0.2"].failures == 5
