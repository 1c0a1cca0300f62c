"""`python -m skyclust_tools.nats_compose [--state-dir .skyclust]`: the nats-server
configuration docker-compose.yml's NATS runs with, written to `<state-dir>/nats.conf`.

It holds the same per-service users as the NATS `make run` starts itself
(`skyclust_common.nats_permissions`: each service may publish only what it owns, only
the decrypters may ask the vault for a secret, private inboxes) with the passwords of
`<state-dir>/secrets.json`, made there first if there is none, and the admin user for
operators' tools; JetStream stores under `/data` in the container. `make run` with
`SKYCLUST_NATS_URL` pointing at that NATS connects each service as its own user. Nothing
in the shipped configuration runs NATS without auth."""

from __future__ import annotations

import argparse
from pathlib import Path

from .launcher import ROOT, Platform
from .nats_auth import nats_config

# Where docker-compose.yml mounts the configuration from, relative to the repository.
CONFIG_NAME = "nats.conf"
STORE_DIR = "/data"


def write(state_dir: Path) -> Path:
    """Write `<state_dir>/nats.conf` (mode 0600) and return its path."""
    state_dir.mkdir(parents=True, exist_ok=True)
    secret = Platform(state_dir=state_dir, gateway_port=0, quiet=True)._secrets()
    path = state_dir / CONFIG_NAME
    path.write_text(
        nats_config(
            secret["nats_passwords"],
            private_inboxes=True,
            admin_password=secret["nats_admin_password"],
            store_dir=STORE_DIR,
        )
    )
    path.chmod(0o600)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m skyclust_tools.nats_compose")
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".skyclust")
    args = parser.parse_args(argv)
    print(f"wrote {write(args.state_dir.resolve())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
