"""The local platform's secrets file: made once with every key, and a state dir from
before a key existed gets that key while keeping everything it had."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from skyclust_tools.state_secrets import state_secrets

pytestmark = pytest.mark.unit


def test_a_new_state_dir_gets_every_key_in_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    made = state_secrets(path, ["notification"], ["gateway", "notification"])
    assert path.stat().st_mode & 0o077 == 0
    assert len(base64.b64decode(made["webhook_secrets_keys"]["v1"])) == 32
    assert set(made["nats_passwords"]) == {"gateway", "notification"}
    assert state_secrets(path, ["notification"], ["gateway", "notification"]) == made


def test_an_older_state_dir_gets_the_webhook_key_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    made = state_secrets(path, ["notification"], ["notification"])
    old = {k: v for k, v in made.items() if k != "webhook_secrets_keys"}
    path.write_text(json.dumps(old))
    upgraded = state_secrets(path, ["notification", "cost"], ["notification", "cost"])
    assert "v1" in upgraded["webhook_secrets_keys"]
    assert upgraded["db_passwords"]["notification"] == made["db_passwords"]["notification"]
    assert upgraded["mfa_keys"] == made["mfa_keys"] and "cost" in upgraded["db_passwords"]
    assert json.loads(path.read_text()) == upgraded
