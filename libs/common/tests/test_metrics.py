"""The metrics skyclust-common keeps for every service: cloud API calls (counted where
every SDK call leaves the loop), and the build a process runs. Each is driven, then read
back from the process's Prometheus registry."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from skyclust_common.cloud.blocking import in_thread
from skyclust_common.errors import ProviderError
from skyclust_common.observability import build_version, record_build_info

pytestmark = pytest.mark.unit
CALLS = "skyclust_cloud_api_calls_total"


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def calls(operation: str, outcome: str) -> float:
    return value(CALLS, provider="testcloud", operation=operation, outcome=outcome)


class VendorError(Exception):
    pass


def translate(exc: Exception) -> ProviderError | None:
    if isinstance(exc, VendorError):
        code = "PROVIDER_THROTTLED" if "slow" in str(exc) else "PROVIDER_ACCESS_DENIED"
        return ProviderError(str(exc), code=code, provider="testcloud")
    return None


def _describe_thing() -> str:
    return "thing"


def refuse(message: str) -> str:
    raise VendorError(message)


async def test_cloud_calls_are_counted_by_provider_operation_and_outcome():
    before = [calls("describe_thing", "ok"), calls("delete", "error"), calls("delete", "throttled")]
    timed = value(
        "skyclust_cloud_api_call_duration_seconds_count",
        provider="testcloud",
        operation="describe_thing",
    )
    assert await in_thread(_describe_thing, provider="testcloud") == "thing"
    with pytest.raises(ProviderError):
        await in_thread(
            refuse, "denied", translate=translate, provider="testcloud", operation="delete"
        )
    for _ in range(2):
        with pytest.raises(ProviderError, match="slow"):
            await in_thread(
                refuse, "slow down", translate=translate, provider="testcloud", operation="delete"
            )
    with pytest.raises(VendorError):  # a bug, untranslated, is an error all the same
        await in_thread(refuse, "bug", provider="testcloud", operation="delete")
    after = [calls("describe_thing", "ok"), calls("delete", "error"), calls("delete", "throttled")]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 2, 2]
    assert (
        value(
            "skyclust_cloud_api_call_duration_seconds_count",
            provider="testcloud",
            operation="describe_thing",
        )
        == timed + 1
    )


async def test_a_call_whose_caller_names_no_provider_is_not_counted():
    before = sum(
        sample.value
        for family in REGISTRY.collect()
        if family.name == "skyclust_cloud_api_calls"
        for sample in family.samples
        if sample.name == CALLS
    )
    await in_thread(_describe_thing)
    after = sum(
        sample.value
        for family in REGISTRY.collect()
        if family.name == "skyclust_cloud_api_calls"
        for sample in family.samples
        if sample.name == CALLS
    )
    assert after == before


def test_build_info_names_the_service_and_its_installed_version():
    version = build_version("skyclust_common")
    assert version != "unknown" and version[0].isdigit()
    assert build_version("skyclust_no_such_package") == "unknown"
    record_build_info("testservice", version)
    assert value("skyclust_build_info", service="testservice", version=version) == 1
