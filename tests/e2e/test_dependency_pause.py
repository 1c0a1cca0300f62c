"""Identity, the vault and network frozen (SIGSTOP) for 30 s while cluster creates on
every cloud are under way: the sagas wait for them and every cluster ends READY. A
paused service is the worst kind of blip: requests to it are neither refused nor
answered, they time out."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from typing import Any

import pytest

from .client import Api
from .test_cluster_lifecycle import add_credential
from .test_cluster_saga import REGIONS, VERSIONS, credential_body

pytestmark = pytest.mark.e2e

PAUSED = ("identity", "credential-vault", "network")
PAUSE_SECONDS = 30
PER_CLOUD = 2


def create(api: Api, provider: str, credential_id: str) -> dict[str, Any]:
    response = api.post(
        f"/api/v1/{provider}/kubernetes/clusters",
        json={
            "credential_id": credential_id,
            "name": f"pause-{provider}-{uuid.uuid4().hex[:6]}",
            "version": VERSIONS[provider][0],
            "region": REGIONS[provider],
            "node_groups": [{"name": "workers", "min_size": 1, "max_size": 3, "desired_size": 1}],
        },
    )
    assert response.status_code == 202, response.text
    return {**response.json()["data"], "provider": provider}


def statuses(api: Api, clusters: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for cluster in clusters:
        response = api.get(f"/api/v1/{cluster['provider']}/kubernetes/clusters/{cluster['id']}")
        assert response.status_code == 200, response.text
        out[cluster["id"]] = response.json()["data"]
    return out


def test_identity_vault_and_network_paused_mid_saga_every_cluster_ends_ready(platform) -> None:
    api = platform.api()
    api.signup()
    credentials = {
        provider: add_credential(api, credential_body(platform, provider))["id"]
        for provider in REGIONS
    }
    clusters = [
        create(api, provider, credentials[provider])
        for _ in range(PER_CLOUD)
        for provider in REGIONS
    ]
    pids = {name: platform.pid(name) for name in PAUSED}
    for pid in pids.values():
        os.kill(pid, signal.SIGSTOP)
    paused_at = time.monotonic()
    try:
        at_pause = statuses(api, clusters)
        in_flight = [c for c, got in at_pause.items() if got["status"] != "READY"]
        assert len(in_flight) >= len(clusters) // 2, at_pause
        time.sleep(max(0.0, PAUSE_SECONDS - 5 - (time.monotonic() - paused_at)))
        during = statuses(api, clusters)
        assert not [c for c, got in during.items() if got["status"] == "FAILED"], during
        time.sleep(max(0.0, PAUSE_SECONDS - (time.monotonic() - paused_at)))
    finally:
        for pid in pids.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
    for name, pid in pids.items():
        assert platform.pid(name) == pid, f"{name} was restarted: the test would show nothing"

    deadline = time.monotonic() + 50
    while True:
        now = statuses(api, clusters)
        done = {c: got["status"] for c, got in now.items() if got["status"] in ("READY", "FAILED")}
        if len(done) == len(clusters) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    failed = {c: (got["status_reason"], got["status_message"]) for c, got in now.items() if got["status"] == "FAILED"}
    assert not failed, failed
    assert {got["status"] for got in now.values()} == {"READY"}, now
    assert all(got["progress"] == 100 for got in now.values())
    assert "retryable failure" in platform.logs()["provisioning.log"] + platform.logs()[
        "network.log"
    ], "the pause reached the sagas: something waited for a dependency"
