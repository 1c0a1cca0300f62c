"""The platform's NATS gives each service its own user: only provisioning, network and
cost may ask the vault to decrypt, each only under its own name (the vault knows its
caller from the subject, never from a header), and every decryption is in the audit
trail with the caller NATS let through."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import nats
import pytest
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from skyclust_common.nats_permissions import decrypt_subject
from skyclust_tools.nats_auth import inbox_prefix

from .test_cluster_lifecycle import add_credential

pytestmark = pytest.mark.e2e


async def ignore(error: Exception) -> None:
    """Permission violations arrive here; the test looks at the request's outcome."""


async def ask_vault(
    platform, user: str, request: dict[str, Any], claim: str = "provisioning"
) -> dict[str, Any] | None:
    """The vault's answer to `user` asking on `claim`'s decrypt subject (with a header
    that also says provisioning), or None when NATS does not let the request through."""
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
            decrypt_subject(claim),
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
    # So does it for network, a decrypter itself, claiming to be provisioning.
    assert asyncio.run(ask_vault(platform, "network", request)) is None
    # Under its own name network is answered as network, whatever the header says.
    own = asyncio.run(ask_vault(platform, "network", request, claim="network"))
    assert own is not None and own["ok"], own
    answer = asyncio.run(ask_vault(platform, "provisioning", request))
    assert answer is not None and answer["ok"], answer
    secret = local_aws_credential["data"]["secret_access_key"]
    assert answer["data"]["data"]["secret_access_key"] == secret

    deadline = time.monotonic() + 10
    records: list[dict[str, Any]] = []
    while len(records) < 2:
        assert time.monotonic() < deadline, "both decryptions are not in the audit trail"
        page = api.get("/api/v1/audit-logs", params={"action": "credential.decrypt"})
        records = [r for r in page.json()["data"]["items"] if r["resource_id"] == credential["id"]]
        time.sleep(0.2)
    assert {r["actor_type"] for r in records} == {"service"}
    assert sorted(r["actor_id"] for r in records) == ["network", "provisioning"]
