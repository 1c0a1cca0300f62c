"""One emulator of each kind per session, reset before every test; clients come from the
same factory functions production adapters use."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from google.cloud import container_v1

from skyclust_common.cloud import (
    ComputeClients,
    aks_client,
    azure_credential,
    azure_network_client,
    azure_resource_client,
    compute_clients,
    gke_client,
)
from skyclust_tools.emulators import AzureAdmin, GcpAdmin
from skyclust_tools.emulators import azure as azure_emulator
from skyclust_tools.emulators import gcp as gcp_emulator

GCP_PROJECT = "skyclust-test"


@pytest.fixture(scope="session")
def gcp_server() -> Iterator[gcp_emulator.RunningGcpEmulator]:
    with gcp_emulator.run_in_thread(durations={"default": 0}) as running:
        yield running


@pytest.fixture(scope="session")
def azure_server() -> Iterator[azure_emulator.RunningAzureEmulator]:
    with azure_emulator.run_in_thread(durations={"default": 0}) as running:
        yield running


@dataclass
class Gcp:
    url: str
    admin: GcpAdmin
    key: dict[str, Any]
    project: str

    def gke(self) -> container_v1.ClusterManagerClient:
        return gke_client(self.key, self.url)

    def compute(self) -> ComputeClients:
        return compute_clients(self.key, self.url)


@pytest.fixture
def gcp(gcp_server: gcp_emulator.RunningGcpEmulator) -> Gcp:
    gcp_server.admin.reset()
    key = gcp_server.admin.create_service_account_key(GCP_PROJECT)
    return Gcp(gcp_server.url, gcp_server.admin, key, GCP_PROJECT)


@dataclass
class Azure:
    url: str
    admin: AzureAdmin
    ca_bundle: str
    account: dict[str, Any]

    @property
    def subscription_id(self) -> str:
        return str(self.account["subscription_id"])

    def credential(self, *, client_secret: str | None = None, tenant_id: str | None = None) -> Any:
        return azure_credential(
            tenant_id or self.account["tenant_id"],
            self.account["client_id"],
            client_secret or self.account["client_secret"],
            self.url,
            ca_bundle=self.ca_bundle,
        )

    def resources(self, credential: Any = None, **kwargs: Any) -> Any:
        return azure_resource_client(
            credential or self.credential(),
            self.subscription_id,
            self.url,
            ca_bundle=self.ca_bundle,
            **kwargs,
        )

    def network(self, credential: Any = None, **kwargs: Any) -> Any:
        return azure_network_client(
            credential or self.credential(),
            self.subscription_id,
            self.url,
            ca_bundle=self.ca_bundle,
            **kwargs,
        )

    def aks(self, credential: Any = None, **kwargs: Any) -> Any:
        return aks_client(
            credential or self.credential(),
            self.subscription_id,
            self.url,
            ca_bundle=self.ca_bundle,
            **kwargs,
        )


@pytest.fixture
def azure(azure_server: azure_emulator.RunningAzureEmulator) -> Azure:
    azure_server.admin.reset()
    account = azure_server.admin.create_account()
    return Azure(azure_server.url, azure_server.admin, azure_server.ca_bundle, account)
