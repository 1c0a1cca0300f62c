"""Webhook secrets sealed at rest under versioned keys: the active version seals, every
configured one opens, a secret only on its own channel; what is clear or under an older
key is known to need sealing again."""

from __future__ import annotations

import base64
import os
import uuid

import pytest
from cryptography.exceptions import InvalidTag
from pydantic import ValidationError

from skyclust_notification.adapters.secret_box import (
    SecretBox,
    SecretsKeyMissing,
    parse_key,
    version_of,
)
from skyclust_notification.domain.webhooks import new_secret
from skyclust_notification.settings import NotificationSettings

pytestmark = pytest.mark.unit

V1, V2 = os.urandom(32), os.urandom(32)


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def test_a_sealed_secret_opens_with_the_key_on_its_channel_only():
    box = SecretBox({"v1": V1}, "v1")
    secret, channel = new_secret(), uuid.uuid4()
    sealed = box.seal(secret, channel)
    assert secret not in sealed and sealed.startswith("v1:")
    assert box.open(sealed, channel) == secret
    with pytest.raises(InvalidTag):
        box.open(sealed, uuid.uuid4())
    with pytest.raises(InvalidTag):
        SecretBox({"v1": os.urandom(32)}, "v1").open(sealed, channel)
    with pytest.raises(SecretsKeyMissing, match="SKYCLUST_WEBHOOK_SECRETS_KEYS"):
        SecretBox().open(sealed, channel)


def test_the_newest_key_seals_and_an_older_one_still_opens():
    channel, secret = uuid.uuid4(), new_secret()
    old = SecretBox({"v1": V1}, "v1").seal(secret, channel)
    rotated = SecretBox({"v1": V1, "v2": V2}, "v2")
    assert rotated.open(old, channel) == secret
    assert rotated.needs_reseal(old)
    new = rotated.seal(secret, channel)
    assert version_of(new) == "v2" and not rotated.needs_reseal(new)
    # The old key alone cannot open what the new one sealed, and says which is missing.
    with pytest.raises(SecretsKeyMissing, match="'v2'"):
        SecretBox({"v1": V1}, "v1").open(new, channel)
    # Retired: the old version is no longer configured, so its secrets are left alone.
    assert not SecretBox({"v2": V2}, "v2").needs_reseal(old)


def test_a_clear_secret_opens_as_it_is_and_needs_sealing_once_a_key_is_set():
    channel = uuid.uuid4()
    clear = new_secret()
    assert version_of(clear) is None
    assert SecretBox().open(clear, channel) == clear
    assert SecretBox().seal(clear, channel) == clear
    assert not SecretBox().needs_reseal(clear)
    keyed = SecretBox({"v1": V1}, "v1")
    assert keyed.open(clear, channel) == clear and keyed.needs_reseal(clear)


def test_a_key_must_be_32_bytes_of_base64():
    assert parse_key(base64.b64encode(b"k" * 32).decode()) == b"k" * 32
    assert parse_key("") is None
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(ValueError):
            parse_key(bad)
    with pytest.raises(ValueError):
        SecretBox({"v1": V1}, "v2")


def settings(**values: object) -> NotificationSettings:
    return NotificationSettings(
        nats_url="nats://127.0.0.1:1",
        database_url="postgresql+asyncpg://n:p@127.0.0.1:1/x",
        **values,  # type: ignore[arg-type]
    )


def test_the_settings_take_versioned_keys_and_the_single_key_as_v1():
    both = settings(
        webhook_secrets_keys={"v1": b64(V1), "v2": b64(V2)}, webhook_secrets_active_key="v2"
    ).secret_box()
    assert (both.active, both.versions) == ("v2", ("v1", "v2"))
    single = settings(webhook_secrets_key=b64(V1)).secret_box()
    assert (single.active, single.versions) == ("v1", ("v1",))
    # What the single key sealed opens once it is v1 of the versioned keys.
    channel = uuid.uuid4()
    assert both.open(single.seal("whsec_x", channel), channel) == "whsec_x"
    assert settings().secret_box().active is None
    for bad in (
        {"webhook_secrets_keys": {"v1": b64(V1)}, "webhook_secrets_active_key": "v2"},
        {"webhook_secrets_keys": {"v1": "c2hvcnQ="}},
        {"webhook_secrets_keys": {"v1": b64(V2)}, "webhook_secrets_key": b64(V1)},
    ):
        with pytest.raises(ValidationError):
            settings(**bad)
