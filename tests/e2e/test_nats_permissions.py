"""The platform's NATS gives each service its own user: only provisioning, network and
cost may ask the vault to decrypt, and every decryption is in the audit trail."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import nats
import pytest
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from skyclust_tools.nats_auth import inbox_prefix

from .test_cluster_lifecycle import add_credential

pytestmark = pytest.mark.e2e


async def ignore(error: Exception) -> None:
    """Permission violations arrive here; the test looks at the request's outcome."""


async def ask_vault(platform, user: str, request: dict[str, Any]) -> dict[str, Any] | None:
    """The vault's answer to `user`, or None when NATS does not let the request through."""
    password = platform.secrets()["nats_passwords"][user]
    port = platform.env["SKYCLUST_NATS_URL"].rsplit(":", 1)[-1]
    nc = await nats.connect(
        f"nats://127.0.0.1:{port}",
        user=user,
        password=password,
        inbox_prefix=inbox_prefix(user),
        error_cb=ignore,
    )
    try:
        msg = await nc.request(
            "skyclust.rpc.credential-vault.DecryptCredential",
            json.dumps(request).encode(),
            timeout=3,
            headers={"Skyclust-Caller": "provisioning"},
        )
        answer: dict[str, Any] = json.loads(msg.data)
        return answer
    except (NatsTimeout, TimeoutError, NoRespondersError):
        return None
    finally:
        await nc.close()


def test_only_the_decrypting_services_obtain_a_secret(platform, local_aws_credential) -> None:
    api = platform.api()
    account = api.signup()
    credential = add_credential(api, {**local_aws_credential, "name": "nats-perms"})
    request = {
        "workspace_id": account["workspace"]["id"],
        "credential_id": credential["id"],
        "reason": "permission test",
        "correlation_id": None,
    }
    # The gateway's user claims to be provisioning: NATS refuses the publish itself.
    assert asyncio.run(ask_vault(platform, "gateway", request)) is None
    assert asyncio.run(ask_vault(platform, "identity", request)) is None
    answer = asyncio.run(ask_vault(platform, "provisioning", request))
    assert answer is not None and answer["ok"], answer
    secret = local_aws_credential["data"]["secret_access_key"]
    assert answer["data"]["data"]["secret_access_key"] == secret

    deadline = time.monotonic() + 10
    records: list[dict[str, Any]] = []
    while not records:
        assert time.monotonic() < deadline, "the decryption is not in the audit trail"
        page = api.get("/api/v1/audit-logs", params={"action": "credential.decrypt"})
        records = [r for r in page.json()["data"]["items"] if r["resource_id"] == credential["id"]]
        time.sleep(0.2)
    assert records[0]["actor_type"] == "service"
    assert records[0]["actor_id"] == "provisioning"
