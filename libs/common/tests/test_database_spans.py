"""Statements as spans against a real PostgreSQL: one run inside a handler's span is its
child in the same trace and holds the statement without the values bound to it; one run
outside any span (the outbox relay's polling) records nothing; and a process that
exports no traces leaves its engine uninstrumented."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from skyclust_common.contracts import load_registry
from skyclust_common.db import UnitOfWork, create_engine, service_metadata
from skyclust_common.dbadmin import provision_service
from skyclust_common.observability import trace_database

pytestmark = pytest.mark.integration

metadata = service_metadata("spantest")
SECRET = "hunter2-not-in-any-span"


@pytest.fixture(scope="module")
async def url(postgres: Any) -> str:
    return await provision_service(postgres.url, "spantest", "spantest-pw")


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url, pool_size=1)
    yield engine
    await engine.dispose()


@pytest.fixture
def exported() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


async def select_secret(engine: AsyncEngine) -> str:
    uow = UnitOfWork(async_sessionmaker(engine), metadata, load_registry())
    async with uow.read_only():
        result = await uow.session.execute(text("SELECT :value AS echoed"), {"value": SECRET})
        return str(result.scalar_one())


async def test_a_statement_in_a_handler_is_a_child_span_without_its_values(
    engine: AsyncEngine, exported: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = exported
    assert trace_database(engine, provider)
    with provider.get_tracer("test").start_as_current_span("handle ClusterRequested") as handler:
        assert await select_secret(engine) == SECRET
    spans = exporter.get_finished_spans()
    (statement,) = [span for span in spans if span.kind is SpanKind.CLIENT]
    assert statement.parent is not None
    assert statement.parent.span_id == handler.get_span_context().span_id
    assert statement.context.trace_id == handler.get_span_context().trace_id
    attributes = dict(statement.attributes or {})
    assert "SELECT $1" in str(attributes.get("db.statement")), attributes
    assert SECRET not in repr(attributes) and SECRET not in statement.name
    assert [span.name for span in spans][-1] == "handle ClusterRequested"


async def test_a_statement_outside_any_span_records_nothing(
    engine: AsyncEngine, exported: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = exported
    assert trace_database(engine, provider)
    assert await select_secret(engine) == SECRET
    assert exporter.get_finished_spans() == ()


async def test_without_an_exporter_the_engine_is_left_uninstrumented(engine: AsyncEngine) -> None:
    # setup_tracing gave no provider an exporter in this process.
    assert not trace_database(engine)
    assert not engine.sync_engine.dispatch.before_cursor_execute
