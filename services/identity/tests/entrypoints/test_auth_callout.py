"""nats-server's auth callout answered by identity, on a real nats-server: an API key as
the token gets its workspace's public subjects, as its role allows, and nothing else."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import nats
import pytest
from nats.errors import Error as NatsError

from skyclust_common import public_api
from skyclust_common.messages.rpc import CreateApiKey, RevokeApiKey
from skyclust_common.messaging import Bus
from skyclust_common.nats_permissions import nats_config
from skyclust_identity.adapters.nats_jwt import account_public_key, new_account_seed
from skyclust_identity.entrypoints import auth_callout
from skyclust_identity.handlers import api_keys
from skyclust_identity.handlers.base import IdentityDeps
from skyclust_identity.settings import IdentitySettings
from skyclust_tools.embedded import NatsServer, free_port, scratch_dir

from ..handlers.fakes import Identity

pytestmark = pytest.mark.integration
WS, OTHER_WS, ACTOR = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())


class Callout:
    def __init__(self, server: NatsServer, deps: IdentityDeps) -> None:
        self.server = server
        self.deps = deps

    async def key(
        self, role: str, workspace: str = WS, expires_at: str | None = None
    ) -> dict[str, Any]:
        body = {"workspace_id": workspace, "actor_id": ACTOR, "name": role, "role": role}
        if expires_at is not None:
            body["expires_at"] = expires_at
        return await api_keys.create_api_key(self.deps, CreateApiKey.request(body))

    async def connect(self, key: dict[str, Any], errors: list[Exception] | None = None) -> Any:
        async def on_error(exc: Exception) -> None:
            if errors is not None:
                errors.append(exc)

        return await nats.connect(
            self.server.url,
            token=key["key"],
            inbox_prefix=public_api.inbox_prefix(key["id"]),
            allow_reconnect=errors is not None,
            max_reconnect_attempts=3,
            reconnect_time_wait=0.2,
            connect_timeout=2,
            error_cb=on_error,
        )


@pytest.fixture(scope="module")
async def callout() -> AsyncIterator[Callout]:
    seed = new_account_seed()
    root = scratch_dir("sc-callout-")
    config = root / "nats.conf"
    config.write_text(
        nats_config(
            {"identity": "identity-password"},
            auth_callout_issuer=account_public_key(seed),
            system_password="system-password",
        )
    )
    server = NatsServer(free_port(), root / "js", config_file=config, log_file=root / "log")
    server.start()
    identity = Identity()
    identity.settings = IdentitySettings(
        nats_url=server.url,
        database_url="postgresql://identity@127.0.0.1/unused",
        nats_callout_seed=seed,
        nats_system_password="system-password",
    )
    nc = await nats.connect(
        server.url, user="identity", password="identity-password", inbox_prefix="_INBOX_identity"
    )
    # One deps for the test: the callout's entry point sets the hook that cuts sessions.
    deps = identity.deps
    await auth_callout.register(cast(Bus, SimpleNamespace(nc=nc)), deps)
    try:
        yield Callout(server, deps)
    finally:
        await nc.close()
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


async def test_an_unknown_token_or_none_is_refused_by_the_server(callout: Callout) -> None:
    for token in ("sk_not-a-key", "no-prefix"):
        with pytest.raises(NatsError) as refused:
            await nats.connect(
                callout.server.url, token=token, allow_reconnect=False, connect_timeout=2
            )
        assert "authorization violation" in str(refused.value).lower()
    with pytest.raises(NatsError):
        await nats.connect(callout.server.url, allow_reconnect=False, connect_timeout=2)


async def test_a_key_may_use_its_own_subjects_and_nothing_of_another_workspace(
    callout: Callout,
) -> None:
    key = await callout.key("user")
    errors: list[Exception] = []
    nc = await callout.connect(key, errors)
    try:
        await nc.subscribe(public_api.event_subject(WS, "ClusterReady"))
        await nc.publish(public_api.command_subject(WS, key["id"], "CreateCluster"), b"{}")
        await nc.publish(public_api.read_subject(WS, key["id"], "ListClusters"), b"{}")
        await nc.flush()
        await asyncio.sleep(0.3)
        assert errors == [], "its own subjects are allowed"
        await nc.subscribe(public_api.event_subject(OTHER_WS, "ClusterReady"))
        await nc.publish(public_api.command_subject(OTHER_WS, key["id"], "CreateCluster"), b"{}")
        await nc.publish(f"skyclust.evt.{WS}.ClusterReady", b"{}")
        await nc.subscribe("_INBOX.>")
        await nc.flush()
        await asyncio.sleep(0.3)
        # nats-py hands the server's -ERR over in lower case.
        violations = [str(e) for e in errors if "permissions violation" in str(e).lower()]
        assert any(f'subscription to "skyclust.public.v1.{OTHER_WS}' in v for v in violations)
        assert any(f'publish to "skyclust.public.v1.{OTHER_WS}' in v for v in violations)
        assert any(f'publish to "skyclust.evt.{WS}' in v for v in violations)
        assert any('subscription to "_inbox.>"' in v for v in violations)
    finally:
        await nc.close()


async def test_a_viewer_key_may_not_publish_a_change(callout: Callout) -> None:
    key = await callout.key("viewer")
    errors: list[Exception] = []
    nc = await callout.connect(key, errors)
    try:
        await nc.publish(public_api.command_subject(WS, key["id"], "CreateCluster"), b"{}")
        await nc.publish(public_api.read_subject(WS, key["id"], "ListClusters"), b"{}")
        await nc.flush()
        await asyncio.sleep(0.3)
        violations = [str(e) for e in errors if "permissions violation" in str(e).lower()]
        assert any(".cmd.createcluster" in v for v in violations)
        assert not any(".rpc.listclusters" in v for v in violations)
    finally:
        await nc.close()


async def test_a_revoked_key_is_cut_at_once_and_refused_after(callout: Callout) -> None:
    key, other = await callout.key("user"), await callout.key("user")
    errors: list[Exception] = []
    nc, stays = await callout.connect(key, errors), await callout.connect(other, [])
    revoke = {"workspace_id": WS, "actor_id": ACTOR, "api_key_id": key["id"]}
    await api_keys.revoke_api_key(callout.deps, RevokeApiKey.request(revoke))
    # Kicked by the revocation; the client's reconnects are then refused.
    for _ in range(50):
        if nc.is_closed:
            break
        await asyncio.sleep(0.1)
    assert nc.is_closed
    assert any("authorization violation" in str(e).lower() for e in errors)
    with pytest.raises(NatsError):
        await nats.connect(callout.server.url, token=key["key"], allow_reconnect=False)
    # Another key's connection is untouched.
    assert stays.is_connected and stays.stats["reconnects"] == 0
    await stays.close()


async def test_a_key_that_expires_takes_its_connection_with_it(callout: Callout) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=3)
    key = await callout.key("user", expires_at=soon.isoformat())
    nc = await callout.connect(key, [])
    assert nc.is_connected
    for _ in range(80):
        if nc.is_closed:
            break
        await asyncio.sleep(0.1)
    assert nc.is_closed, "nats-server cut the connection when the key expired"
