"""Session-wide real servers for integration and e2e tests: a nats-server with JetStream
and an embedded PostgreSQL, each on free ports and temporary directories of their own."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from skyclust_tools.embedded import NatsServer, PostgresServer, free_port, scratch_dir


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    store = scratch_dir("sc-nats-")
    server = NatsServer(port=free_port(), store_dir=store).start()
    yield server
    server.stop()
    shutil.rmtree(store, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    data = scratch_dir("sc-pg-")
    server = PostgresServer(data_dir=data).start()
    yield server
    server.stop()
    shutil.rmtree(data, ignore_errors=True)
