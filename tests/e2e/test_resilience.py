"""A provisioning process killed mid-flight is restarted and finishes the job, once."""

from __future__ import annotations

import os
import signal
import time

import boto3
import pytest

from .test_cluster_lifecycle import add_credential, make_cluster

pytestmark = pytest.mark.e2e


def test_sigkill_during_provisioning_still_gives_one_ready_cluster(platform, local_aws_credential):
    api = platform.api()
    api.signup()
    credential = add_credential(api, local_aws_credential)
    stream = api.stream()
    cluster = make_cluster(api, credential["id"])
    stream.until("ClusterProvisioning", cluster["id"])

    victim = platform.pid("provisioning")
    os.kill(victim, signal.SIGKILL)
    seen = stream.until("ClusterReady", cluster["id"], timeout=60)
    assert "ClusterFailed" not in [e.event for e in seen]

    deadline = time.monotonic() + 10
    while platform.pid("provisioning") == victim and time.monotonic() < deadline:
        time.sleep(0.2)
    assert platform.pid("provisioning") != victim, "the launcher did not restart provisioning"

    got = api.get(f"/api/v1/aws/kubernetes/clusters/{cluster['id']}").json()["data"]
    assert got["status"] == "READY"
    eks = boto3.client(
        "eks",
        region_name="us-east-1",
        endpoint_url=platform.env["SKYCLUST_AWS_ENDPOINT_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    assert eks.list_clusters()["clusters"].count(cluster["name"]) == 1
    stream.close()
