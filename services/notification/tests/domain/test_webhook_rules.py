"""The pure rules of webhooks: URLs, the retry schedule with its jitter and Retry-After,
rotation overlap, and the settings that configure them."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from skyclust_notification.domain.errors import WebhookUrlInvalid
from skyclust_notification.domain.webhooks import (
    Channel,
    RetrySchedule,
    new_secret,
    parse_url,
    retry_after_seconds,
)
from skyclust_notification.settings import NotificationSettings

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_urls_name_their_port_and_refuse_anything_but_http():
    assert parse_url("https://hooks.example.com/x") == ("https", "hooks.example.com", 443)
    assert parse_url("http://[::1]:8080/x") == ("http", "::1", 8080)
    for bad in ("file:///etc/passwd", "https:///nohost", "http://h:99999/", "gopher://h/"):
        with pytest.raises(WebhookUrlInvalid):
            parse_url(bad)


def test_waits_follow_the_schedule_within_the_jitter_and_then_stop():
    schedule = RetrySchedule(waits=[10, 100], jitter=0.2)
    rng = random.Random(7)
    for _ in range(50):
        first = schedule.next_at(1, NOW, rng=rng)
        assert first is not None and 8 <= (first - NOW).total_seconds() <= 12
        second = schedule.next_at(2, NOW, rng=rng)
        assert second is not None and 80 <= (second - NOW).total_seconds() <= 120
    assert schedule.next_at(3, NOW) is None


def test_a_longer_retry_after_is_honoured_but_not_an_absurd_one():
    schedule = RetrySchedule(waits=[10], jitter=0.0, max_retry_after=3600)
    assert schedule.next_at(1, NOW, retry_after=600) == NOW + timedelta(seconds=600)
    assert schedule.next_at(1, NOW, retry_after=5) == NOW + timedelta(seconds=10)
    assert schedule.next_at(1, NOW, retry_after=86400) == NOW + timedelta(seconds=10)


def test_retry_after_is_seconds_or_an_http_date():
    assert retry_after_seconds("120", NOW) == 120.0
    assert retry_after_seconds("Tue, 01 Dec 2026 12:05:00 GMT", NOW) == 300.0
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None


def test_the_old_secret_signs_only_during_the_overlap():
    channel = Channel(
        id=uuid.uuid4(),
        workspace_id=uuid.uuid4(),
        name="ops",
        url="https://hooks.example.com/x",
        event_types=("*",),
        secret=new_secret(),
        created_at=NOW,
    )
    rotated = channel.rotate(new_secret(), NOW, timedelta(hours=1))
    assert rotated.signing_secrets(NOW) == [rotated.secret, channel.secret]
    assert rotated.signing_secrets(NOW + timedelta(hours=1)) == [rotated.secret]
    assert rotated.subscribes("ClusterReady")
    assert not rotated.disable("x").subscribes("ClusterReady")


@pytest.mark.parametrize(
    "field,value",
    [
        ("webhook_allowed_cidrs", "10.0.0.0/8,not-a-net"),
        ("webhook_retry_schedule", "5,-1"),
        ("webhook_retry_schedule", ""),
        ("webhook_secrets_key", "c2hvcnQ="),
        # Shorter than the connect and read timeouts (5 s + 15 s): claimed twice.
        ("webhook_lease_seconds", "20"),
    ],
)
def test_bad_webhook_settings_fail_at_start(field, value):
    with pytest.raises(ValidationError):
        NotificationSettings(
            database_url="postgresql+asyncpg://n:p@127.0.0.1:1/x", **{field: value}
        )
