"""The vault's settings fail fast on a keyring it could not use."""

from __future__ import annotations

import base64
import json

import pytest

from skyclust_vault.settings import VaultSettings

pytestmark = pytest.mark.unit


def test_settings_refuse_a_bad_keyring(monkeypatch):
    monkeypatch.setenv("SKYCLUST_NATS_URL", "nats://127.0.0.1:1")
    monkeypatch.setenv("SKYCLUST_DATABASE_URL", "postgresql://u:p@h/db")
    for keys_json, active, problem in [
        ({"v1": base64.b64encode(b"x" * 16).decode()}, "v1", "32 bytes"),
        ({"v1": "not base64!"}, "v1", "not base64"),
        ({"v1": base64.b64encode(b"x" * 32).decode()}, "v2", "must name one of"),
        ({"v 1": base64.b64encode(b"x" * 32).decode()}, "v 1", "key versions"),
    ]:
        monkeypatch.setenv("SKYCLUST_VAULT_KEYS", json.dumps(keys_json))
        monkeypatch.setenv("SKYCLUST_VAULT_ACTIVE_KEY", active)
        with pytest.raises(ValueError, match=problem):
            VaultSettings()
