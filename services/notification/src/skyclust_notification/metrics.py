"""Notification's metrics, served with every other metric on the health/metrics port:
`skyclust_notification_deliveries_total{channel,outcome}` counts every attempt to send
to a channel (`webhook` or `email`, a channel's test send included). Outcome
`succeeded`; `retrying` (it failed and another attempt is scheduled); `failed` (it
failed and none is left); `dropped` (the channel was removed or disabled meanwhile)."""

from __future__ import annotations

from prometheus_client import Counter

DELIVERIES = Counter(
    "skyclust_notification_deliveries_total",
    "Attempts to send a notification to a channel, by channel type and outcome",
    ["channel", "outcome"],
)
