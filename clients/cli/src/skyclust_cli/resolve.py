"""Resources named by id or by name, in one provider or in all of them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from .client import Api
from .errors import CliError, ExitCode
from .state import PROVIDERS

SKIPPED_CODES = frozenset({"PROVIDER_NOT_SUPPORTED"})


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def providers(provider: str | None) -> tuple[str, ...]:
    return (provider,) if provider else PROVIDERS


def across(
    api: Api, provider: str | None, path: Callable[[str], str], **params: Any
) -> list[dict[str, Any]]:
    """A list from every provider (or one), skipping a provider the gateway does not offer."""
    found: list[dict[str, Any]] = []
    for name in providers(provider):
        try:
            found += [
                {**item, "provider": item.get("provider") or name}
                for item in api.items(path(name), **params)
            ]
        except CliError as exc:
            if exc.code not in SKIPPED_CODES:
                raise
    return found


def one(items: Iterable[dict[str, Any]], ref: str, what: str, code: str) -> dict[str, Any]:
    matches = [i for i in items if ref in (i.get("id"), i.get("name"))]
    if not matches:
        raise CliError(code, f"no {what} {ref!r}")
    if len(matches) > 1:
        where = ", ".join(f"{m.get('provider')}/{m.get('region') or ''} {m['id']}" for m in matches)
        raise CliError(
            "AMBIGUOUS_NAME",
            f"{len(matches)} {what}s are named {ref!r} ({where}): give its id or --provider",
            ExitCode.USAGE,
        )
    return matches[0]


def clusters_path(provider: str) -> str:
    return f"/{provider}/kubernetes/clusters"


def cluster(api: Api, ref: str, provider: str | None = None) -> dict[str, Any]:
    if is_uuid(ref):
        for name in providers(provider):
            try:
                found: dict[str, Any] = api.get(f"{clusters_path(name)}/{ref}")
                return found
            except CliError as exc:
                if exc.status != 404 and exc.code not in SKIPPED_CODES:
                    raise
        raise CliError("CLUSTER_NOT_FOUND", f"no cluster {ref!r}", status=404)
    return one(across(api, provider, clusters_path), ref, "cluster", "CLUSTER_NOT_FOUND")


def cluster_path(item: dict[str, Any]) -> str:
    return f"{clusters_path(item['provider'])}/{item['id']}"


def node_group(api: Api, cluster_item: dict[str, Any], ref: str) -> dict[str, Any]:
    groups = api.items(f"{cluster_path(cluster_item)}/node-groups")
    return one(groups, ref, "node group", "NODE_GROUP_NOT_FOUND")


def credential(api: Api, ref: str) -> dict[str, Any]:
    return one(api.items("/credentials"), ref, "credential", "CREDENTIAL_NOT_FOUND")
