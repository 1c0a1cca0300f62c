"""Injected faults surface as the SDKs' own exceptions, and hangs are cut by client timeouts."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from azure.core.exceptions import (
    HttpResponseError,
    ResourceNotFoundError,
    ServiceResponseError,
)
from google.api_core import exceptions as gexc

pytestmark = pytest.mark.integration


def _code(error: HttpResponseError) -> str | None:
    return error.error.code if error.error is not None else None


def _gke_parent(gcp: Any) -> str:
    return f"projects/{gcp.project}/locations/us-central1"


def test_gcp_throttling_raises_too_many_requests(gcp: Any) -> None:
    gcp.admin.inject_fault(r"/clusters$", method="GET", status=429, times=1)

    with pytest.raises(gexc.TooManyRequests) as info:
        gcp.gke().list_clusters(parent=_gke_parent(gcp))
    error = info.value.response.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert "Quota exceeded" in error["message"]
    assert gcp.gke().list_clusters(parent=_gke_parent(gcp)).clusters == []


def test_gcp_injected_not_found_and_conflict(gcp: Any) -> None:
    compute = gcp.compute()
    gcp.admin.inject_fault(r"/global/networks/vpc$", method="GET", status=404)
    gcp.admin.inject_fault(r"/global/networks$", method="POST", status=409)

    with pytest.raises(gexc.NotFound):
        compute.networks.get(project=gcp.project, network="vpc")
    with pytest.raises(gexc.Conflict):
        compute.networks.insert(project=gcp.project, network_resource={"name": "vpc"})


def test_gcp_unavailable_is_retried_by_the_client(gcp: Any) -> None:
    gcp.admin.inject_fault(r"/clusters$", method="GET", status=503, times=2)

    assert gcp.gke().list_clusters(parent=_gke_parent(gcp)).clusters == []
    statuses = [r["status"] for r in gcp.admin.requests() if r["path"].endswith("/clusters")]
    assert statuses == [503, 503, 200]


def test_gcp_hang_is_cut_by_the_client_timeout(gcp: Any) -> None:
    gcp.admin.inject_fault(r"/clusters$", method="GET", hang_seconds=10)

    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        gcp.gke().list_clusters(parent=_gke_parent(gcp), timeout=0.3, retry=None)
    assert time.monotonic() - started < 3


def test_gcp_token_endpoint_faults_are_retried_by_google_auth(gcp: Any) -> None:
    from skyclust_common.cloud import get_gcp_project

    gcp.admin.inject_fault(r"^/token$", method="POST", status=503, times=1)

    assert get_gcp_project(gcp.key, gcp.url)["projectId"] == gcp.project
    assert [r["status"] for r in gcp.admin.requests() if r["path"] == "/token"] == [503, 200]


def test_azure_throttling_raises_http_response_error(azure: Any) -> None:
    azure.admin.inject_fault(r"/resourcegroups$", status=429, times=1, retry_after=30)
    groups = azure.resources(retry_total=0).resource_groups

    with pytest.raises(HttpResponseError) as info:
        list(groups.list())
    assert info.value.status_code == 429
    assert _code(info.value) == "TooManyRequests"
    assert list(groups.list()) == []


def test_azure_transient_errors_are_retried_by_the_pipeline(azure: Any) -> None:
    azure.admin.inject_fault(r"/resourcegroups$", status=503, times=2)
    groups = azure.resources(retry_backoff_factor=0.01).resource_groups

    assert list(groups.list()) == []
    statuses = [r["status"] for r in azure.admin.requests() if r["path"].endswith("resourcegroups")]
    assert statuses == [503, 503, 200]


def test_azure_injected_not_found(azure: Any) -> None:
    azure.admin.inject_fault(r"/resourcegroups/ghost$", method="GET", status=404)

    with pytest.raises(ResourceNotFoundError):
        azure.resources().resource_groups.get("ghost")


def test_azure_hang_is_cut_by_the_client_timeout(azure: Any) -> None:
    groups = azure.resources(retry_total=0, read_timeout=0.3).resource_groups
    groups.create_or_update("rg", {"location": "westeurope"})
    azure.admin.inject_fault(r"/resourcegroups/rg$", method="GET", hang_seconds=10)

    started = time.monotonic()
    with pytest.raises(ServiceResponseError):
        groups.get("rg")
    assert time.monotonic() - started < 3


def test_faults_are_consumed_and_listed(azure: Any) -> None:
    fault = azure.admin.inject_fault(r"/resourcegroups$", status=500, times=2)
    assert fault["remaining"] == 2
    groups = azure.resources(retry_total=0).resource_groups

    for _ in range(2):
        with pytest.raises(HttpResponseError) as info:
            list(groups.list())
        assert _code(info.value) == "InternalServerError"
    assert list(groups.list()) == []
    assert azure.admin.faults()[0]["remaining"] == 0

    azure.admin.clear_faults()
    assert azure.admin.faults() == []
