"""`python -m skyclust_tools.migrations SERVICE "message"`: autogenerate a migration for a
service against a throwaway embedded PostgreSQL at the service's current head."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import shutil
from pathlib import Path

from alembic import command

from skyclust_common.dbadmin import provision_service
from skyclust_common.migrations import alembic_config

from .embedded import PostgresServer, scratch_dir

ROOT = Path(__file__).resolve().parents[3]
SERVICES = {
    "identity": "skyclust_identity",
    "credential-vault": "skyclust_vault",
    "provisioning": "skyclust_provisioning",
    "network": "skyclust_network",
    "cost": "skyclust_cost",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service", choices=sorted(SERVICES))
    parser.add_argument("message")
    args = parser.parse_args()
    importlib.import_module(f"{SERVICES[args.service]}.adapters.db")
    migrations = ROOT / "services" / args.service / "migrations"
    (migrations / "versions").mkdir(parents=True, exist_ok=True)
    data = scratch_dir("sc-mig-")
    server = PostgresServer(data).start()
    try:
        url = asyncio.run(provision_service(server.url, args.service, "migrations"))
        config = alembic_config(url, migrations)
        command.upgrade(config, "head")
        command.revision(config, message=args.message, autogenerate=True)
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
