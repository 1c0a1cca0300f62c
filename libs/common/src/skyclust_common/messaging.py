"""NATS and JetStream for one service: streams, validated publishing, request/reply,
and durable pull consumers that ack after the handler commits, retry with backoff and
dead-letter what cannot be processed — without ever stopping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import nats
import orjson
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from .contracts import ContractRegistry
from .envelope import CloudEvent, command_subject, event_subject, new_event
from .errors import (
    BadRequest,
    ContractViolation,
    NoResponders,
    PermanentFailure,
    ServiceTimeout,
    ServiceUnavailable,
    SkyclustError,
)
from .logs import redact_text
from .observability import (
    HANDLER_SECONDS,
    MESSAGES,
    RPC,
    current_traceparent,
    extract_trace,
    inject_trace,
    tracer,
)

log = logging.getLogger(__name__)

EVENTS_STREAM = "SKYCLUST_EVENTS"
COMMANDS_STREAM = "SKYCLUST_COMMANDS"
DLQ_STREAM = "SKYCLUST_DLQ"
MSG_ID = "Nats-Msg-Id"


def _encode(value: Any) -> bytes:
    # str() for what JSON has no type for, as json.dumps(default=str) did.
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)


def rpc_subject(service: str, name: str) -> str:
    return f"skyclust.rpc.{service}.{name}"


def dlq_subject(service: str) -> str:
    return f"skyclust.dlq.{service}"


@dataclass(frozen=True)
class BusConfig:
    service: str
    stream_replicas: int = 1
    duplicate_window_seconds: float = 120.0
    max_deliver: int = 5
    retry_backoff_seconds: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0)
    ack_wait_seconds: float = 30.0
    rpc_timeout_seconds: float = 10.0


@dataclass(frozen=True)
class Delivery:
    consumer: str
    subject: str
    num_delivered: int
    stream_sequence: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RpcContext:
    headers: dict[str, str]

    @property
    def request_id(self) -> str | None:
        return self.headers.get("X-Request-ID")

    @property
    def caller(self) -> str | None:
        return self.headers.get("Skyclust-Caller")


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


class Bus:
    def __init__(self, nc: NATS, registry: ContractRegistry, config: BusConfig) -> None:
        self.nc = nc
        self.js = nc.jetstream()
        self.registry = registry
        self.config = config
        self._consumers: list[Consumer] = []
        self._rpc_tasks: set[asyncio.Task[None]] = set()
        self._rpc_subscriptions: list[Any] = []

    @property
    def service(self) -> str:
        return self.config.service

    async def ensure_streams(self) -> None:
        window = self.config.duplicate_window_seconds
        replicas = self.config.stream_replicas
        wanted = [
            StreamConfig(
                name=EVENTS_STREAM,
                subjects=["skyclust.evt.>"],
                retention=RetentionPolicy.LIMITS,
                storage=StorageType.FILE,
                num_replicas=replicas,
                duplicate_window=window,
                max_age=30 * 24 * 3600,
            ),
            StreamConfig(
                name=COMMANDS_STREAM,
                subjects=["skyclust.cmd.>"],
                retention=RetentionPolicy.WORK_QUEUE,
                storage=StorageType.FILE,
                num_replicas=replicas,
                duplicate_window=window,
            ),
            StreamConfig(
                name=DLQ_STREAM,
                subjects=["skyclust.dlq.>"],
                retention=RetentionPolicy.LIMITS,
                storage=StorageType.FILE,
                num_replicas=replicas,
                duplicate_window=window,
                discard=DiscardPolicy.OLD,
                max_age=90 * 24 * 3600,
            ),
        ]
        for config in wanted:
            assert config.name is not None
            try:
                await self.js.stream_info(config.name)
            except NotFoundError:
                # Another service may create it at the same moment; then it exists.
                with contextlib.suppress(Exception):
                    await self.js.add_stream(config)
                await self.js.stream_info(config.name)

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
        self.registry.validate(name, data, part="request")
        all_headers = {"Skyclust-Caller": self.service, **(headers or {})}
        inject_trace(all_headers)
        try:
            msg = await self.nc.request(
                rpc_subject(service, name),
                _encode(data),
                timeout=timeout or self.config.rpc_timeout_seconds,
                headers=all_headers,
            )
        except NoRespondersError:
            raise NoResponders(
                f"the {service} service is not available",
                details={"service": service, "query": name},
            ) from None
        except (NatsTimeout, TimeoutError):
            raise ServiceTimeout(
                f"the {service} service did not answer in time",
                details={"service": service, "query": name},
            ) from None
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
        subject = rpc_subject(self.service, name)

        async def respond(msg: Msg) -> None:
            with tracer(__name__).start_as_current_span(
                f"rpc {name}", context=extract_trace(dict(msg.headers or {}))
            ):
                await answer(msg)

        async def answer(msg: Msg) -> None:
            outcome = "ok"
            try:
                data = orjson.loads(msg.data)
                self.registry.validate(name, data, part="request")
                result = await handler(data, RpcContext(dict(msg.headers or {})))
                try:
                    self.registry.validate(name, result, part="reply")
                except ContractViolation as exc:
                    # Our own reply breaking its contract is a bug here, not the caller's.
                    log.error("rpc reply breaks its contract", extra={"error": exc.message})
                    raise RuntimeError("reply breaks its contract") from exc
                body: dict[str, Any] = {"ok": True, "data": result}
            except SkyclustError as exc:
                outcome = exc.code
                body = {"ok": False, "error": exc.to_dict()}
            except orjson.JSONDecodeError:
                outcome = "BAD_REQUEST"
                body = {"ok": False, "error": BadRequest("not JSON").to_dict()}
            except Exception:
                outcome = "INTERNAL_ERROR"
                log.exception("rpc handler failed", extra={"query": name})
                body = {"ok": False, "error": SkyclustError("internal error").to_dict()}
            RPC.labels(self.service, name, outcome).inc()
            if msg.reply:
                with contextlib.suppress(Exception):
                    await msg.respond(_encode(body))

        async def on_message(msg: Msg) -> None:
            task = asyncio.create_task(respond(msg))
            self._rpc_tasks.add(task)
            task.add_done_callback(self._rpc_tasks.discard)

        self._rpc_subscriptions.append(
            await self.nc.subscribe(subject, queue=self.service, cb=on_message)
        )

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

    async def close(self) -> None:
        """Stop taking work, finish what is in flight, then disconnect: requests are
        not accepted and then dropped, and unacked messages are redelivered elsewhere."""
        for subscription in self._rpc_subscriptions:
            # drain, not unsubscribe: requests already delivered here are still answered.
            with contextlib.suppress(Exception):
                await subscription.drain()
        for consumer in self._consumers:
            await consumer.stop()
        if self._rpc_tasks:
            await asyncio.wait(self._rpc_tasks, timeout=5)
        with contextlib.suppress(Exception):
            await self.nc.drain()


class Consumer:
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
        self._concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.bus.config.ack_wait_seconds,
            # Redelivery is bounded by us (to dead-letter with a reason), not by the server.
            max_deliver=-1,
            max_ack_pending=1000,
            filter_subjects=self.subjects if len(self.subjects) > 1 else None,
            filter_subject=self.subjects[0] if len(self.subjects) == 1 else None,
        )
        await self.bus.js.add_consumer(self.stream, config)
        self._sub = await self.bus.js.pull_subscribe_bind(self.durable, self.stream)
        self._task = asyncio.create_task(self._run(), name=f"consumer:{self.durable}")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=10)
        # An open pull subscription would hold the connection's drain for its full timeout.
        with contextlib.suppress(Exception):
            await self._sub.unsubscribe()

    async def _take_free_slots(self) -> int:
        """Wait for one free handler slot, then take every other one free now."""
        await self._slots.acquire()
        taken = 1
        while taken < self._concurrency and not self._slots.locked():
            await self._slots.acquire()
            taken += 1
        return taken

    async def _run(self) -> None:
        while not self._stopping.is_set():
            # One fetch asks for as many messages as there are free slots: a burst is
            # pulled in a few round trips, not one per message.
            free = await self._take_free_slots()
            try:
                msgs = await self._sub.fetch(batch=free, timeout=1)
            except (NatsTimeout, TimeoutError):
                self._release(free)
                continue
            except asyncio.CancelledError:
                self._release(free)
                raise
            except Exception as exc:
                self._release(free)
                log.warning("fetch failed", extra={"consumer": self.durable, "error": str(exc)})
                await asyncio.sleep(1)
                continue
            self._release(free - len(msgs))
            for msg in msgs:
                task = asyncio.create_task(self._process(msg))
                self._inflight.add(task)
                task.add_done_callback(self._done)

    def _release(self, count: int) -> None:
        for _ in range(count):
            self._slots.release()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._slots.release()

    async def _keep_alive(self, msg: Msg) -> None:
        interval = max(self.bus.config.ack_wait_seconds / 3, 0.5)
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):
                await msg.in_progress()

    async def _process(self, msg: Msg) -> None:
        service = self.bus.service
        meta = msg.metadata
        delivery = Delivery(
            consumer=self.durable,
            subject=msg.subject,
            num_delivered=int(meta.num_delivered),
            stream_sequence=int(meta.sequence.stream),
            headers=dict(msg.headers or {}),
        )
        try:
            event = CloudEvent.from_json(msg.data)
            self.bus.registry.validate(event.name, event.data, version=event.version)
        except (ValidationError, ContractViolation, ValueError) as exc:
            reason = exc.message if isinstance(exc, SkyclustError) else _pydantic_reason(exc)
            await self._dead_letter(msg, delivery, f"invalid message: {reason}", "INVALID_MESSAGE")
            MESSAGES.labels(service, self.durable, "invalid").inc()
            return

        with tracer(__name__).start_as_current_span(
            f"handle {event.name}",
            context=extract_trace({"traceparent": event.traceparent} if event.traceparent else {}),
        ):
            await self._handle(msg, event, delivery)

    async def _handle(self, msg: Msg, event: CloudEvent, delivery: Delivery) -> None:
        service = self.bus.service
        keep_alive = asyncio.create_task(self._keep_alive(msg))
        started = time.perf_counter()
        try:
            await self.handler(event, delivery)
        except PermanentFailure as exc:
            await self._dead_letter(msg, delivery, exc.message, exc.code)
            MESSAGES.labels(service, self.durable, "dead_lettered").inc()
            return
        except Exception as exc:
            code = exc.code if isinstance(exc, SkyclustError) else type(exc).__name__
            if delivery.num_delivered >= self.bus.config.max_deliver:
                reason = f"failed {delivery.num_delivered} times; last error: {exc}"
                await self._dead_letter(msg, delivery, reason, code)
                MESSAGES.labels(service, self.durable, "dead_lettered").inc()
            else:
                backoff = self.bus.config.retry_backoff_seconds
                delay = backoff[min(delivery.num_delivered - 1, len(backoff) - 1)]
                log.warning(
                    "handler failed; will retry",
                    extra={
                        "consumer": self.durable,
                        "event_id": event.id,
                        "attempt": delivery.num_delivered,
                        "retry_in": delay,
                        "error": str(exc),
                    },
                )
                with contextlib.suppress(Exception):
                    await msg.nak(delay=delay)
                MESSAGES.labels(service, self.durable, "retried").inc()
            return
        finally:
            keep_alive.cancel()
            HANDLER_SECONDS.labels(service, self.durable).observe(time.perf_counter() - started)
        await msg.ack()
        MESSAGES.labels(service, self.durable, "ok").inc()

    async def _dead_letter(self, msg: Msg, delivery: Delivery, reason: str, code: str) -> None:
        log.error(
            "message dead-lettered",
            extra={"consumer": self.durable, "reason": reason, "code": code},
        )
        try:
            await self.bus.dead_letter(msg.data, delivery, reason, code)
        except Exception as exc:
            # Without a dead letter recorded the message must not be dropped: retry later.
            log.error("dead-lettering failed", extra={"error": str(exc)})
            with contextlib.suppress(Exception):
                await msg.nak(delay=5)
            return
        await msg.term()


def _pydantic_reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        if first.get("type") == "json_invalid":
            return "not a CloudEvent JSON document: invalid JSON"
        where = "/".join(str(p) for p in first.get("loc", ())) or "(root)"
        return f"envelope invalid at {where}: {first.get('type')}"
    return "not a CloudEvent JSON document"


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
