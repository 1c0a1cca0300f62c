"""Webhook secrets sealed at rest: opened only with the key and on their own channel."""

from __future__ import annotations

import base64
import os
import uuid

import pytest
from cryptography.exceptions import InvalidTag

from skyclust_notification.adapters.secret_box import SecretBox, parse_key
from skyclust_notification.domain.webhooks import new_secret

pytestmark = pytest.mark.unit


def test_a_sealed_secret_opens_with_the_key_on_its_channel_only():
    box = SecretBox(os.urandom(32))
    secret, channel = new_secret(), uuid.uuid4()
    sealed = box.seal(secret, channel)
    assert secret not in sealed and sealed.startswith("v1:")
    assert box.open(sealed, channel) == secret
    with pytest.raises(InvalidTag):
        box.open(sealed, uuid.uuid4())
    with pytest.raises(InvalidTag):
        SecretBox(os.urandom(32)).open(sealed, channel)
    with pytest.raises(RuntimeError, match="SKYCLUST_WEBHOOK_SECRETS_KEY"):
        SecretBox(None).open(sealed, channel)


def test_without_a_key_secrets_are_kept_as_they_are():
    box, channel = SecretBox(None), uuid.uuid4()
    assert box.open(box.seal("whsec_abc", channel), channel) == "whsec_abc"


def test_a_key_must_be_32_bytes_of_base64():
    assert parse_key(base64.b64encode(b"k" * 32).decode()) == b"k" * 32
    assert parse_key("") is None
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(ValueError):
            parse_key(bad)
