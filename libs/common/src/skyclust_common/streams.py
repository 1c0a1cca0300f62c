"""The platform's three JetStream streams and its subject names: events (kept 30 days,
for replay and new consumers), commands (a work queue: each taken once) and dead
letters (kept 90 days, oldest dropped first)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from .errors import ContractViolation

if TYPE_CHECKING:
    from .contracts import ContractRegistry

EVENTS_STREAM = "SKYCLUST_EVENTS"
COMMANDS_STREAM = "SKYCLUST_COMMANDS"
DLQ_STREAM = "SKYCLUST_DLQ"
MSG_ID = "Nats-Msg-Id"


def rpc_subject(service: str, name: str) -> str:
    return f"skyclust.rpc.{service}.{name}"


def request_subject(registry: ContractRegistry, service: str, name: str, caller: str) -> str:
    """Where `caller` asks `service` for `name`: with the caller's name in the subject when
    the contract says so (`x-skyclust-caller-subject`; only the caller's NATS user may
    publish there), else `rpc_subject`. `caller="*"` is what the answering side serves."""
    if registry.get(name).caller_subject:
        return f"skyclust.rpc.{service}.{caller}.{name}"
    return rpc_subject(service, name)


def subject_caller(registry: ContractRegistry, subject: str) -> str | None:
    """The caller a request's subject names, for a caller-subject contract; else None."""
    parts = subject.split(".")
    if len(parts) != 5:
        return None
    try:
        return parts[3] if registry.get(parts[4]).caller_subject else None
    except ContractViolation:
        return None


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
