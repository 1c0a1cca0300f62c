"""The per-service NATS users and permissions, for the dev launcher and tests.

The table lives in `skyclust_common.nats_permissions`, since each service's `nats-config`
operator command prints it and services cannot import the tools; this module keeps the
names the launcher and tests have always imported."""

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
    "inbox_prefix",
    "nats_config",
    "permission_table",
    "permissions",
]
