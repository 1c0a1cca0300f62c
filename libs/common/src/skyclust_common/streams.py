"""The platform's three JetStream streams and its subject names: events (kept 30 days,
for replay and new consumers), commands (a work queue: each taken once) and dead
letters (kept 90 days, oldest dropped first)."""

from __future__ import annotations

import contextlib

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

EVENTS_STREAM = "SKYCLUST_EVENTS"
COMMANDS_STREAM = "SKYCLUST_COMMANDS"
DLQ_STREAM = "SKYCLUST_DLQ"
MSG_ID = "Nats-Msg-Id"


def rpc_subject(service: str, name: str) -> str:
    return f"skyclust.rpc.{service}.{name}"


def dlq_subject(service: str) -> str:
    return f"skyclust.dlq.{service}"


def stream_configs(replicas: int, duplicate_window: float) -> list[StreamConfig]:
    return [
        StreamConfig(
            name=EVENTS_STREAM,
            subjects=["skyclust.evt.>"],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=duplicate_window,
            max_age=30 * 24 * 3600,
        ),
        StreamConfig(
            name=COMMANDS_STREAM,
            subjects=["skyclust.cmd.>"],
            retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=duplicate_window,
        ),
        StreamConfig(
            name=DLQ_STREAM,
            subjects=["skyclust.dlq.>"],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=duplicate_window,
            discard=DiscardPolicy.OLD,
            max_age=90 * 24 * 3600,
        ),
    ]


async def ensure_streams(js: JetStreamContext, replicas: int, duplicate_window: float) -> None:
    """Each stream made if it is missing; one that exists is left as it is."""
    for config in stream_configs(replicas, duplicate_window):
        assert config.name is not None
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            # Another service may create it at the same moment; then it exists.
            with contextlib.suppress(Exception):
                await js.add_stream(config)
            await js.stream_info(config.name)
