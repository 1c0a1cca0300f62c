"""Running one service process: database (its schema checked at head), NATS, streams,
the outbox relay, periodic jobs, the health/metrics server and a clean shutdown on
SIGTERM. A service declares what is its own in a ServiceSpec; `run_service(spec)` does the rest."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

import uvicorn
import uvloop
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from .contracts import ContractRegistry, load_registry
from .db import UnitOfWork, create_engine, prune_inbox, prune_outbox, utcnow
from .logs import configure_logging
from .messaging import Bus, BusConfig, connect_nats
from .migrations import SchemaNotMigrated, require_head
from .observability import (
    build_version,
    health_app,
    mount_health,
    record_build_info,
    setup_tracing,
    trace_database,
)
from .outbox import OutboxRelay
from .settings import DatabaseServiceSettings, ServiceSettings

log = logging.getLogger(__name__)
S = TypeVar("S", bound=ServiceSettings)
D = TypeVar("D")


class PeriodicJob:
    """`fn` every `interval` seconds (counted from the end of one tick to the start of the
    next, so ticks never overlap), the first after `first_after` seconds. A failing tick
    is logged and the next one runs as planned: a job only ends when it is stopped.
    `on_stop` ends what the ticks started on their own (tasks of their own)."""

    def __init__(
        self,
        name: str,
        interval: float,
        fn: Callable[[], Awaitable[Any]],
        *,
        first_after: float = 0.0,
        on_stop: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"job {name}: the interval must be positive")
        self.name = name
        self.interval = interval
        self.fn = fn
        self.first_after = first_after
        self.on_stop = on_stop
        self.ticks = 0
        self.failures = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=f"job-{self.name}")

    async def _loop(self) -> None:
        if self.first_after > 0:
            await asyncio.sleep(self.first_after)
        while True:
            try:
                await self.fn()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.failures += 1
                log.exception("periodic job failed; it runs again", extra={"job": self.name})
            self.ticks += 1
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.on_stop is not None:
            await self.on_stop()


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
    # The service's own HTTP app (the gateway's), when it has one.
    app: FastAPI | None = None
    jobs: list[PeriodicJob] = field(default_factory=list)
    _jobs_started: bool = field(default=False, init=False)

    @property
    def db(self) -> Database:
        if self.database is None:
            raise RuntimeError(f"{self.service} has no database")
        return self.database

    def uow(self) -> UnitOfWork:
        db = self.db
        return UnitOfWork(db.sessions, db.metadata, self.registry, db.relay.wake)

    def every(
        self,
        name: str,
        interval: float,
        fn: Callable[[], Awaitable[Any]],
        *,
        first_after: float = 0.0,
        on_stop: Callable[[], Awaitable[None]] | None = None,
    ) -> PeriodicJob:
        return self.add_job(
            PeriodicJob(name, interval, fn, first_after=first_after, on_stop=on_stop)
        )

    def add_job(self, job: PeriodicJob) -> PeriodicJob:
        """The runtime owns the job: it starts with the others (at once if they already
        have) and stops before the bus and the database close."""
        self.jobs.append(job)
        if self._jobs_started:
            job.start()
        return job

    def start_jobs(self) -> None:
        self._jobs_started = True
        for job in self.jobs:
            job.start()

    async def stop_jobs(self) -> None:
        self._jobs_started = False
        for job in reversed(self.jobs):
            await job.stop()

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
        rpc_concurrency=settings.rpc_concurrency,
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
    *,
    migrate_command: str | None = None,
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
        trace_database(engine)
        await _wait_for_database(engine)
        try:
            await require_head(
                engine, metadata, migrations_dir, migrate_command or f"{service} migrate"
            )
        except BaseException:
            await engine.dispose()
            raise
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
    runtime = Runtime(service, settings, registry, bus, database)
    if database is not None:
        assert isinstance(settings, DatabaseServiceSettings)
        runtime.add_job(pruning_job(database, settings))
    return runtime


def pruning_job(database: Database, settings: DatabaseServiceSettings) -> PeriodicJob:
    """The job every service with a database runs: the runtime owns it."""
    return PeriodicJob(
        "prune-outbox-inbox",
        settings.prune_interval_seconds,
        Pruning(database, settings).run,
        first_after=min(60.0, settings.prune_interval_seconds),
    )


@dataclass
class Pruning:
    """Published outbox rows and inbox marks past their retention, deleted in batches."""

    database: Database
    settings: DatabaseServiceSettings

    async def run(self) -> tuple[int, int]:
        now = utcnow()
        engine, metadata = self.database.engine, self.database.metadata
        outbox = await prune_outbox(
            engine, metadata, now - timedelta(hours=self.settings.outbox_retention_hours)
        )
        inbox = await prune_inbox(
            engine, metadata, now - timedelta(hours=self.settings.inbox_retention_hours)
        )
        if outbox or inbox:
            log.info("pruned outbox and inbox", extra={"outbox": outbox, "inbox": inbox})
        return outbox, inbox


async def stop_runtime(runtime: Runtime) -> None:
    await runtime.stop_jobs()
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


@dataclass(frozen=True)
class ServiceSpec(Generic[S, D]):
    """What makes a process this service and no other. `wire` registers the handlers on
    the runtime and returns the service's dependencies; `jobs` declares its periodic jobs
    from them. `app` builds the service's own HTTP app, served at `address` with /healthz
    and /readyz but no /metrics; a small app serves /healthz, /readyz and /metrics on
    health_host:health_port in every service. `cli` takes the arguments that are not a
    shared operator command (skyclust_common.operator)."""

    name: str
    settings: Callable[[], S]
    wire: Callable[[Runtime, S], Awaitable[D]]
    metadata: MetaData | None = None
    migrations: Path | None = None
    app: Callable[[S], FastAPI] | None = None
    address: Callable[[S], tuple[str, int]] | None = None
    jobs: Callable[[D, S], Iterable[PeriodicJob]] | None = None
    cli: Callable[[Sequence[str]], int] | None = None


async def start_service(spec: ServiceSpec[S, D], runtime: Runtime, settings: S) -> D:
    """Wire the service onto a started runtime, then start its jobs."""
    deps = await spec.wire(runtime, settings)
    if spec.jobs is not None:
        for job in spec.jobs(deps, settings):
            runtime.add_job(job)
    runtime.start_jobs()
    return deps


async def serve(spec: ServiceSpec[S, D], settings: S, *, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or until `stop` is set, when given), then stop in order:
    the HTTP server, the jobs, the bus (its consumers), the outbox relay, the database."""
    configure_logging(spec.name, settings.log_level)
    setup_tracing(spec.name)
    record_build_info(spec.name, build_version(package_of(spec)))
    runtime = await start_runtime(
        spec.name,
        settings,
        spec.metadata,
        spec.migrations,
        migrate_command=f"python -m {package_of(spec)} migrate",
    )
    app = runtime.app = spec.app(settings) if spec.app is not None else None
    await start_service(spec, runtime, settings)
    # /metrics never shares the public API's port: it is for the scrape, on the
    # health/metrics address, which a Kubernetes Service need not expose.
    health_address = (settings.health_host, settings.health_port)
    apps: list[tuple[FastAPI, tuple[str, int]]] = []
    if app is not None and spec.address is not None:
        mount_health(app, runtime.readiness, metrics=False)
        apps.append((app, spec.address(settings)))
        apps.append((health_app(runtime.readiness), health_address))
    elif app is not None:
        mount_health(app, runtime.readiness)
        apps.append((app, health_address))
    else:
        apps.append((health_app(runtime.readiness), health_address))
    servers = [
        _Server(
            uvicorn.Config(
                served,
                host=host,
                port=port,
                log_config=None,
                access_log=False,
                lifespan="off",
                http="httptools",
            )
        )
        for served, (host, port) in apps
    ]
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    # Everything loaded and built by now (modules, contracts, validators, the app) lives as
    # long as the process: out of the collector's sight, a full collection under load no
    # longer walks it. Without this, the gateway's p99 at 32 connections was 4-6x bare
    # FastAPI's; with it, 0.8-3.7x in the same runs (README, measurements, a).
    gc.collect()
    gc.freeze()
    server_tasks = [asyncio.create_task(server.serve()) for server in servers]
    log.info("service started", extra={"service": spec.name})
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({*server_tasks, stopper}, return_when=asyncio.FIRST_COMPLETED)
    for server in servers:
        server.should_exit = True
    with contextlib.suppress(Exception):
        await asyncio.wait_for(asyncio.gather(*server_tasks), timeout=5)
    stopper.cancel()
    await stop_runtime(runtime)
    log.info("service stopped", extra={"service": spec.name})


def package_of(spec: ServiceSpec[Any, Any]) -> str:
    """The service's importable package, the one `python -m` runs."""
    return spec.wire.__module__.split(".", 1)[0]


def run_service(spec: ServiceSpec[Any, Any], argv: Sequence[str] | None = None) -> None:
    """A service's `main`: an operator command (shared, or the service's own) when given
    arguments, otherwise serve until SIGTERM, on uvloop."""
    from .operator import COMMANDS, operator_main

    args = list(sys.argv[1:] if argv is None else argv)
    if args and (args[0] in COMMANDS or args[0] in {"-h", "--help"} or spec.cli is None):
        sys.exit(operator_main(spec, args))
    if args and spec.cli is not None:
        sys.exit(spec.cli(args))
    settings = load_settings(spec)
    try:
        uvloop.run(serve(spec, settings))
    except SchemaNotMigrated as exc:
        print(f"{spec.name}: cannot start: {exc}", file=sys.stderr, flush=True)
        sys.exit(3)


def load_settings(spec: ServiceSpec[S, Any]) -> S:
    """The settings, or exit 2 with the variables that are missing or wrong (no trace)."""
    try:
        return spec.settings()
    except ValidationError as exc:
        print(f"{spec.name}: bad settings: {settings_problems(exc)}", file=sys.stderr)
        sys.exit(2)


def settings_problems(exc: ValidationError) -> str:
    return "; ".join(
        f"SKYCLUST_{'_'.join(map(str, err['loc'])).upper()}: {err['msg']}" for err in exc.errors()
    )
