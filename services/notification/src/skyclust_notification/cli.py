"""`python -m skyclust_notification secrets status|reseal`: the webhook secrets' keys for
operators, with the service's own settings (SKYCLUST_DATABASE_URL,
SKYCLUST_WEBHOOK_SECRETS_KEYS, SKYCLUST_WEBHOOK_SECRETS_ACTIVE_KEY). Prints JSON; exits 1
when a secret did not open or is left under a version the keys do not hold."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import async_sessionmaker

from skyclust_common.contracts import load_registry
from skyclust_common.db import create_engine
from skyclust_common.migrations import upgrade_head

from .adapters.db import metadata
from .adapters.uow import SqlNotificationUnitOfWork
from .bootstrap import MIGRATIONS
from .handlers import secrets
from .handlers.common import NotificationDeps
from .settings import NotificationSettings


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m skyclust_notification", description=__doc__)
    groups = root.add_subparsers(dest="group", required=True)
    group = groups.add_parser("secrets", help="webhook secrets' key rotation")
    actions = group.add_subparsers(dest="action", required=True)
    actions.add_parser("status", help="stored secrets per key version")
    reseal = actions.add_parser("reseal", help="seal every secret under the active key")
    reseal.add_argument("--batch-size", type=int, default=secrets.DEFAULT_BATCH)
    return root


async def run(args: argparse.Namespace, settings: NotificationSettings) -> dict[str, Any]:
    url = settings.database_url.get_secret_value()
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    engine = create_engine(url, pool_size=2)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    registry = load_registry(settings.contracts_dir)
    box = settings.secret_box()

    def uow() -> SqlNotificationUnitOfWork:
        return SqlNotificationUnitOfWork(sessions, metadata, registry, secret_box=box)

    async def no_members(_workspace: str) -> list[Any]:
        return []

    deps = NotificationDeps(uow=uow, members=no_members, public_url=settings.public_url)
    try:
        if args.action == "status":
            result = await secrets.sealed_status(deps)
        else:
            result = await secrets.reseal_all(deps, max(1, args.batch_size))
    finally:
        await engine.dispose()
    result["active"] = box.active
    result["configured"] = list(box.versions)
    return result


def unopenable(result: dict[str, Any]) -> list[str]:
    """Versions secrets are stored under that the configured keys cannot open."""
    return sorted(v for v in result["secrets"] if v != "clear" and v not in result["configured"])


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(list(argv))
    try:
        settings = NotificationSettings()
    except ValidationError as exc:
        fields = ", ".join("SKYCLUST_" + "_".join(map(str, e["loc"])).upper() for e in exc.errors())
        print(f"the notification settings are missing or invalid: {fields}", file=sys.stderr)
        return 2
    result = asyncio.run(run(args, settings))
    print(json.dumps(result, indent=2))
    return 1 if unopenable(result) or result.get("failed") else 0
