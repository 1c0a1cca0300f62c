"""The emulated clouds of the ClusterProvider behaviour suite, one of each per module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from skyclust_tools.embedded import MotoServer, free_port, scratch_dir
from skyclust_tools.emulators import azure as azure_emulator
from skyclust_tools.emulators import gcp as gcp_emulator

from .cloud_harness import (
    Cloud,
    make_cloud,
)


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    # EKS version updates take a moment, so that upgrades are seen under way.
    server = MotoServer(port=free_port(), duration_seconds=0.2).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gcp() -> Iterator[Any]:
    with gcp_emulator.run_in_thread(durations={"default": 0}) as running:
        yield running


@pytest.fixture(scope="module")
def azure() -> Iterator[Any]:
    tls = scratch_dir("sc-aks-tls-")
    with azure_emulator.run_in_thread(durations={"default": 0}, tls_dir=tls) as running:
        yield running
    shutil.rmtree(tls, ignore_errors=True)


@pytest.fixture(params=["fake", "aws", "gcp", "azure"])
def cloud(request: pytest.FixtureRequest) -> Cloud:
    return make_cloud(request, request.param)


@pytest.fixture(params=["gcp", "azure"])
def emulated(request: pytest.FixtureRequest) -> Cloud:
    """The clouds that check credentials and can be made to fail (moto does neither)."""
    return make_cloud(request, request.param)
