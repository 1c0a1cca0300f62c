"""The local platform's secrets, `<state-dir>/secrets.json` (mode 0600): the services'
database and NATS passwords and their keys, made on the first start and kept. A state
dir from before a service or a key existed gets what it lacks, and keeps the rest."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def state_secrets(path: Path, services: Sequence[str], nats_users: Sequence[str]) -> dict[str, Any]:
    generated = {
        "vault_keys": {"v1": new_key()},
        "vault_active_key": "v1",
        "mfa_keys": {"v1": new_key()},
        # Webhook secrets a state dir from before kept clear are sealed as they are used.
        "webhook_secrets_keys": {"v1": new_key()},
        "db_passwords": {svc: secrets.token_urlsafe(24) for svc in services},
        "nats_passwords": {svc: secrets.token_urlsafe(24) for svc in nats_users},
        "nats_admin_password": secrets.token_urlsafe(24),
    }
    if path.exists():
        stored: dict[str, Any] = json.loads(path.read_text())
        missing = [svc for svc in services if svc not in stored["db_passwords"]]
        nats = stored.setdefault("nats_passwords", {})
        missing_nats = [svc for svc in nats_users if svc not in nats]
        absent = {key: value for key, value in generated.items() if key not in stored}
        if missing or missing_nats or absent:
            stored["db_passwords"].update({svc: secrets.token_urlsafe(24) for svc in missing})
            nats.update({svc: secrets.token_urlsafe(24) for svc in missing_nats})
            stored.update(absent)
            path.write_text(json.dumps(stored))
        return stored
    path.write_text(json.dumps(generated))
    path.chmod(0o600)
    return generated
