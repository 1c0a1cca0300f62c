"""Async SQLAlchemy bound to one service's schema, the outbox and inbox tables every
service carries, and the unit of work: the one place a transaction is committed."""

from __future__ import annotations

import json
import time
import uuid
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, ClassVar, Self

import orjson
from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    delete,
    event,
    exc,
    func,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from .contracts import ContractRegistry
from .envelope import CloudEvent, command_subject, event_subject

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def service_metadata(schema: str) -> MetaData:
    """A service's MetaData, with the outbox and inbox tables already in it."""
    metadata = MetaData(schema=schema, naming_convention=NAMING_CONVENTION)
    Table(
        "outbox",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("subject", String(255), nullable=False),
        Column("payload", JSONB, nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True, index=True),
    )
    Table(
        "inbox",
        metadata,
        Column("consumer", String(128), primary_key=True),
        Column("message_id", String(128), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return metadata


def outbox_table(metadata: MetaData) -> Table:
    return metadata.tables[f"{metadata.schema}.outbox"]


def inbox_table(metadata: MetaData) -> Table:
    return metadata.tables[f"{metadata.schema}.inbox"]


# SQLSTATEs that say the database cannot serve now, not that the statement is wrong:
# connection exceptions (08), insufficient resources (53: too many connections, out of
# memory or disk), an administrator's or a crash's shutdown or a start still under way
# (57P01-03), and the conflicts a retry resolves (serialization failure, deadlock).
_UNAVAILABLE_CLASSES = ("08", "53")
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "40001", "40P01"})


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` (or what caused it) means the database is out of reach or out of
    room for now: the same work succeeds once it is back, so it is waited for, never
    counted against the work itself."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, exc.TimeoutError | ConnectionError):
            return True  # no connection free in the pool in time; refused or reset
        state = getattr(getattr(current, "orig", None), "sqlstate", None) or getattr(
            current, "sqlstate", None
        )
        if isinstance(state, str) and (
            state[:2] in _UNAVAILABLE_CLASSES or state in _UNAVAILABLE_STATES
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


# A connection idle for longer than this is pinged when it is checked out; one used more
# recently is trusted. Connections are also replaced after RECYCLE_SECONDS.
PING_IDLE_SECONDS = 10.0
RECYCLE_SECONDS = 1800


def create_engine(
    database_url: str,
    *,
    pool_size: int = 5,
    ping_idle_seconds: float = PING_IDLE_SECONDS,
    recycle_seconds: float = RECYCLE_SECONDS,
) -> AsyncEngine:
    """The service's engine. Instead of `pool_pre_ping` (three round trips, BEGIN, `;`
    and ROLLBACK, on every checkout), only a connection that sat idle for longer than
    `ping_idle_seconds` is pinged, and one found dead is replaced before the caller gets
    it. A connection that dies while in use is invalidated by SQLAlchemy on its error."""
    engine = create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=5,
        pool_recycle=recycle_seconds,
        json_deserializer=json_loads,
    )
    ping_when_idle(engine, ping_idle_seconds)
    return engine


def json_loads(text: str) -> Any:
    """JSON and JSONB columns decoded with orjson, several times faster than the standard
    library on every row read; a value orjson refuses (an integer beyond 64 bits, which
    PostgreSQL's numeric allows) falls back to the standard library."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _borrowed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since <= idle_seconds:
            return
        try:
            sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards this connection and checks out another (a fresh one).
            raise exc.DisconnectionError(f"idle connection is gone: {error}") from error
        finally:
            record.info.pop("idle_since", None)


_AUTOCOMMIT: weakref.WeakKeyDictionary[Any, AsyncEngine] = weakref.WeakKeyDictionary()


def _autocommit(bind: AsyncEngine) -> AsyncEngine:
    engine = _AUTOCOMMIT.get(bind.sync_engine)
    if engine is None:
        engine = bind.execution_options(isolation_level="AUTOCOMMIT")
        _AUTOCOMMIT[bind.sync_engine] = engine
    return engine


class UnitOfWork:
    """One transaction: the state change, the events it causes (written to the outbox)
    and the inbox mark of the message that caused it commit together or not at all.

    A service subclasses it to hand out its repositories over `self.session`."""

    # A unique key that a concurrent transaction took, met at a flush or at commit,
    # reaches the handler as this exception of the service's domain (None: as
    # SQLAlchemy's IntegrityError), so handlers need not know the database's errors.
    duplicate_key: ClassVar[type[Exception] | None] = None

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        metadata: MetaData,
        registry: ContractRegistry,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox_table(metadata)
        self._inbox = inbox_table(metadata)
        self._registry = registry
        self._on_commit = on_commit
        self._events: list[tuple[CloudEvent, str]] = []
        self._session: AsyncSession | None = None
        self._read_only = False

    def read_only(self) -> Self:
        """For a read with nothing to commit: each statement runs on its own, without the
        BEGIN and ROLLBACK round trips a transaction costs. A read that needs one
        consistent snapshot over several statements keeps the plain unit of work."""
        self._read_only = True
        return self

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._session

    async def __aenter__(self) -> Self:
        if self._read_only:
            bind = self._sessions.kw.get("bind")
            if not isinstance(bind, AsyncEngine):
                raise RuntimeError("a read-only unit of work needs sessions bound to an engine")
            self._session = self._sessions(bind=_autocommit(bind))
        else:
            self._session = self._sessions()
        self._events = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None
        if self.duplicate_key is not None and isinstance(exc, IntegrityError):
            raise self.duplicate_key() from None

    def emit(self, event: CloudEvent) -> None:
        """Queue an event for the outbox; it is validated now so a bad event fails
        the transaction instead of the relay."""
        self._registry.validate(event.name, event.data, version=event.version)
        self._events.append((event, event_subject(event)))

    def send(self, service: str, command: CloudEvent) -> None:
        """Queue a command for `service`; it is published, like events, after commit."""
        self._registry.validate(command.name, command.data, version=command.version)
        self._events.append((command, command_subject(service, command.name)))

    async def seen(self, consumer: str, message_id: str) -> bool:
        """Record `message_id` as processed by `consumer` in this transaction;
        True when it had been processed already (a redelivery or duplicate)."""
        stmt = (
            insert(self._inbox)
            .values(consumer=consumer, message_id=message_id)
            .on_conflict_do_nothing()
            .returning(self._inbox.c.message_id)
        )
        inserted = (await self.session.execute(stmt)).scalar_one_or_none()
        return inserted is None

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        try:
            await self._write_outbox()
            await self.session.commit()
        except IntegrityError:
            # The outbox insert flushes the handler's pending rows first: a taken unique
            # key may surface there as well as at the commit itself.
            if self.duplicate_key is None:
                raise
            raise self.duplicate_key() from None
        had_events = bool(self._events)
        self._events = []
        if had_events and self._on_commit is not None:
            self._on_commit()

    async def _write_outbox(self) -> None:
        if not self._events:
            return
        # Rows of one transaction would share now(): distinct, increasing times keep
        # the relay publishing them in the order they were emitted.
        base = utcnow()
        await self.session.execute(
            insert(self._outbox),
            [
                {
                    "id": uuid.UUID(event.id),
                    "created_at": base + timedelta(microseconds=position),
                    "subject": subject,
                    "payload": event.model_dump(mode="json", exclude_none=True),
                    "headers": {"traceparent": event.traceparent} if event.traceparent else {},
                }
                for position, (event, subject) in enumerate(self._events)
            ],
        )


PRUNE_BATCH = 1000


async def prune_outbox(
    engine: AsyncEngine, metadata: MetaData, published_before: datetime, *, batch: int = PRUNE_BATCH
) -> int:
    """Delete outbox rows published before `published_before`, `batch` rows per
    transaction (short locks, no long scan holding the relay up). Rows not yet
    published are never deleted, however old."""
    table = outbox_table(metadata)
    doomed = (
        select(table.c.id)
        .where(table.c.published_at.is_not(None), table.c.published_at < published_before)
        .limit(batch)
    )
    return await _delete_in_batches(engine, delete(table).where(table.c.id.in_(doomed)), batch)


async def prune_inbox(
    engine: AsyncEngine, metadata: MetaData, processed_before: datetime, *, batch: int = PRUNE_BATCH
) -> int:
    """Delete inbox marks recorded before `processed_before`, `batch` per transaction."""
    table = inbox_table(metadata)
    key = tuple_(table.c.consumer, table.c.message_id)
    doomed = (
        select(table.c.consumer, table.c.message_id)
        .where(table.c.processed_at < processed_before)
        .limit(batch)
    )
    return await _delete_in_batches(engine, delete(table).where(key.in_(doomed)), batch)


async def _delete_in_batches(engine: AsyncEngine, statement: Any, batch: int) -> int:
    total = 0
    while True:
        async with engine.begin() as conn:
            deleted = (await conn.execute(statement)).rowcount or 0
        total += deleted
        if deleted < batch:
            return total


async def pending_outbox_count(engine: AsyncEngine, metadata: MetaData) -> int:
    table = outbox_table(metadata)
    async with engine.connect() as conn:
        result = await conn.execute(
            select(func.count()).select_from(table).where(table.c.published_at.is_(None))
        )
        return int(result.scalar_one())


def json_safe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


__all__ = [
    "Text",
    "UnitOfWork",
    "create_engine",
    "inbox_table",
    "outbox_table",
    "service_metadata",
    "utcnow",
]


async def advisory_xact_lock(session: AsyncSession, key: str, *, wait: bool = True) -> bool:
    """Take the advisory lock named `key` for the rest of the session's transaction: it
    goes at commit or rollback, or with the connection, so a dead holder never keeps it.
    With `wait=False` it is only tried: False when another transaction holds it."""
    lock_id = func.hashtextextended(key, 0)
    if wait:
        await session.execute(select(func.pg_advisory_xact_lock(lock_id)))
        return True
    held = (await session.execute(select(func.pg_try_advisory_xact_lock(lock_id)))).scalar()
    return bool(held)


def session_of(uow: object) -> AsyncSession:
    """The SQL session of a real unit of work that a handler sees only through its
    service's port: for tests and tools that look at rows directly."""
    if not isinstance(uow, UnitOfWork):
        raise TypeError(f"{type(uow).__name__} is not a SQL unit of work")
    return uow.session
