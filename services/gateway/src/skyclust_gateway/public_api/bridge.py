"""The public NATS API on the gateway's connection: the command stream and its durable
consumer, the reads' subscription, and the events' republishing. Several gateway
replicas share the work: the consumers are durable and shared, the reads a queue group."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

from skyclust_common import public_api
from skyclust_common.envelope import CloudEvent
from skyclust_common.logs import request_id_var
from skyclust_common.messaging import Bus, new_request_id
from skyclust_common.streams import EVENTS_STREAM, MSG_ID

from ..middleware import AUDIT_SUBJECT
from ..routers.deps import Services
from .handling import KeyDirectory, PublicApi

log = logging.getLogger(__name__)
EVENTS_CONSUMER = public_api.EVENTS_CONSUMER
COMMANDS_FILTER = f"{public_api.PREFIX}.*.*.cmd.*"
READS_FILTER = f"{public_api.PREFIX}.*.*.rpc.*"
BATCH = 64


def stream_config(replicas: int, duplicate_window: float) -> StreamConfig:
    """Commands are a work queue: each carried out once, then gone. Within the duplicate
    window a second publish with the same Nats-Msg-Id is acknowledged and dropped."""
    return StreamConfig(
        name=public_api.STREAM,
        subjects=[COMMANDS_FILTER],
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        num_replicas=replicas,
        duplicate_window=duplicate_window,
        max_age=7 * 24 * 3600,
    )


class PublicBridge:
    def __init__(
        self,
        bus: Bus,
        services: Services,
        *,
        retry_seconds: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0),
        give_up_after_seconds: float = 3600.0,
        ack_wait_seconds: float = 30.0,
    ) -> None:
        self.bus = bus
        self.retry_seconds = retry_seconds
        self.give_up_after = timedelta(seconds=give_up_after_seconds)
        self.ack_wait_seconds = ack_wait_seconds
        self.api = PublicApi(services, KeyDirectory(services.call), self._audit)
        self._commands: Any = None
        self._events: Any = None
        self._reads: Any = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def _audit(self, event: CloudEvent) -> None:
        await self.bus.publish(event, subject=AUDIT_SUBJECT)

    async def start(self, replicas: int, duplicate_window: float) -> None:
        js = self.bus.js
        try:
            await js.stream_info(public_api.STREAM)
        except NotFoundError:
            # Another gateway may create it at the same moment; then it exists.
            with contextlib.suppress(Exception):
                await js.add_stream(stream_config(replicas, duplicate_window))
            await js.stream_info(public_api.STREAM)
        self._commands = await js.pull_subscribe(
            COMMANDS_FILTER,
            durable=public_api.CONSUMER,
            stream=public_api.STREAM,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=self.ack_wait_seconds,
                max_deliver=-1,
            ),
        )
        # One batch in flight across every gateway: the events go out in stream order.
        self._events = await js.pull_subscribe(
            "skyclust.evt.*.*",
            durable=EVENTS_CONSUMER,
            stream=EVENTS_STREAM,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.NEW,
                max_ack_pending=BATCH,
                ack_wait=self.ack_wait_seconds,
            ),
        )
        self._reads = await self.bus.nc.subscribe(
            READS_FILTER, queue=public_api.GATEWAY_QUEUE, cb=self._on_read
        )

    async def stop(self) -> None:
        if self._reads is not None:
            with contextlib.suppress(Exception):
                await self._reads.unsubscribe()
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await task

    # reads ------------------------------------------------------------------------

    async def _on_read(self, msg: Any) -> None:
        task = asyncio.create_task(self._read(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read(self, msg: Any) -> None:
        request_id_var.set(new_request_id())
        reply = await self.api.read(msg.subject, msg.data)
        if msg.reply:
            await msg.respond(orjson.dumps(reply))

    # commands ---------------------------------------------------------------------

    async def poll_commands(self) -> None:
        """One fetch of commands, carried out concurrently (the periodic job's tick)."""
        try:
            batch = await self._commands.fetch(BATCH, timeout=1)
        except (NatsTimeout, TimeoutError):
            return
        await asyncio.gather(*(self._command(msg) for msg in batch))

    async def _command(self, msg: Any) -> None:
        request_id_var.set(new_request_id())
        meta = msg.metadata
        delivered = int(meta.num_delivered)
        published = meta.timestamp
        final = published is not None and datetime.now(UTC) - published > self.give_up_after
        message_id = (msg.headers or {}).get(MSG_ID) or f"seq-{meta.sequence.stream}"
        try:
            outcome = await self.api.command(msg.subject, msg.data, message_id, final=final)
        except Exception:
            log.exception("public command failed; carried again later")
            await msg.nak(delay=self._delay(delivered))
            return
        if outcome.retry:
            await msg.nak(delay=self._delay(delivered))
            return
        address = public_api.parse(msg.subject)
        if address is not None:
            subject = public_api.outcome_subject(address.workspace_id, address.key_id, address.name)
            await self.bus.nc.publish(subject, orjson.dumps(outcome.body))
        await msg.ack()

    def _delay(self, delivered: int) -> float:
        steps = self.retry_seconds or (1.0,)
        return steps[min(delivered - 1, len(steps) - 1)]

    # events -----------------------------------------------------------------------

    async def poll_events(self) -> None:
        """One batch of the workspace events, republished in order on the public
        subjects (the audit's own subject is not a workspace's)."""
        try:
            batch = await self._events.fetch(BATCH, timeout=1)
        except (NatsTimeout, TimeoutError):
            return
        for msg in batch:
            parts = msg.subject.split(".")
            workspace, name = parts[2], parts[3]
            if workspace != "audit" and name not in public_api.PERSONAL_EVENTS:
                try:
                    subject = public_api.event_subject(workspace, name)
                except ValueError:
                    subject = None
                if subject is not None:
                    await self.bus.nc.publish(subject, msg.data)
            await msg.ack()
