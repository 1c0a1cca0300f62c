"""`python -m skyclust_vault keys status|rewrap|retire VERSION`: key rotation for
operators, with the vault's own settings (SKYCLUST_DATABASE_URL, SKYCLUST_VAULT_KEYS,
SKYCLUST_VAULT_ACTIVE_KEY, and SKYCLUST_VAULT_KEYRING with SKYCLUST_VAULT_KMS_KEYS for a
KMS). Prints JSON; exits 1 with the error code when refused."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import async_sessionmaker

from skyclust_common.contracts import load_registry
from skyclust_common.db import create_engine
from skyclust_common.errors import SkyclustError
from skyclust_common.migrations import upgrade_head

from .adapters.audit import NoAuditTrail
from .adapters.db import metadata
from .adapters.uow import VaultUnitOfWork
from .bootstrap import MIGRATIONS, cloud_checkers, keyring
from .handlers import keys
from .handlers.credentials import VaultDeps
from .settings import VaultSettings


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m skyclust_vault", description=__doc__)
    commands = root.add_subparsers(dest="group", required=True)
    key_commands = commands.add_parser("keys", help="key-encryption key rotation")
    actions = key_commands.add_subparsers(dest="action", required=True)
    actions.add_parser("status", help="versions configured, retired, and in use")
    rewrap = actions.add_parser("rewrap", help="move every credential to the active version")
    rewrap.add_argument("--batch-size", type=int, default=None)
    retire = actions.add_parser("retire", help="retire a version no credential uses")
    retire.add_argument("version")
    retire.add_argument("--by", default=None, help="who retires it (default: this user)")
    return root


async def run(args: argparse.Namespace, settings: VaultSettings) -> dict[str, Any]:
    url = settings.database_url.get_secret_value()
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    engine = create_engine(url, pool_size=2)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    registry = load_registry(settings.contracts_dir)
    deps = VaultDeps(
        uow=lambda: VaultUnitOfWork(sessions, metadata, registry),
        keys=keyring(settings),
        decrypt_callers=frozenset(),
        checker=cloud_checkers(settings),
        audit=NoAuditTrail(),
    )
    try:
        if args.action == "status":
            return await keys.key_status(deps)
        if args.action == "rewrap":
            # The operator asks for this version: it becomes the target of background
            # rewraps too, so no instance moves credentials elsewhere meanwhile.
            await keys.activate(deps)
            batch = args.batch_size or settings.vault_rewrap_batch_size
            report = await keys.rewrap_all(deps, batch)
            status = await keys.key_status(deps)
            return {"rewrapped": report.rewrapped, "failed": report.failed, "status": status}
        return await keys.retire(deps, args.version, args.by or getpass.getuser())
    finally:
        await engine.dispose()


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        settings = VaultSettings()
    except ValidationError as exc:
        fields = ", ".join("SKYCLUST_" + "_".join(map(str, e["loc"])).upper() for e in exc.errors())
        print(f"the vault's settings are missing or invalid: {fields}", file=sys.stderr)
        return 2
    try:
        result = asyncio.run(run(args, settings))
    except SkyclustError as exc:
        print(json.dumps({"error": exc.to_dict()}), file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0 if not result.get("failed") else 1
