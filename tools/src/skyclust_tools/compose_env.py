"""`python -m skyclust_tools.compose_env [--state-dir .skyclust]`: the per-service env files
docker-compose.yml's services read, `<state-dir>/compose/<service>.env` (mode 0600).

Each holds what is the service's own and secret: its NATS user, password and inbox prefix
(the same passwords as the NATS configuration `make compose-nats-config` writes, both from
`<state-dir>/secrets.json`, made there first if there is none), for a service with a
database its role's password (for `bootstrap-db`) and URL (`postgres:5432`, database
`skyclust`), the vault's keyring, identity's MFA keys and notification's webhook secrets'
keys. Nothing secret is in
docker-compose.yml itself.

With `--emulators`, also `<state-dir>/compose/clouds.env`: the local clouds of the compose
profile `emulators` for the services that call the clouds (their URLs on the compose
network and the Azure emulator's CA). Without it that file is removed, and the services
use the real clouds."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from skyclust_common.dbadmin import service_url
from skyclust_common.nats_permissions import inbox_prefix

from .launcher import DB_SERVICES, NATS_USERS, ROOT, Platform

# Where docker-compose.yml's Postgres is, as its services see it.
DATABASE = "postgresql://postgres@postgres:5432/skyclust"
FOLDER = "compose"
CLOUDS_FILE = "clouds.env"
# docker-compose.yml's profile `emulators`: its services' names and ports, and the volume
# the Azure emulator writes its CA to (mounted read-only in the services).
EMULATOR_CLOUDS = {
    "SKYCLUST_AWS_ENDPOINT_URL": "http://aws-emulator:8792",
    "SKYCLUST_GCP_ENDPOINT_URL": "http://gcp-emulator:8790",
    "SKYCLUST_AZURE_ENDPOINT_URL": "https://azure-emulator:8791",
    "SKYCLUST_AZURE_CA_BUNDLE": "/var/lib/skyclust/emulator-tls/ca.pem",
}


def service_env(service: str, secret: dict[str, object]) -> dict[str, str]:
    nats_passwords = secret["nats_passwords"]
    db_passwords = secret["db_passwords"]
    assert isinstance(nats_passwords, dict) and isinstance(db_passwords, dict)
    env = {
        "SKYCLUST_NATS_USER": service,
        "SKYCLUST_NATS_PASSWORD": str(nats_passwords[service]),
        "SKYCLUST_NATS_INBOX_PREFIX": inbox_prefix(service),
    }
    if service in DB_SERVICES:
        password = str(db_passwords[service])
        env["SKYCLUST_DATABASE_PASSWORD"] = password
        env["SKYCLUST_DATABASE_URL"] = service_url(DATABASE, service, password)
    if service == "identity" and "mfa_keys" in secret:
        env["SKYCLUST_MFA_KEYS"] = json.dumps(secret["mfa_keys"])
    if service == "notification" and "webhook_secrets_keys" in secret:
        env["SKYCLUST_WEBHOOK_SECRETS_KEYS"] = json.dumps(secret["webhook_secrets_keys"])
        # The newest version seals: a rotation adds one to secrets.json and names it here.
        env["SKYCLUST_WEBHOOK_SECRETS_ACTIVE_KEY"] = str(
            secret.get("webhook_secrets_active_key", "v1")
        )
    if service == "credential-vault":
        env["SKYCLUST_VAULT_KEYS"] = json.dumps(secret["vault_keys"])
        env["SKYCLUST_VAULT_ACTIVE_KEY"] = str(secret["vault_active_key"])
    return env


def _line(key: str, value: str) -> str:
    # Single quotes: compose takes the value as it is (no interpolation of `$`).
    if "'" in value or "\n" in value:
        raise ValueError(f"{key}: a value with a quote or a newline cannot go in an env file")
    return f"{key}='{value}'\n"


def write(state_dir: Path, *, emulators: bool = False) -> list[Path]:
    """Write one env file per service under `<state_dir>/compose/`, and with `emulators`
    the clouds' file; returns their paths."""
    state_dir.mkdir(parents=True, exist_ok=True)
    secret = Platform(state_dir=state_dir, gateway_port=0, quiet=True)._secrets()
    folder = state_dir / FOLDER
    folder.mkdir(exist_ok=True)
    written = []
    for service in NATS_USERS:
        path = folder / f"{service}.env"
        path.touch(mode=0o600)
        path.chmod(0o600)
        env = service_env(service, secret)
        path.write_text("".join(_line(k, v) for k, v in env.items()))
        written.append(path)
    clouds = folder / CLOUDS_FILE
    if emulators:
        clouds.write_text("".join(_line(k, v) for k, v in EMULATOR_CLOUDS.items()))
        written.append(clouds)
    else:
        clouds.unlink(missing_ok=True)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m skyclust_tools.compose_env")
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".skyclust")
    parser.add_argument(
        "--emulators",
        action="store_true",
        help="point the services at the local clouds of the compose profile `emulators`",
    )
    args = parser.parse_args(argv)
    for path in write(args.state_dir.resolve(), emulators=args.emulators):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
