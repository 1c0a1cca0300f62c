"""One behaviour suite for every ClusterProvider: the in-memory fake, EKS on moto, GKE
on the GCP emulator and AKS on the Azure emulator, each through its real SDK."""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from skyclust_common.errors import ProviderError
from skyclust_provisioning.adapters.providers.aws import EksProvider
from skyclust_provisioning.adapters.providers.azure import AksProvider
from skyclust_provisioning.adapters.providers.base import ClusterProvider
from skyclust_provisioning.adapters.providers.fake import FakeClusterProvider
from skyclust_provisioning.adapters.providers.gcp import GkeProvider
from skyclust_provisioning.domain.cluster import ClusterSpec
from skyclust_tools.embedded import MotoServer, free_port, scratch_dir
from skyclust_tools.emulators import azure as azure_emulator
from skyclust_tools.emulators import gcp as gcp_emulator

pytestmark = pytest.mark.integration


@dataclass
class Cloud:
    name: str
    provider: ClusterProvider
    credential: dict[str, Any]
    region: str
    version: str = "1.31"
    bad_credential: dict[str, Any] | None = None
    admin: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer(port=free_port()).start()
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


def make_cloud(request: pytest.FixtureRequest, name: str) -> Cloud:
    if name == "fake":
        return Cloud("fake", FakeClusterProvider(polls_until_active=2), {}, "us-east-1")
    if name == "aws":
        moto = request.getfixturevalue("moto")
        moto.reset()
        aws_key = {"access_key_id": "AKIAEXAMPLEEXAMPLE12", "secret_access_key": "s" * 40}
        return Cloud("aws", EksProvider(moto.url), aws_key, "us-east-1", version="1.29")
    if name == "gcp":
        emulator = request.getfixturevalue("gcp")
        emulator.admin.reset()
        key = emulator.admin.create_service_account_key("skyclust-test")
        stranger = emulator.admin.create_service_account_key("skyclust-test")
        emulator.admin.revoke_key(stranger["private_key_id"])
        return Cloud(
            "gcp",
            GkeProvider(emulator.url),
            {"service_account_json": json.dumps(key)},
            "us-central1",
            bad_credential={"service_account_json": json.dumps(stranger)},
            admin=emulator.admin,
        )
    emulator = request.getfixturevalue("azure")
    emulator.admin.reset()
    account = emulator.admin.create_account()
    fields = ("tenant_id", "client_id", "client_secret", "subscription_id")
    credential = {k: account[k] for k in fields}
    return Cloud(
        "azure",
        AksProvider(emulator.url, str(emulator.ca_bundle)),
        credential,
        "westeurope",
        bad_credential={**credential, "client_secret": "not-the-secret"},
        admin=emulator.admin,
    )


def spec_for(cloud: Cloud, name: str | None = None) -> ClusterSpec:
    return ClusterSpec(
        cluster_id=str(uuid.uuid4()),
        workspace_id=str(uuid.uuid4()),
        provider=cloud.name,
        name=name or f"c{uuid.uuid4().hex[:8]}",
        version=cloud.version,
        region=cloud.region,
        credential_id=str(uuid.uuid4()),
        tags={"Team": "Platform"},
    )


async def until(check: Any, tries: int = 60) -> Any:
    for _ in range(tries):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition never became true")


async def test_create_is_idempotent_and_becomes_active(cloud: Cloud) -> None:
    spec = spec_for(cloud)
    first = await cloud.provider.create(spec, cloud.credential)
    again = await cloud.provider.create(spec, cloud.credential)
    assert again.cloud_id == first.cloud_id
    assert first.owner == spec.cluster_id

    async def active() -> Any:
        view = await cloud.provider.describe(spec, cloud.credential)
        return view if view is not None and view.active else None

    ready = await until(active)
    assert ready.endpoint and ready.endpoint.startswith("https://")
    assert ready.version


async def test_a_name_in_use_by_someone_else_is_refused(cloud: Cloud) -> None:
    mine = spec_for(cloud)
    await cloud.provider.create(mine, cloud.credential)
    theirs = spec_for(cloud, name=mine.name)
    with pytest.raises(ProviderError) as info:
        await cloud.provider.create(theirs, cloud.credential)
    assert info.value.code == "CLUSTER_NAME_TAKEN"
    assert not info.value.retryable
    assert await cloud.provider.describe(theirs, cloud.credential) is None
    await cloud.provider.delete(theirs, cloud.credential)  # never touches mine
    assert await cloud.provider.describe(mine, cloud.credential) is not None


async def test_delete_is_idempotent_and_ends_in_not_found(cloud: Cloud) -> None:
    spec = spec_for(cloud)
    await cloud.provider.create(spec, cloud.credential)
    await until(lambda: _active(cloud, spec))
    await cloud.provider.delete(spec, cloud.credential)
    await cloud.provider.delete(spec, cloud.credential)

    async def gone() -> bool:
        return await cloud.provider.describe(spec, cloud.credential) is None

    assert await until(gone)


async def _active(cloud: Cloud, spec: ClusterSpec) -> bool:
    view = await cloud.provider.describe(spec, cloud.credential)
    return view is not None and view.active


async def test_wrong_credentials_are_a_permanent_auth_error(emulated: Cloud) -> None:
    cloud = emulated
    assert cloud.bad_credential is not None
    with pytest.raises(ProviderError) as info:
        await cloud.provider.create(spec_for(cloud), cloud.bad_credential)
    assert info.value.code == "PROVIDER_AUTH_FAILED"
    assert not info.value.retryable


async def test_throttling_is_retryable_and_is_not_taken_for_absence(emulated: Cloud) -> None:
    cloud = emulated
    spec = spec_for(cloud)
    await cloud.provider.create(spec, cloud.credential)
    cloud.admin.inject_fault(spec.name, method="GET", status=429, times=None)
    with pytest.raises(ProviderError) as info:
        await cloud.provider.describe(spec, cloud.credential)
    assert info.value.code == "PROVIDER_THROTTLED"
    assert info.value.retryable
    cloud.admin.clear_faults()
    assert await cloud.provider.describe(spec, cloud.credential) is not None
