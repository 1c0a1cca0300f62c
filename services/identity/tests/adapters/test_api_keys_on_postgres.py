"""API keys on PostgreSQL, where leaving a unit of work without a commit rolls back and
expires what it loaded: a second revoke of a key (a client's retry) answers as the first
did. Read after the rollback, the row failed as a 500."""

from __future__ import annotations

import uuid

import pytest

from skyclust_common.messages.rpc import CreateApiKey, RegisterUser, RevokeApiKey
from skyclust_identity.handlers import api_keys, auth

from .oidc_harness import CTX

pytestmark = pytest.mark.integration


async def test_revoking_a_revoked_key_answers_it_again(deps) -> None:
    email = f"keys-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": "a-long-password-1", "name": "N", "workspace_name": "W"}
    registered = await auth.register(deps, RegisterUser.request(body), CTX)
    workspace, actor = registered["workspace"]["id"], registered["user"]["id"]
    body = {"workspace_id": workspace, "actor_id": actor, "name": "ci", "role": "viewer"}
    created = await api_keys.create_api_key(deps, CreateApiKey.request(body))
    revoke = {"workspace_id": workspace, "actor_id": actor, "api_key_id": created["id"]}

    first = await api_keys.revoke_api_key(deps, RevokeApiKey.request(revoke))
    again = await api_keys.revoke_api_key(deps, RevokeApiKey.request(revoke))

    assert first["revoked_at"] is not None
    assert again == first
