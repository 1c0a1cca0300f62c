"""Running one service process: database, migrations, NATS, streams, the outbox relay,
the health/metrics server and a clean shutdown on SIGTERM. Each service's bootstrap
wires its handlers onto the Runtime this builds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
import uvloop
from fastapi import FastAPI
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from .contracts import ContractRegistry, load_registry
from .db import UnitOfWork, create_engine
from .logs import configure_logging
from .messaging import Bus, BusConfig, connect_nats
from .migrations import upgrade_head
from .observability import health_app, mount_health, setup_tracing
from .outbox import OutboxRelay
from .settings import DatabaseServiceSettings, ServiceSettings

log = logging.getLogger(__name__)


@dataclass
class Database:
    engine: AsyncEngine
    metadata: MetaData
    relay: OutboxRelay
    sessions: async_sessionmaker[AsyncSession] = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)


@dataclass
class Runtime:
    service: str
    settings: ServiceSettings
    registry: ContractRegistry
    bus: Bus
    database: Database | None = None

    @property
    def db(self) -> Database:
        if self.database is None:
            raise RuntimeError(f"{self.service} has no database")
        return self.database

    def uow(self) -> UnitOfWork:
        db = self.db
        return UnitOfWork(db.sessions, db.metadata, self.registry, db.relay.wake)

    async def readiness(self) -> dict[str, bool]:
        checks = {"nats": self.bus.nc.is_connected}
        if self.database is not None:
            try:
                async with self.database.engine.connect() as conn:
                    await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=2)
                checks["database"] = True
            except Exception:
                checks["database"] = False
        return checks


def bus_config(service: str, settings: ServiceSettings) -> BusConfig:
    return BusConfig(
        service=service,
        stream_replicas=settings.stream_replicas,
        duplicate_window_seconds=settings.duplicate_window_seconds,
        max_deliver=settings.max_deliver,
        retry_backoff_seconds=tuple(settings.retry_backoff_seconds),
        ack_wait_seconds=settings.ack_wait_seconds,
        rpc_timeout_seconds=settings.rpc_timeout_seconds,
    )


async def _wait_for_database(engine: AsyncEngine) -> None:
    delay = 0.2
    while True:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return
        except Exception as exc:
            log.warning("database not reachable, retrying", extra={"error": str(exc)})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def start_runtime(
    service: str,
    settings: ServiceSettings,
    metadata: MetaData | None = None,
    migrations_dir: Path | None = None,
) -> Runtime:
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(settings.blocking_threads, thread_name_prefix="blocking")
    )
    registry = load_registry(settings.contracts_dir)
    engine = None
    if metadata is not None:
        assert isinstance(settings, DatabaseServiceSettings) and migrations_dir is not None
        database_url = settings.database_url.get_secret_value()
        engine = create_engine(database_url, pool_size=settings.database_pool_size)
        await _wait_for_database(engine)
        await asyncio.to_thread(upgrade_head, database_url, migrations_dir)
    nc = await connect_nats(
        settings.nats_url,
        name=service,
        user=settings.nats_user,
        password=settings.nats_password.get_secret_value() if settings.nats_password else None,
        inbox_prefix=settings.nats_inbox_prefix,
    )
    bus = Bus(nc, registry, bus_config(service, settings))
    await bus.ensure_streams()
    database = None
    if engine is not None and metadata is not None:
        relay = OutboxRelay(engine, metadata, bus, poll_seconds=settings.outbox_poll_seconds)
        relay.start()
        database = Database(engine, metadata, relay)
    return Runtime(service, settings, registry, bus, database)


async def stop_runtime(runtime: Runtime) -> None:
    await runtime.bus.close()
    if runtime.database is not None:
        await runtime.database.relay.stop()
        await runtime.database.engine.dispose()


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the runtime owns SIGTERM/SIGINT so it
    can stop consumers and the relay before the process exits."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_forever(
    service: str,
    settings: ServiceSettings,
    wire: Callable[[Runtime], Awaitable[None]],
    *,
    metadata: MetaData | None = None,
    migrations_dir: Path | None = None,
    app: FastAPI | None = None,
    port: int | None = None,
) -> None:
    """Run until SIGTERM/SIGINT. `app` is the service's own HTTP app (the gateway's);
    without one, a small app serves /healthz, /readyz and /metrics on health_port."""
    configure_logging(service, settings.log_level)
    setup_tracing(service)
    runtime = await start_runtime(service, settings, metadata, migrations_dir)
    await wire(runtime)
    if app is None:
        app = health_app(runtime.readiness)
    else:
        mount_health(app, runtime.readiness)
    server = _Server(
        uvicorn.Config(
            app,
            host=getattr(settings, "gateway_host", settings.health_host),
            port=port if port is not None else settings.health_port,
            log_config=None,
            access_log=False,
            lifespan="off",
            http="httptools",
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server_task = asyncio.create_task(server.serve())
    log.info("service started", extra={"service": service})
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({server_task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    with contextlib.suppress(Exception):
        await asyncio.wait_for(server_task, timeout=5)
    await stop_runtime(runtime)
    log.info("service stopped", extra={"service": service})


def run(
    service: str,
    settings: ServiceSettings,
    wire: Callable[[Runtime], Awaitable[None]],
    **kwargs: Any,
) -> None:
    """A service's `main`: serve until SIGTERM, on uvloop."""
    uvloop.run(serve_forever(service, settings, wire, **kwargs))
