"""Every metric the services export, read from the Prometheus registry their code fills
when it is imported (a metric is declared at module level, next to where it is counted):
the truth the dashboard, the alerts and docs/operations.md are checked against."""

from __future__ import annotations

import importlib

from prometheus_client import REGISTRY

SERVICES = {
    "gateway": "skyclust_gateway",
    "identity": "skyclust_identity",
    "credential-vault": "skyclust_vault",
    "provisioning": "skyclust_provisioning",
    "network": "skyclust_network",
    "cost": "skyclust_cost",
    "notification": "skyclust_notification",
}
# Series Prometheus itself makes for every scrape target.
SCRAPE_SERIES = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("_count", "_sum", "_created"),
    "info": ("_info",),
}


def families() -> dict[str, str]:
    """Each metric family the services declare, by name, with its type."""
    for package in SERVICES.values():
        importlib.import_module(f"{package}.bootstrap")
    return {family.name: family.type for family in REGISTRY.collect()}


def series() -> set[str]:
    """Every series name a query may use: a histogram's `_bucket`, `_count`, `_sum`, a
    counter's `_total`, a gauge's own name."""
    names = set(SCRAPE_SERIES)
    for name, kind in families().items():
        suffixes = SUFFIXES.get(kind, ())
        names |= {name + suffix for suffix in suffixes} if suffixes else {name}
    return names


def skyclust_families() -> dict[str, str]:
    """The families SkyClust's own code declares (not the client library's process and
    Python collectors)."""
    return {
        name: kind
        for name, kind in families().items()
        if not name.startswith(("process_", "python_"))
    }
