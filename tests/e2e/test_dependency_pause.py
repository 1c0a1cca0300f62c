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
from .test_cluster_saga import REGIONS, VERSIONS, admin, credential_body

pytestmark = pytest.mark.e2e

PAUSED = ("identity", "credential-vault", "network")
# Identity and the vault are each frozen for 30 s, staggered so that every way a
# dependency fails is met: first the vault answers AUDIT_UNAVAILABLE (identity frozen),
# then it does not answer at all. Network is frozen for the first 20 s: it comes back to
# the networks asked for meanwhile while the vault is still frozen for longer than a
# request's timeout (10 s), so its runs surely meet an unanswered vault and wait.
SCHEDULE = [
    (0.0, signal.SIGSTOP, ("identity", "network")),
    (5.0, signal.SIGSTOP, ("credential-vault",)),
    (20.0, signal.SIGCONT, ("network",)),
    (30.0, signal.SIGCONT, ("identity",)),
    (35.0, signal.SIGCONT, ("credential-vault",)),
]
PER_CLOUD = 2
# GKE's and AKS's control planes and node pools take this long here, so that the pause
# finds sagas at every step, not only at the network's.
CREATE_SECONDS = {
    "gcp": {"cluster_create": 2.0, "node_pool_create": 1.0},
    "azure": {"managed_cluster_create": 2.0, "agent_pool_create": 1.0},
}


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
    slowed = {provider: admin(platform, provider).durations() for provider in CREATE_SECONDS}
    for provider, durations in CREATE_SECONDS.items():
        admin(platform, provider).set_durations(**durations)
    try:
        clusters = [
            create(api, provider, credentials[provider])
            for _ in range(PER_CLOUD)
            for provider in REGIONS
        ]
        # Pause once a control plane is being made: those clusters reach their node
        # groups, and provisioning the paused vault, during the pause; the rest are still
        # with the network service.
        wait_until(
            lambda: any(
                got["step"] in ("control-plane", "node-groups")
                for got in statuses(api, clusters).values()
            ),
            timeout=40,  # the network service loads a cloud's SDK on its first request
        )
        pids = {name: platform.pid(name) for name in PAUSED}
        started = time.monotonic()
        seen: list[dict[str, dict[str, Any]]] = []
        try:
            for at, sig, names in SCHEDULE:
                time.sleep(max(0.0, at - (time.monotonic() - started)))
                for name in names:
                    os.kill(pids[name], sig)
                if at == 0.0:
                    # Asked for with identity and network already frozen (the vault still
                    # answers the credential lookup): these sagas have yet to fetch their
                    # credential and make their network, so they surely meet a frozen
                    # dependency, however far the earlier ones got.
                    late = [create(api, provider, credentials[provider]) for provider in REGIONS]
                seen.append(statuses(api, clusters))
        finally:
            for pid in pids.values():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
        at_pause = seen[0]
        in_flight = [c for c, got in at_pause.items() if got["status"] != "READY"]
        assert len(in_flight) >= len(clusters) // 2, at_pause
        clusters += late
        in_flight += [cluster["id"] for cluster in late]
        failed_during = [c for snap in seen for c, got in snap.items() if got["status"] == "FAILED"]
        assert not failed_during, seen
        resumed_at = time.monotonic()
        for name, pid in pids.items():
            assert platform.pid(name) == pid, f"{name} was restarted, not paused"

        def settled() -> bool:
            return all(
                got["status"] in ("READY", "FAILED") for got in statuses(api, clusters).values()
            )

        def show() -> list[tuple[str, str, str | None, str | None]]:
            return [
                (got["provider"], got["status"], got["step"], got["status_reason"])
                for got in statuses(api, clusters).values()
            ]

        wait_until(settled, timeout=60, show=show)
        recovery = time.monotonic() - resumed_at
    finally:
        for provider, durations in slowed.items():
            admin(platform, provider).set_durations(**durations)
    final = statuses(api, clusters)
    failed = {
        c: (got["status_reason"], got["status_message"])
        for c, got in final.items()
        if got["status"] == "FAILED"
    }
    assert not failed, failed
    assert [got["status"] for got in final.values()] == ["READY"] * len(clusters)
    assert all(got["progress"] == 100 for got in final.values())
    assert {c for c in in_flight if final[c]["status"] == "READY"} == set(in_flight)
    logs = platform.logs()
    waited = [name for name in ("provisioning", "network") if "tries again" in logs[f"{name}.log"]]
    assert waited, "a saga met a paused dependency and waited for it"
    print(
        f"in flight at the pause: {len(in_flight)}/{len(clusters)}; waited: {waited}; "
        f"all READY {recovery:.1f} s after the last SIGCONT"
    )


def wait_until(done: Any, timeout: float, show: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out: {show() if show else ''}"
        time.sleep(0.3)
