"""Operator commands every service has, driven by its ServiceSpec alone:

    python -m <package> migrate        apply the schema's migrations (advisory-locked)
    python -m <package> bootstrap-db   create or update the service's role and schema
    python -m <package> nats-config    the service's NATS user and permissions (JSON)
    python -m <package> check          settings, NATS, database and schema, as JSON

Each prints one JSON document on stdout and exits 0, or prints a one-line reason on
stderr and exits non-zero (2 bad settings or arguments, 1 a check that failed), never a
stack trace. A new service gets them by declaring its SPEC."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import asyncpg
import nats
from pydantic import ValidationError

from .db import create_engine
from .dbadmin import provision_service, role_name, schema_name
from .migrations import SchemaNotMigrated, require_head, upgrade_head
from .nats_permissions import SERVICES, inbox_prefix, permissions
from .settings import DatabaseServiceSettings, ServiceSettings

if TYPE_CHECKING:
    from .runtime import ServiceSpec

COMMANDS = ("migrate", "bootstrap-db", "nats-config", "check")
ADMIN_URL_ENV = "SKYCLUST_ADMIN_DATABASE_URL"
PASSWORD_ENV = "SKYCLUST_DATABASE_PASSWORD"


class OperatorError(Exception):
    """A refused operator command; `exit_code` 2 for bad input, 1 for a failed step."""

    def __init__(
        self, message: str, exit_code: int = 2, report: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.report = report


def parser(package: str) -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog=f"python -m {package}", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply the migrations, one replica at a time")
    boot = commands.add_parser("bootstrap-db", help="the service's login role and schema")
    boot.add_argument(
        "--admin-url", default=None, help=f"an administrator's URL (default ${ADMIN_URL_ENV})"
    )
    boot.add_argument(
        "--password-env",
        default=PASSWORD_ENV,
        help="the variable holding the role's password (a password never goes on argv)",
    )
    cfg = commands.add_parser("nats-config", help="this service's NATS user, as JSON")
    cfg.add_argument(
        "--shared-inboxes",
        action="store_true",
        help="allow _INBOX.> instead of the service's private inbox prefix",
    )
    cfg.add_argument(
        "--password-env",
        default="SKYCLUST_NATS_PASSWORD",
        help="the variable holding the user's password",
    )
    check = commands.add_parser("check", help="settings and reachability")
    check.add_argument("--timeout", type=float, default=5.0)
    return root


def operator_main(spec: ServiceSpec[Any, Any], argv: Sequence[str]) -> int:
    from .runtime import package_of, settings_problems

    package = package_of(spec)
    try:
        args = parser(package).parse_args(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        result = asyncio.run(_run(spec, package, args))
    except ValidationError as exc:
        print(f"{spec.name}: bad settings: {settings_problems(exc)}", file=sys.stderr)
        return 2
    except OperatorError as exc:
        print(f"{spec.name} {args.command}: {exc}", file=sys.stderr)
        if exc.report is not None:
            print(json.dumps(exc.report, indent=2))
        return exc.exit_code
    print(json.dumps(result, indent=2))
    return 0


async def _run(spec: ServiceSpec[Any, Any], package: str, args: argparse.Namespace) -> Any:
    if args.command == "bootstrap-db":
        return await bootstrap_db(spec, args.admin_url, args.password_env)
    if args.command == "nats-config":
        return nats_user(spec.name, args.password_env, private_inboxes=not args.shared_inboxes)
    settings = spec.settings()
    if args.command == "migrate":
        return await migrate(spec, settings)
    return await check(spec, package, settings, args.timeout)


async def migrate(spec: ServiceSpec[Any, Any], settings: ServiceSettings) -> dict[str, Any]:
    if spec.metadata is None or spec.migrations is None:
        return {"service": spec.name, "migrated": False, "reason": "no database"}
    assert isinstance(settings, DatabaseServiceSettings)
    url = settings.database_url.get_secret_value()
    try:
        await asyncio.to_thread(upgrade_head, url, spec.migrations)
    except (OSError, asyncpg.PostgresError) as exc:
        raise OperatorError(f"database: {exc}", exit_code=1) from exc
    return {"service": spec.name, "migrated": True, "schema": spec.metadata.schema}


async def bootstrap_db(
    spec: ServiceSpec[Any, Any], admin_url: str | None, password_env: str
) -> dict[str, Any]:
    if spec.metadata is None:
        return {"service": spec.name, "bootstrapped": False, "reason": "no database"}
    admin_url = admin_url or os.environ.get(ADMIN_URL_ENV)
    if not admin_url:
        raise OperatorError(f"an administrator URL is needed: --admin-url or ${ADMIN_URL_ENV}")
    password = os.environ.get(password_env)
    if not password:
        raise OperatorError(f"${password_env} must hold the role's password")
    try:
        await provision_service(admin_url, spec.name, password)
    except (OSError, asyncpg.PostgresError) as exc:
        raise OperatorError(f"database: {exc}", exit_code=1) from exc
    return {
        "service": spec.name,
        "bootstrapped": True,
        "role": role_name(spec.name),
        "schema": schema_name(spec.name),
    }


def nats_user(service: str, password_env: str, *, private_inboxes: bool) -> dict[str, Any]:
    """One entry for the `authorization.users` list of nats-server's configuration."""
    if service not in SERVICES:
        raise OperatorError(f"{service} has no NATS user in the permission table")
    password = os.environ.get(password_env)
    if not password:
        raise OperatorError(f"${password_env} must hold the user's password")
    return {
        "user": service,
        "password": password,
        "permissions": permissions(service, private_inboxes=private_inboxes).as_config(),
        # The prefix the service must connect with (SKYCLUST_NATS_INBOX_PREFIX).
        "inbox_prefix": inbox_prefix(service) if private_inboxes else "_INBOX",
    }


async def check(
    spec: ServiceSpec[Any, Any], package: str, settings: ServiceSettings, timeout: float
) -> dict[str, Any]:
    checks: dict[str, str] = {"settings": "ok"}
    try:
        # nats-py retries a refused first connect on its own; the deadline is ours.
        nc = await asyncio.wait_for(
            nats.connect(
                settings.nats_url,
                user=settings.nats_user,
                password=(
                    settings.nats_password.get_secret_value() if settings.nats_password else None
                ),
                connect_timeout=timeout,
                max_reconnect_attempts=0,
                allow_reconnect=False,
            ),
            timeout,
        )
        await nc.close()
        checks["nats"] = "ok"
    except Exception as exc:
        checks["nats"] = f"unreachable: {type(exc).__name__}: {exc}"
    if spec.metadata is not None and spec.migrations is not None:
        assert isinstance(settings, DatabaseServiceSettings)
        engine = create_engine(settings.database_url.get_secret_value(), pool_size=1)
        try:
            await asyncio.wait_for(
                require_head(
                    engine, spec.metadata, spec.migrations, f"python -m {package} migrate"
                ),
                timeout,
            )
            checks["database"] = "ok"
            checks["schema"] = "ok"
        except SchemaNotMigrated as exc:
            checks["database"] = "ok"
            checks["schema"] = str(exc)
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}: {exc}"
        finally:
            await engine.dispose()
    report = {"service": spec.name, "checks": checks}
    failed = [name for name, state in checks.items() if state != "ok"]
    if failed:
        raise OperatorError(f"failed: {', '.join(failed)}", exit_code=1, report=report)
    return report
