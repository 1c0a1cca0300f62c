"""What the network service declares to the shared runtime: its schema, and discovery as
a periodic job that waits one interval before its first pass, or no job when it is off."""

from __future__ import annotations

from typing import Any, cast

import pytest

from skyclust_network.adapters.db import metadata
from skyclust_network.bootstrap import MIGRATIONS, SPEC
from skyclust_network.settings import NetworkSettings

pytestmark = pytest.mark.unit


def settings(**values: Any) -> NetworkSettings:
    return NetworkSettings(
        nats_url="nats://127.0.0.1:4222", database_url="postgresql://u:p@127.0.0.1/db", **values
    )


def test_the_spec_carries_the_service_schema_and_migrations():
    assert (SPEC.name, SPEC.metadata, SPEC.migrations) == ("network", metadata, MIGRATIONS)
    assert (MIGRATIONS / "env.py").is_file()
    assert SPEC.app is None and SPEC.cli is None


def test_discovery_is_a_job_whose_first_pass_waits_an_interval():
    assert SPEC.jobs is not None
    deps = cast(Any, object())
    (job,) = SPEC.jobs(deps, settings(discovery_interval_seconds=120))
    assert (job.name, job.interval, job.first_after) == ("network-discovery", 120, 120)
    assert not job.running, "the runtime starts it, after wiring"
    assert list(SPEC.jobs(deps, settings(discovery_interval_seconds=0))) == []
