"""The delivery rules, as FastStream middleware. FastStream runs the subscriptions (the
JetStream pull consumers, the request/reply queue groups); what SkyClust promises about a
message is here, in one place for every service:

- a JetStream message is validated against its contract on receipt; one that is not a
  CloudEvent or breaks its contract goes to the dead-letter stream with the reason;
- an event or command is handled only from its owner: its `source` must be a service the
  contract lets publish it, and its subject must name it (nats-server lets each service
  publish only its own events' subjects); any other goes to the dead-letter stream
  (`UNTRUSTED_SOURCE`), never to the handler;
- a handler that fails is redelivered after the backoff table's delay (a `nak` with a
  delay, never an immediate one), up to `max_deliver` attempts, then dead-lettered; a
  `PermanentFailure` is dead-lettered at once; nothing is ever dropped without a record;
- a handler that fails because its database or a service it asks is unavailable
  (`db.database_unavailable`, `ServiceUnavailable`) is not at fault: the message waits at
  the longest delay for as long as the outage lasts and is never dead-lettered for it, and
  a request answers `SERVICE_UNAVAILABLE` (retryable) instead of an internal error;
- a running handler sends in-progress acks so it is not redelivered while it works;
- a request is validated against its contract and always answered `{ok, data}` or
  `{ok: false, error}`, the error keeping its class, status, code and retryability.

Subscribers run with `AckPolicy.MANUAL`: FastStream's default policy on an exception
(`REJECT_ON_ERROR`, a `term`) would drop a failing message with no dead letter."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import orjson
from faststream import BaseMiddleware
from pydantic import ValidationError

from .contracts import EVERY_SERVICE, ContractRegistry
from .db import database_unavailable
from .envelope import CloudEvent
from .errors import (
    BadRequest,
    ContractViolation,
    PermanentFailure,
    ServiceUnavailable,
    SkyclustError,
    UntrustedSource,
)
from .observability import (
    HANDLER_SECONDS,
    MESSAGES,
    REDELIVERIES,
    RPC,
    RPC_SECONDS,
    extract_trace,
    tracer,
)
from .streams import subject_caller

if TYPE_CHECKING:
    from faststream._internal.context.repository import ContextRepo
    from faststream.message import StreamMessage
    from faststream.nats.message import NatsMessage

    from .messaging import Bus

log = logging.getLogger("skyclust_common.messaging")


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
    # The caller the request subject names, for a contract whose subject carries it
    # (only that caller's NATS user may publish there); None for any other request.
    # Never taken from a header: a header says what its sender wants.
    caller: str | None = None

    @property
    def request_id(self) -> str | None:
        return self.headers.get("X-Request-ID")


# What the middleware learnt about the message, for the handler it calls next: FastStream
# hands a handler only the decoded body, and calls it in the middleware's own task.
current_delivery: ContextVar[Delivery] = ContextVar("skyclust_delivery")
current_rpc: ContextVar[RpcContext] = ContextVar("skyclust_rpc")
# The correlation id of the event being handled (a saga's events carry their cluster's),
# for the log lines written meanwhile.
current_correlation: ContextVar[str | None] = ContextVar("skyclust_correlation", default=None)


def encode(value: Any) -> bytes:
    # str() for what JSON has no type for, as json.dumps(default=str) did.
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)


async def decode_event(msg: StreamMessage[Any]) -> CloudEvent:
    """The subscriber's decoder: the body as a CloudEvent (FastStream caches it)."""
    return CloudEvent.from_json(msg.body)


async def decode_json(msg: StreamMessage[Any]) -> Any:
    return orjson.loads(msg.body)


Middleware = Callable[..., BaseMiddleware]


def event_rules(bus: Bus) -> Middleware:
    """The middleware factory FastStream calls for every JetStream message."""

    def build(msg: Any, /, *, context: ContextRepo) -> BaseMiddleware:
        return _EventRules(msg, context=context, bus=bus)

    return build


def reply_rules(bus: Bus) -> Middleware:
    """The middleware factory FastStream calls for every request."""

    def build(msg: Any, /, *, context: ContextRepo) -> BaseMiddleware:
        return _ReplyRules(msg, context=context, bus=bus)

    return build


class _EventRules(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: ContextRepo, bus: Bus) -> None:
        super().__init__(msg, context=context)
        self.bus = bus

    async def consume_scope(
        self, call_next: Callable[[Any], Awaitable[Any]], message: StreamMessage[Any]
    ) -> Any:
        msg = cast("NatsMessage", message)
        raw = msg.raw_message
        meta = raw.metadata
        delivery = Delivery(
            consumer=meta.consumer or "",
            subject=raw.subject,
            num_delivered=int(meta.num_delivered),
            stream_sequence=int(meta.sequence.stream),
            headers=dict(raw.headers or {}),
        )
        if delivery.num_delivered > 1:
            REDELIVERIES.labels(self.bus.service, delivery.consumer).inc()
        try:
            event = cast(CloudEvent, await msg.decode())
            self.bus.registry.validate(event.name, event.data, version=event.version)
        except (ValidationError, ContractViolation, ValueError) as exc:
            reason = exc.message if isinstance(exc, SkyclustError) else _pydantic_reason(exc)
            await self._dead_letter(msg, delivery, f"invalid message: {reason}", "INVALID_MESSAGE")
            MESSAGES.labels(self.bus.service, delivery.consumer, "invalid").inc()
            return None
        refusal = untrusted_source(self.bus.registry, event, delivery.subject)
        if refusal is not None:
            await self._dead_letter(msg, delivery, refusal, UntrustedSource.code)
            MESSAGES.labels(self.bus.service, delivery.consumer, "untrusted").inc()
            return None
        with tracer(__name__).start_as_current_span(
            f"handle {event.name}",
            context=extract_trace({"traceparent": event.traceparent} if event.traceparent else {}),
        ):
            token = current_delivery.set(delivery)
            correlation = current_correlation.set(event.correlationid)
            try:
                await self._handle(call_next, msg, event, delivery)
            finally:
                current_correlation.reset(correlation)
                current_delivery.reset(token)
        return None

    async def _handle(
        self,
        call_next: Callable[[Any], Awaitable[Any]],
        msg: NatsMessage,
        event: CloudEvent,
        delivery: Delivery,
    ) -> None:
        service, consumer, config = self.bus.service, delivery.consumer, self.bus.config
        keep_alive = asyncio.create_task(self._keep_alive(msg))
        started = time.perf_counter()
        try:
            await call_next(msg)
        except PermanentFailure as exc:
            await self._dead_letter(msg, delivery, exc.message, exc.code)
            MESSAGES.labels(service, consumer, "dead_lettered").inc()
            return
        except Exception as exc:
            code = exc.code if isinstance(exc, SkyclustError) else type(exc).__name__
            backoff = config.retry_backoff_seconds
            if database_unavailable(exc) or isinstance(exc, ServiceUnavailable):
                # The service's database or a service it asks is down or full: the
                # message is not at fault, so it waits at the longest delay for as long as
                # that lasts and is never dead-lettered for it.
                await self._later(msg, event, delivery, max(backoff, default=1.0), exc, "waiting")
            elif delivery.num_delivered >= config.max_deliver:
                reason = f"failed {delivery.num_delivered} times; last error: {exc}"
                await self._dead_letter(msg, delivery, reason, code)
                MESSAGES.labels(service, consumer, "dead_lettered").inc()
            else:
                delay = backoff[min(delivery.num_delivered - 1, len(backoff) - 1)]
                await self._later(msg, event, delivery, delay, exc, "retried")
            return
        finally:
            keep_alive.cancel()
            HANDLER_SECONDS.labels(service, consumer).observe(time.perf_counter() - started)
        await msg.ack()
        MESSAGES.labels(service, consumer, "ok").inc()

    async def _later(
        self,
        msg: NatsMessage,
        event: CloudEvent,
        delivery: Delivery,
        delay: float,
        error: Exception,
        outcome: str,
    ) -> None:
        """Have the message delivered again after `delay` (a nak with a delay)."""
        why = {
            "waiting": "a dependency is unavailable; the message waits for it",
            "retried": "handler failed; will retry",
        }[outcome]
        log.warning(
            why,
            extra={
                "consumer": delivery.consumer,
                "event_id": event.id,
                "attempt": delivery.num_delivered,
                "retry_in": delay,
                "code": error.code if isinstance(error, SkyclustError) else type(error).__name__,
                "error": str(error),
            },
        )
        with contextlib.suppress(Exception):
            await msg.nack(delay=delay)
        MESSAGES.labels(self.bus.service, delivery.consumer, outcome).inc()

    async def _keep_alive(self, msg: NatsMessage) -> None:
        interval = max(self.bus.config.ack_wait_seconds / 3, 0.5)
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):
                await msg.in_progress()

    async def _dead_letter(
        self, msg: NatsMessage, delivery: Delivery, reason: str, code: str
    ) -> None:
        log.error(
            "message dead-lettered",
            extra={"consumer": delivery.consumer, "reason": reason, "code": code},
        )
        try:
            await self.bus.dead_letter(msg.body, delivery, reason, code)
        except Exception as exc:
            # Without a dead letter recorded the message must not be dropped: retry later.
            log.error("dead-lettering failed", extra={"error": str(exc)})
            with contextlib.suppress(Exception):
                await msg.nack(delay=5)
            return
        await msg.reject()


class _ReplyRules(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: ContextRepo, bus: Bus) -> None:
        super().__init__(msg, context=context)
        self.bus = bus

    async def consume_scope(
        self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        headers = dict(msg.headers or {})
        subject = msg.raw_message.subject
        name = subject.rsplit(".", 1)[-1]
        caller = subject_caller(self.bus.registry, subject)
        started = time.perf_counter()
        with tracer(__name__).start_as_current_span(f"rpc {name}", context=extract_trace(headers)):
            token = current_rpc.set(RpcContext(headers, caller))
            try:
                body, outcome = await self._answer(call_next, msg, name)
            finally:
                current_rpc.reset(token)
        RPC.labels(self.bus.service, name, outcome).inc()
        RPC_SECONDS.labels(self.bus.service, name).observe(time.perf_counter() - started)
        return encode(body)

    async def _answer(
        self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any], name: str
    ) -> tuple[dict[str, Any], str]:
        registry = self.bus.registry
        try:
            data = await msg.decode()
            registry.validate(name, data, part="request")
            result = await call_next(msg)
            try:
                registry.validate(name, result, part="reply")
            except ContractViolation as exc:
                # Our own reply breaking its contract is a bug here, not the caller's.
                log.error("rpc reply breaks its contract", extra={"error": exc.message})
                raise RuntimeError("reply breaks its contract") from exc
            return {"ok": True, "data": result}, "ok"
        except SkyclustError as exc:
            return {"ok": False, "error": exc.to_dict()}, exc.code
        except orjson.JSONDecodeError:
            return {"ok": False, "error": BadRequest("not JSON").to_dict()}, "BAD_REQUEST"
        except Exception as exc:
            if database_unavailable(exc):
                # Not the request's fault, and not a bug: the caller may try again.
                log.warning("rpc handler found its database unavailable", extra={"query": name})
                down = ServiceUnavailable(f"{self.bus.service} cannot reach its database")
                return {"ok": False, "error": down.to_dict()}, down.code
            log.exception("rpc handler failed", extra={"query": name})
            return {"ok": False, "error": SkyclustError("internal error").to_dict()}, (
                "INTERNAL_ERROR"
            )


SOURCE_PREFIX = "skyclust/"


def untrusted_source(registry: ContractRegistry, event: CloudEvent, subject: str) -> str | None:
    """Why `event`, delivered on `subject`, is not from a service that may publish it, or
    None when it is. Its subject must name it (the subject is what nats-server checks the
    publisher against), and its `source` must be `skyclust/<a publisher>` of its contract;
    a dead letter (owner `*`) comes on `skyclust.dlq.<service>` from that service."""
    contract = registry.get(event.name, event.version)
    if contract.kind == "rpc":
        return None
    last = subject.rsplit(".", 1)[-1]
    publisher = event.source.removeprefix(SOURCE_PREFIX)
    if not event.source.startswith(SOURCE_PREFIX):
        publisher = ""
    if EVERY_SERVICE in contract.publishers:
        if publisher == last:
            return None
        return f"{event.name} from {event.source!r} arrived on {subject}, not its own subject"
    if last != event.name:
        return f"{event.name} arrived on {subject}, a subject for another message"
    if publisher in contract.publishers:
        return None
    allowed = ", ".join(f"{SOURCE_PREFIX}{name}" for name in sorted(contract.publishers))
    return f"{event.name} is published only by {allowed}, not by {event.source!r}"


def _pydantic_reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        if first.get("type") == "json_invalid":
            return "not a CloudEvent JSON document: invalid JSON"
        where = "/".join(str(p) for p in first.get("loc", ())) or "(root)"
        return f"envelope invalid at {where}: {first.get('type')}"
    return "not a CloudEvent JSON document"
