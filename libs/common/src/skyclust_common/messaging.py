"""NATS and JetStream for one service: streams, validated publishing, request/reply,
and durable pull consumers that ack after the handler commits, retry with backoff and
dead-letter what cannot be processed — without ever stopping.

The subscriptions run on FastStream (`NatsBroker` on this service's own connection):
JetStream pull subscribers with manual acks and a bounded number of handlers at once,
and request/reply subscribers in the service's queue group. The rules every message
follows are FastStream middleware, in `delivery`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import nats
import orjson
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsRouter, PullSub
from faststream.specification import AsyncAPI
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy

from .contracts import ContractRegistry
from .delivery import (
    Delivery,
    RpcContext,
    current_delivery,
    current_rpc,
    decode_event,
    decode_json,
    encode,
    event_rules,
    reply_rules,
)
from .envelope import CloudEvent, command_subject, event_subject, new_event
from .errors import NoResponders, ServiceTimeout, ServiceUnavailable, SkyclustError
from .logs import redact_text
from .observability import RPC_CLIENT_SECONDS, current_traceparent, inject_trace
from .streams import (
    COMMANDS_STREAM,
    DLQ_STREAM,
    EVENTS_STREAM,
    MSG_ID,
    dlq_subject,
    ensure_streams,
    request_subject,
    rpc_subject,
)

log = logging.getLogger(__name__)

# How long a stop waits for the answers and handlers on their way.
GRACEFUL_SECONDS = 10.0

__all__ = [
    "COMMANDS_STREAM",
    "DLQ_STREAM",
    "EVENTS_STREAM",
    "MSG_ID",
    "Bus",
    "BusConfig",
    "Consumer",
    "Delivery",
    "RpcContext",
    "command_subject",
    "connect_nats",
    "dlq_subject",
    "rpc_subject",
    "serve_handlers",
]


@dataclass(frozen=True)
class BusConfig:
    service: str
    stream_replicas: int = 1
    duplicate_window_seconds: float = 120.0
    max_deliver: int = 5
    retry_backoff_seconds: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0)
    ack_wait_seconds: float = 30.0
    rpc_timeout_seconds: float = 10.0
    # Requests answered at once by one process; more wait in the subscription's queue.
    rpc_concurrency: int = 64


EventHandler = Callable[[CloudEvent, Delivery], Awaitable[None]]
RpcHandler = Callable[[dict[str, Any], RpcContext], Awaitable[dict[str, Any]]]


async def connect_nats(
    url: str,
    *,
    name: str,
    user: str | None = None,
    password: str | None = None,
    attempts: int | None = None,
    inbox_prefix: str | None = None,
) -> NATS:
    """Connect, retrying with backoff until it works (forever unless `attempts`);
    once connected the client reconnects forever by itself. `inbox_prefix` gives the
    connection reply subjects only its own NATS user may subscribe to."""
    delay = 0.2
    attempt = 0
    while True:
        attempt += 1
        try:
            return await nats.connect(
                url,
                name=name,
                user=user,
                password=password,
                max_reconnect_attempts=-1,
                reconnect_time_wait=1,
                connect_timeout=2,
                allow_reconnect=True,
                **({"inbox_prefix": inbox_prefix} if inbox_prefix else {}),
            )
        except Exception as exc:
            if attempts is not None and attempt >= attempts:
                raise ServiceUnavailable(f"cannot reach NATS at {url}: {exc}") from exc
            log.warning("NATS not reachable, retrying", extra={"error": str(exc)})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


class _Broker(NatsBroker):
    """FastStream on the connection `connect_nats` made (its user, inbox prefix and
    reconnect policy), not on one of its own: one connection per process, which the
    bus drains when it closes. Without a connection it only declares subscribers, for
    the AsyncAPI document."""

    def __init__(self, nc: NATS | None, service: str, graceful_timeout: float) -> None:
        super().__init__(
            name=service,
            apply_types=False,
            # Its per-message "Received"/"Processed" lines: debug, not a line per message.
            log_level=logging.DEBUG,
            graceful_timeout=graceful_timeout,
            ack_policy=AckPolicy.MANUAL,
            description=f"The {service} service's subscriptions",
        )
        self._shared = nc

    async def _connect(self) -> NATS:
        if self._shared is None:
            raise RuntimeError("a bus without a NATS connection only declares subscribers")
        self.config.connect(self._shared)
        return self._shared


class Bus:
    def __init__(self, nc: NATS | None, registry: ContractRegistry, config: BusConfig) -> None:
        self._nc = nc
        self._js = nc.jetstream() if nc is not None else None
        self.registry = registry
        self.config = config
        self.broker = _Broker(nc, config.service, graceful_timeout=GRACEFUL_SECONDS)
        self._events = NatsRouter(middlewares=[event_rules(self)])
        self._replies = NatsRouter(middlewares=[reply_rules(self)])
        self.broker.include_routers(self._events, self._replies)
        self._consumers: list[Consumer] = []
        self._responders: list[Any] = []
        self._started = False

    @classmethod
    def declaring(cls, registry: ContractRegistry, config: BusConfig) -> Bus:
        """A bus that only records what a service subscribes to (no connection): the
        service's registrations run on it to build its AsyncAPI document."""
        return cls(None, registry, config)

    @property
    def nc(self) -> NATS:
        if self._nc is None:
            raise RuntimeError("this bus only declares subscribers")
        return self._nc

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise RuntimeError("this bus only declares subscribers")
        return self._js

    @property
    def inbox_prefix(self) -> bytes:
        """Where this connection's replies come (`_INBOX.` unless a private prefix)."""
        if self._nc is None:
            return b"_INBOX."
        return self._nc.new_inbox().rsplit(".", 1)[0].encode() + b"."

    @property
    def declaring_only(self) -> bool:
        return self._nc is None

    @property
    def service(self) -> str:
        return self.config.service

    def asyncapi(self, *, version: str = "0.1.0") -> AsyncAPI:
        return AsyncAPI(
            self.broker,
            title=f"skyclust {self.service}",
            version=version,
            description=f"What the {self.service} service consumes and answers on NATS.",
        )

    async def _start_broker(self) -> None:
        if not self._started:
            await self.broker.connect()
            self._started = True

    async def ensure_streams(self) -> None:
        await ensure_streams(
            self.js, self.config.stream_replicas, self.config.duplicate_window_seconds
        )

    async def publish_raw(
        self, subject: str, payload: bytes, headers: dict[str, str] | None = None
    ) -> int:
        ack = await self.js.publish(subject, payload, headers=headers or None, timeout=5)
        return int(ack.seq)

    async def publish(self, event: CloudEvent, subject: str | None = None) -> int:
        """Publish directly (no outbox): for messages with no state change behind them."""
        self.registry.validate(event.name, event.data, version=event.version)
        headers = {MSG_ID: event.id}
        if event.traceparent:
            headers["traceparent"] = event.traceparent
        return await self.publish_raw(subject or event_subject(event), event.to_json(), headers)

    async def send_command(self, service: str, event: CloudEvent) -> int:
        return await self.publish(event, command_subject(service, event.name))

    # request/reply ---------------------------------------------------------------

    async def request(
        self,
        service: str,
        name: str,
        data: dict[str, Any],
        *,
        timeout: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Ask `service` and wait for its answer, raised again as the error it sent.
        The call goes out on the connection itself: a reply inbox per request under the
        connection's own prefix, and NATS's no-responders status kept apart from a
        timeout."""
        self.registry.validate(name, data, part="request")
        all_headers = dict(headers or {})  # the caller is the subject's, never a header's
        inject_trace(all_headers)
        started, outcome = time.perf_counter(), "answered"
        try:
            msg = await self.nc.request(
                request_subject(self.registry, service, name, self.service),
                encode(data),
                timeout=timeout or self.config.rpc_timeout_seconds,
                headers=all_headers,
            )
        except NoRespondersError:
            outcome = "no_responders"
            raise NoResponders(
                f"the {service} service is not available",
                details={"service": service, "query": name},
            ) from None
        except (NatsTimeout, TimeoutError):
            outcome = "timeout"
            raise ServiceTimeout(
                f"the {service} service did not answer in time",
                details={"service": service, "query": name},
            ) from None
        finally:
            RPC_CLIENT_SECONDS.labels(self.service, service, name, outcome).observe(
                time.perf_counter() - started
            )
        try:
            body = orjson.loads(msg.data)
        except orjson.JSONDecodeError:
            raise ServiceUnavailable(
                f"the {service} service answered something that is not JSON",
                details={"service": service, "query": name},
            ) from None
        if not body.get("ok"):
            # As the class the other side raised, with its status, code and retryability.
            raise SkyclustError.from_dict(body.get("error") or {})
        result: dict[str, Any] = body["data"]
        return result

    async def serve(self, name: str, handler: RpcHandler) -> None:
        """Answer `name` in this service's queue group; the reply rules (validation, the
        `{ok, error}` reply) are the middleware around `handler`."""
        subscriber = self._replies.subscriber(
            request_subject(self.registry, self.service, name, "*"),
            queue=self.service,
            max_workers=self.config.rpc_concurrency,
            title=f"{self.service}.{name}",
            description=_first_line(handler.__doc__) or f"the {name} request",
        )

        async def answer(data: dict[str, Any]) -> dict[str, Any]:
            return await handler(data, current_rpc.get())

        subscriber(answer, decoder=decode_json)
        self._responders.append(subscriber)
        if not self.declaring_only:
            await self._start_broker()
            await subscriber.start()

    # consumers -------------------------------------------------------------------

    async def consume(
        self,
        durable: str,
        subjects: list[str],
        handler: EventHandler,
        *,
        stream: str = EVENTS_STREAM,
        concurrency: int = 4,
    ) -> Consumer:
        consumer = Consumer(self, durable, stream, subjects, handler, concurrency=concurrency)
        if not self.declaring_only:
            await consumer.start()
        self._consumers.append(consumer)
        return consumer

    async def dead_letter(self, raw: bytes, delivery: Delivery, reason: str, code: str) -> None:
        try:
            original: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            original = raw[:65536].decode("utf-8", "replace")
        event = new_event(
            "MessageDeadLettered",
            {
                "service": self.service,
                "consumer": delivery.consumer,
                "subject": delivery.subject,
                "stream_sequence": delivery.stream_sequence,
                "num_delivered": delivery.num_delivered,
                "error_code": code,
                "reason": redact_text(reason)[:2000],
                "original": original,
            },
            source=self.service,
            traceparent=current_traceparent(),
        )
        self.registry.validate(event.name, event.data)
        headers = {MSG_ID: f"dlq:{delivery.consumer}:{delivery.stream_sequence}"}
        await self.publish_raw(dlq_subject(self.service), event.to_json(), headers)

    async def stop_answering(self) -> None:
        """Take no new requests and answer the ones delivered here: drained, not
        unsubscribed, so the server sends new ones to the other instances at once."""
        for responder in self._responders:
            if responder.subscription is not None:
                with contextlib.suppress(Exception):
                    await responder.subscription.drain()
                responder.subscription = None  # drained: FastStream has nothing to end
        deadline = asyncio.get_running_loop().time() + GRACEFUL_SECONDS
        for responder in self._responders:
            await _settled(responder, deadline)
        for responder in self._responders:
            with contextlib.suppress(Exception):
                await responder.stop()

    async def close(self) -> None:
        """Stop taking work, finish what is in flight, then disconnect: requests are
        not accepted and then dropped, and unacked messages are redelivered elsewhere."""
        if self._nc is None:
            return
        await self.stop_answering()
        for consumer in self._consumers:
            await consumer.stop()
        self.broker.config.disconnect()
        with contextlib.suppress(Exception):
            await self._nc.drain()


async def _settled(responder: Any, deadline: float) -> None:
    """Until every request handed to this drained responder has been answered. FastStream
    drops what a stopped subscriber has queued and not begun (`consume` returns at once
    once it is not running), so its stop must wait for that queue: no worker slot taken,
    no task waiting for one, nothing buffered, seen twice in a row (a task just handed a
    request takes its slot within one turn of the loop)."""
    loop = asyncio.get_running_loop()
    calm = 0
    while calm < 2 and loop.time() < deadline:
        limiter = responder.limiter
        busy = (
            limiter.value < responder.max_workers
            or limiter.statistics().tasks_waiting
            or responder.receive_stream.statistics().current_buffer_used
        )
        calm = 0 if busy else calm + 1
        await asyncio.sleep(0.01)


class Consumer:
    """One durable JetStream pull consumer, run by a FastStream pull subscriber: each
    fetch asks for up to `concurrency` messages, and at most `concurrency` handlers run
    at once."""

    def __init__(
        self,
        bus: Bus,
        durable: str,
        stream: str,
        subjects: list[str],
        handler: EventHandler,
        *,
        concurrency: int,
    ) -> None:
        self.bus = bus
        self.durable = durable
        self.stream = stream
        self.subjects = subjects
        self.handler = handler
        self.concurrency = concurrency
        self.config = ConsumerConfig(
            durable_name=durable,
            ack_policy=JsAckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=bus.config.ack_wait_seconds,
            # Redelivery is bounded by the delivery rules (to dead-letter with a reason),
            # not by the server.
            max_deliver=-1,
            max_ack_pending=1000,
            filter_subjects=subjects if len(subjects) > 1 else None,
            filter_subject=subjects[0] if len(subjects) == 1 else None,
        )
        self.subscriber = bus._events.subscriber(
            subjects[0] if len(subjects) == 1 else "",
            stream=JStream(stream, declare=False),
            durable=durable,
            config=self.config,
            pull_sub=PullSub(batch_size=concurrency, timeout=1.0),
            max_workers=concurrency,
            ack_policy=AckPolicy.MANUAL,
            # FastStream's default is the shared `_INBOX.`, which a NATS user kept to
            # private inboxes may not subscribe to: fetch replies come under the
            # connection's own prefix, as they do for nats-py.
            inbox_prefix=bus.inbox_prefix,
            title=durable,
            description=_first_line(handler.__doc__)
            or f"The durable pull consumer {durable} on {stream}: up to {concurrency}"
            " handlers at once, manual acks, the delivery rules.",
        )

        async def handle(event: CloudEvent) -> None:
            await handler(event, current_delivery.get())

        self.subscriber(handle, decoder=decode_event)

    async def start(self) -> None:
        # Created or updated here, before FastStream binds to it: a consumer whose
        # subjects changed since the last start gets the new ones.
        await self.bus.js.add_consumer(self.stream, self.config)
        await self.bus._start_broker()
        await self.subscriber.start()

    async def stop(self) -> None:
        """No new fetches, the handlers running now end (for up to 10 s), then the
        subscription goes; what was fetched and not handled is redelivered."""
        with contextlib.suppress(Exception):
            await self.subscriber.stop()


def _first_line(doc: str | None) -> str | None:
    return doc.strip().splitlines()[0] if doc and doc.strip() else None


def new_request_id() -> str:
    return uuid.uuid4().hex


async def serve_handlers(
    bus: Bus,
    handlers: dict[str, Callable[[Any, dict[str, Any], RpcContext], Awaitable[dict[str, Any]]]],
    deps: Any,
) -> None:
    """Serve each `name -> handler(deps, data, ctx)` as a request/reply endpoint."""
    for name, handler in handlers.items():

        async def call(
            data: dict[str, Any],
            ctx: RpcContext,
            handler: Callable[..., Awaitable[dict[str, Any]]] = handler,
        ) -> dict[str, Any]:
            return await handler(deps, data, ctx)

        await bus.serve(name, call)
