"""Requests that mix up providers are refused at the gateway. (The life of a cluster on
each cloud is in test_cluster_saga.py.)"""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.e2e


def test_regions_are_checked_per_provider(platform) -> None:
    api = platform.api()
    api.signup()
    wrong = api.post(
        "/api/v1/aws/kubernetes/clusters",
        json={
            "credential_id": str(uuid.uuid4()),
            "name": "x",
            "version": "1.29",
            "region": "westeurope",
        },
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["code"] == "INVALID_REGION"
    mixed = api.post(
        "/api/v1/aws/kubernetes/clusters",
        json={
            "credential_id": str(uuid.uuid4()),
            "name": "x",
            "version": "1.29",
            "region": "us-east-1",
            "gcp_config": {"node_count": 2},
        },
    )
    assert mixed.status_code == 422
    assert mixed.json()["error"]["details"]["errors"][0]["field"] == "gcp_config"
