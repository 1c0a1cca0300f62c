"""in_thread: SDK calls run off the loop and leave as ProviderErrors; the endpoint mixin
reads the same SKYCLUST_ variables for every service that calls the clouds."""

from __future__ import annotations

import threading

import pytest

from skyclust_common.cloud.blocking import in_thread
from skyclust_common.errors import ProviderError
from skyclust_common.settings import CloudEndpointSettings, DatabaseServiceSettings

pytestmark = pytest.mark.unit


class VendorError(Exception):
    pass


def vendor_only(exc: Exception) -> ProviderError | None:
    if isinstance(exc, VendorError):
        return ProviderError(str(exc), code="PROVIDER_THROTTLED", retryable=True)
    return None


async def test_the_call_runs_on_a_worker_thread_with_its_arguments():
    loop_thread = threading.get_ident()

    def call(a: int, b: int) -> tuple[int, int]:
        return a + b, threading.get_ident()

    total, thread = await in_thread(call, 2, 3, translate=vendor_only)
    assert total == 5
    assert thread != loop_thread


async def test_vendor_errors_are_translated_and_bugs_stay_bugs():
    def throttled() -> None:
        raise VendorError("slow down")

    def bug() -> None:
        raise ZeroDivisionError

    def already() -> None:
        raise ProviderError("gone", code="PROVIDER_RESOURCE_LOST")

    with pytest.raises(ProviderError) as info:
        await in_thread(throttled, translate=vendor_only)
    assert (info.value.code, info.value.retryable) == ("PROVIDER_THROTTLED", True)
    assert info.value.__cause__ is None
    with pytest.raises(ZeroDivisionError):
        await in_thread(bug, translate=vendor_only)
    with pytest.raises(VendorError):
        await in_thread(throttled)
    with pytest.raises(ProviderError, match="gone"):
        await in_thread(already, translate=vendor_only)


class CloudService(CloudEndpointSettings, DatabaseServiceSettings):
    own: int = 1


def test_the_endpoint_mixin_reads_skyclust_variables_next_to_the_service_base(monkeypatch):
    monkeypatch.setenv("SKYCLUST_NATS_URL", "nats://127.0.0.1:4222")
    monkeypatch.setenv("SKYCLUST_DATABASE_URL", "postgresql://u:p@127.0.0.1/db")
    monkeypatch.setenv("SKYCLUST_AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    monkeypatch.setenv("SKYCLUST_AZURE_CA_BUNDLE", "/etc/ssl/emulator.pem")
    settings = CloudService()
    assert settings.aws_endpoint_url == "http://127.0.0.1:5000"
    assert settings.azure_ca_bundle == "/etc/ssl/emulator.pem"
    assert settings.gcp_endpoint_url is None and settings.azure_endpoint_url is None
    assert settings.database_url.get_secret_value().startswith("postgresql+asyncpg://")
