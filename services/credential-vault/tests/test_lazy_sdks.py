"""The vault loads a cloud's SDK when it first checks a credential of that cloud, not when
it starts: boto3, google-auth and azure-identity together are about 25 MB of an idle vault.
Each probe runs in a fresh interpreter, so what it finds loaded is what the service loads."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import pytest

from skyclust_tools.embedded import free_port

pytestmark = pytest.mark.unit

SDKS = ("boto3", "botocore", "google.auth", "google.api_core", "azure.core", "azure.identity")

PROBE = """
import asyncio, json, sys

SDKS = %r


def loaded():
    return sorted(name for name in SDKS if name in sys.modules)


import skyclust_vault.__main__  # what the process imports before it serves
from skyclust_common.errors import ProviderError
from skyclust_vault.bootstrap import cloud_checkers
from skyclust_vault.domain.providers import parse
from skyclust_vault.settings import VaultSettings

at_start = loaded()
checkers = cloud_checkers(VaultSettings())
wired = loaded()
secret = parse("aws", {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "x" * 40})
try:
    asyncio.run(checkers.check(secret))
    outcome = "answered"
except ProviderError as exc:
    outcome = exc.code
print(json.dumps({"at_start": at_start, "wired": wired, "after_aws": loaded(), "outcome": outcome}))
"""


def probe() -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKYCLUST_")}
    env.update(
        {
            "SKYCLUST_NATS_URL": "nats://127.0.0.1:1",
            "SKYCLUST_DATABASE_URL": "postgresql://u:p@127.0.0.1:1/db",
            "SKYCLUST_VAULT_KEYS": json.dumps({"v1": base64.b64encode(b"k" * 32).decode()}),
            "SKYCLUST_VAULT_ACTIVE_KEY": "v1",
            # Nothing listens there: the check must end PROVIDER_UNAVAILABLE, quickly.
            "SKYCLUST_AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE % (SDKS,)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_no_cloud_sdk_is_loaded_until_a_credential_of_that_cloud_is_checked():
    result = probe()
    assert result["at_start"] == []
    assert result["wired"] == []
    # The first AWS check imports boto3 and really calls STS (nothing answers here);
    # the other clouds' SDKs stay out.
    assert result["outcome"] == "PROVIDER_UNAVAILABLE"
    assert result["after_aws"] == ["boto3", "botocore"]
