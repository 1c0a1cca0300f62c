"""The per-service NATS users and permissions, for the dev launcher and tests.

The table lives in `skyclust_common.nats_permissions`, since each service's `nats-config`
operator command prints it and services cannot import the tools; this module keeps the
names the launcher and tests have always imported."""

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import nkeys

from skyclust_common.nats_permissions import (
    ADMIN_USER,
    CALLS,
    CONSUMED_STREAMS,
    DECRYPT_SUBJECT,
    DECRYPTERS,
    RESPONDERS,
    SERVICES,
    STREAMS,
    VAULT,
    Permissions,
    inbox_prefix,
    nats_config,
    permission_table,
    permissions,
)

__all__ = [
    "ADMIN_USER",
    "CALLS",
    "CONSUMED_STREAMS",
    "DECRYPTERS",
    "DECRYPT_SUBJECT",
    "RESPONDERS",
    "SERVICES",
    "STREAMS",
    "VAULT",
    "Permissions",
    "PublicAccess",
    "inbox_prefix",
    "nats_config",
    "permission_table",
    "permissions",
    "public_access",
]


@dataclass(frozen=True)
class PublicAccess:
    """What the public NATS API needs on the embedded nats-server: the auth callout's
    account key (identity signs with its seed, the server trusts its public key) and
    the system account's password (identity cuts revoked keys' connections with it)."""

    callout_seed: str
    system_password: str

    @property
    def config_args(self) -> dict[str, str]:
        """For `nats_config`."""
        issuer = nkeys.from_seed(self.callout_seed.encode()).public_key.decode()
        return {"auth_callout_issuer": issuer, "system_password": self.system_password}

    @property
    def identity_env(self) -> dict[str, str]:
        return {
            "SKYCLUST_NATS_CALLOUT_SEED": self.callout_seed,
            "SKYCLUST_NATS_SYSTEM_PASSWORD": self.system_password,
        }


def public_access(secrets_file: Path) -> PublicAccess:
    """The state directory's keys for the public API, made on first use and kept in
    its secrets file (mode 0600) with the others."""
    stored: dict[str, object] = json.loads(secrets_file.read_text())
    if "nats_callout_seed" not in stored or "nats_system_password" not in stored:
        seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_ACCOUNT).decode()
        stored.setdefault("nats_callout_seed", seed)
        stored.setdefault("nats_system_password", secrets.token_urlsafe(24))
        secrets_file.write_text(json.dumps(stored))
        secrets_file.chmod(0o600)
    return PublicAccess(str(stored["nats_callout_seed"]), str(stored["nats_system_password"]))
