"""google-cloud-compute is about 120 MB and 5 s of imports: the network service loads it
when it first builds a GCP request, not when it starts. The probe runs in a fresh
interpreter, so what it finds loaded is what the service loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

PROBE = """
import json, sys

COMPUTE = "google.cloud.compute_v1"

import skyclust_network.__main__  # what the process imports before it serves
from skyclust_network.bootstrap import cloud_providers
from skyclust_network.domain.model import Rule, SecurityGroupSpec
from skyclust_network.settings import NetworkSettings

at_start = COMPUTE in sys.modules
gcp = cloud_providers(NetworkSettings())["gcp"]
wired = COMPUTE in sys.modules
rule = Rule(direction="ingress", protocol="tcp", cidr="10.0.0.0/8", from_port=443, to_port=443)
group = SecurityGroupSpec(group_id="sg-1", name="web", description="", rules=(rule,))
firewall = gcp._firewall("net", group, rule)
print(json.dumps({
    "at_start": at_start,
    "wired": wired,
    "after_first_request": COMPUTE in sys.modules,
    "built": type(firewall).__module__ + "." + type(firewall).__name__,
}))
"""


def test_compute_sdk_is_loaded_by_the_first_gcp_request_not_at_start():
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYCLUST_")}
    env.update(
        {
            "SKYCLUST_NATS_URL": "nats://127.0.0.1:1",
            "SKYCLUST_DATABASE_URL": "postgresql://u:p@127.0.0.1:1/db",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["at_start"] is False
    assert result["wired"] is False
    assert result["after_first_request"] is True
    assert result["built"].startswith("google.cloud.compute_v1.")
    assert result["built"].endswith(".Firewall")
