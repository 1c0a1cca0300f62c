"""The public NATS API's subject map: what one key's connection may use, and the
configuration that makes nats-server ask identity about such connections."""

from __future__ import annotations

import json
import uuid

import pytest

from skyclust_common import public_api
from skyclust_common.nats_permissions import SYSTEM_ACCOUNT, SYSTEM_USER, nats_config

pytestmark = pytest.mark.unit
WS, KEY = str(uuid.uuid4()), str(uuid.uuid4())


def test_a_key_may_publish_only_its_own_subjects_as_its_role_allows() -> None:
    viewer = public_api.connection_permissions(WS, KEY, "viewer")
    user = public_api.connection_permissions(WS, KEY, "user")
    admin = public_api.connection_permissions(WS, KEY, "admin")
    mine = f"{public_api.PREFIX}.{WS}.{KEY}."
    for perms in (viewer, user, admin):
        assert all(s.startswith(mine) for s in perms["pub"]["allow"])  # type: ignore[index]
        assert perms["sub"] == {
            "allow": [f"_INBOX_{KEY}.>", f"{mine}res.>", f"{public_api.PREFIX}.{WS}.evt.>"]
        }
    assert not [s for s in viewer["pub"]["allow"] if ".cmd." in s]  # type: ignore[index]
    assert f"{mine}cmd.CreateCluster" in user["pub"]["allow"]  # type: ignore[index]
    assert f"{mine}cmd.CreateBudget" not in user["pub"]["allow"]  # type: ignore[index]
    assert f"{mine}cmd.CreateBudget" in admin["pub"]["allow"]  # type: ignore[index]
    assert public_api.connection_permissions(WS, KEY, "owner")["pub"] == {"allow": []}


def test_subjects_parse_back_and_refuse_what_cannot_be_a_token() -> None:
    subject = public_api.command_subject(WS, KEY, "CreateCluster")
    assert public_api.parse(subject) == public_api.Addressed(WS, KEY, "cmd", "CreateCluster")
    assert public_api.parse(f"{public_api.PREFIX}.{WS}.evt.ClusterReady") is None
    assert public_api.parse("skyclust.rpc.provisioning.ListClusters") is None
    with pytest.raises(ValueError):
        public_api.command_subject("a.b", KEY, "CreateCluster")
    with pytest.raises(ValueError):
        public_api.inbox_prefix("*")


def test_the_config_asks_identity_about_everyone_but_the_services() -> None:
    config = json.loads(
        nats_config(
            {"identity": "pw"},
            admin_password="adm",
            auth_callout_issuer="A" + "B" * 55,
            system_password="sys",
        )
    )
    callout = config["authorization"]["auth_callout"]
    assert callout["issuer"] == "A" + "B" * 55
    assert callout["auth_users"] == ["identity", "admin", SYSTEM_USER]
    assert config["system_account"] == SYSTEM_ACCOUNT
    assert config["accounts"][SYSTEM_ACCOUNT]["users"] == [{"user": SYSTEM_USER, "password": "sys"}]
    with pytest.raises(ValueError, match="account public nkey"):
        nats_config({"identity": "pw"}, auth_callout_issuer="UABC")
    plain = json.loads(nats_config({"identity": "pw"}))
    assert "auth_callout" not in plain["authorization"] and "accounts" not in plain
