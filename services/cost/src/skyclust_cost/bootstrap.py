"""The cost service's composition root."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from skyclust_common.runtime import Runtime, ServiceSpec
from skyclust_common.vault_client import VaultClient

from .adapters.billing.aws import CostExplorerCollector
from .adapters.billing.azure import CostManagementCollector
from .adapters.billing.base import BillingCollector, ForecastReader
from .adapters.billing.gcp import BigQueryExportCollector
from .adapters.db import metadata
from .adapters.pricing import AwsPriceList, AzureRetailPrices, GcpCatalog, PriceList
from .adapters.uow import SqlCostUnitOfWork
from .entrypoints import events, rpc, schedule
from .handlers.common import CostDeps, CredentialDecrypt, Prices
from .settings import CostSettings

SERVICE = "cost"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def billing_collectors(settings: CostSettings) -> dict[str, BillingCollector]:
    return {
        "aws": CostExplorerCollector(settings.aws_endpoint_url),
        "gcp": BigQueryExportCollector(
            settings.gcp_endpoint_url, dataset=settings.gcp_billing_dataset
        ),
        "azure": CostManagementCollector(
            settings.azure_endpoint_url, ca_bundle=settings.azure_ca_bundle
        ),
    }


def forecasters(collectors: Mapping[str, BillingCollector]) -> dict[str, ForecastReader]:
    """The clouds whose billing adapter also reads the cloud's own forecast: AWS and
    Azure (GCP has no forecast API)."""
    return {
        name: collector
        for name, collector in collectors.items()
        if isinstance(collector, CostExplorerCollector | CostManagementCollector)
    }


def price_lists(settings: CostSettings) -> dict[str, PriceList]:
    return {
        "aws": AwsPriceList(settings.aws_endpoint_url),
        "gcp": GcpCatalog(settings.gcp_endpoint_url),
        "azure": AzureRetailPrices(
            settings.azure_retail_prices_url or settings.azure_endpoint_url,
            ca_bundle=settings.azure_ca_bundle,
        ),
    }


def bootstrap(
    runtime: Runtime,
    settings: CostSettings,
    *,
    collectors: Mapping[str, BillingCollector] | None = None,
    decrypt_credential: CredentialDecrypt | None = None,
    pricing: Mapping[str, PriceList] | None = None,
) -> CostDeps:
    vault = VaultClient(runtime.bus)
    db = runtime.db

    def uow() -> SqlCostUnitOfWork:
        return SqlCostUnitOfWork(db.sessions, db.metadata, runtime.registry, db.relay.wake)

    prices = Prices()
    billing = collectors if collectors is not None else billing_collectors(settings)
    return CostDeps(
        uow=uow,
        collectors=billing,
        forecasters=forecasters(billing),
        cloud_forecast_timeout=settings.cloud_forecast_timeout_seconds,
        decrypt_credential=decrypt_credential or vault.decrypt,
        collect_days=settings.collect_days,
        price=prices.hourly,
        price_lists=pricing if pricing is not None else price_lists(settings),
        price_ttl_seconds=settings.price_ttl_seconds,
        prices=prices,
    )


async def wire(runtime: Runtime, settings: CostSettings, **overrides: Any) -> CostDeps:
    deps = bootstrap(runtime, settings, **overrides)
    await rpc.register(runtime.bus, deps)
    await events.register(runtime.bus, deps)
    return deps


SPEC = ServiceSpec(
    name=SERVICE,
    settings=CostSettings,
    wire=wire,
    metadata=metadata,
    migrations=MIGRATIONS,
    jobs=schedule.jobs,
)
