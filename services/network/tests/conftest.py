"""The clouds the network tests run against: moto as AWS, the project's GCP and Azure
emulators (operation durations 0), and the in-memory fake; each test gets a fresh account
(a GCP project, an Azure subscription, an AWS region and unique tags) so tests stay apart.
Also the service's schema in the session's PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from skyclust_common.cloud import azure_credential, azure_network_client, compute_clients
from skyclust_common.db import create_engine
from skyclust_common.dbadmin import provision_service
from skyclust_common.migrations import upgrade_head
from skyclust_network.adapters.providers.aws import Ec2NetworkProvider
from skyclust_network.adapters.providers.azure import ArmNetworkProvider
from skyclust_network.adapters.providers.base import NetworkProvider
from skyclust_network.adapters.providers.fake import FakeNetworkProvider
from skyclust_network.adapters.providers.gcp import ComputeNetworkProvider
from skyclust_tools.embedded import free_port
from skyclust_tools.emulators import azure as azure_emulator
from skyclust_tools.emulators import gcp as gcp_emulator

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
BACKENDS = ["fake", "aws", "gcp", "azure"]
AWS_REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1"]
REGION = {"fake": "us-east-1", "aws": "us-east-1", "gcp": "europe-west1", "azure": "westeurope"}


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="session")
def gcp_cloud() -> Iterator[gcp_emulator.RunningGcpEmulator]:
    with gcp_emulator.run_in_thread(durations={"default": 0}) as running:
        yield running


@pytest.fixture(scope="session")
def azure_cloud() -> Iterator[azure_emulator.RunningAzureEmulator]:
    with azure_emulator.run_in_thread(durations={"default": 0}) as running:
        yield running


@dataclass
class Cloud:
    """One backend as the tests see it: the adapter, a credential for it, a region, and
    a way to reach the cloud directly (as someone using its console would)."""

    kind: str
    provider: NetworkProvider
    credential: dict[str, Any]
    region: str
    direct: Any = None
    admin: Any = None

    def foreign_vpc(self, name: str, cidr: str) -> str:
        """A network made outside SkyClust; returns its cloud id."""
        if self.kind == "fake":
            assert isinstance(self.provider, FakeNetworkProvider)
            return self.provider.add_foreign_vpc(name, self.region, cidr)
        if self.kind == "aws":
            vpc = self.direct.create_vpc(
                CidrBlock=cidr,
                TagSpecifications=[
                    {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}
                ],
            )["Vpc"]
            return str(vpc["VpcId"])
        if self.kind == "gcp":
            project = self.credential_key()["project_id"]
            self.direct.networks.insert(
                project=project,
                network_resource={"name": name, "auto_create_subnetworks": False},
            ).result(timeout=10)
            self.direct.subnetworks.insert(
                project=project,
                region=self.region,
                subnetwork_resource={
                    "name": f"{name}-sub",
                    "network": f"global/networks/{name}",
                    "ip_cidr_range": cidr,
                },
            ).result(timeout=10)
            return str(self.direct.networks.get(project=project, network=name).self_link)
        network, resources = self.direct
        resources.resource_groups.create_or_update("console", {"location": self.region})
        vnet = network.virtual_networks.begin_create_or_update(
            "console",
            name,
            {"location": self.region, "properties": {"addressSpace": {"addressPrefixes": [cidr]}}},
        ).result()
        return str(vnet.id)

    def credential_key(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.credential["service_account_json"])
        return loaded


def _aws(moto_url: str, region: str) -> Cloud:
    credential = {
        "access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "region": region,
    }
    direct = boto3.client(
        "ec2",
        region_name=region,
        endpoint_url=moto_url,
        aws_access_key_id=credential["access_key_id"],
        aws_secret_access_key=credential["secret_access_key"],
    )
    return Cloud("aws", Ec2NetworkProvider(moto_url), credential, region, direct)


def _gcp(running: gcp_emulator.RunningGcpEmulator) -> Cloud:
    key = running.admin.create_service_account_key(f"p-{uuid.uuid4().hex[:12]}")
    credential = {"service_account_json": json.dumps(key)}
    return Cloud(
        "gcp",
        ComputeNetworkProvider(running.url, operation_timeout=10, retry_deadline=1),
        credential,
        REGION["gcp"],
        compute_clients(key, running.url),
        running.admin,
    )


def _azure(running: azure_emulator.RunningAzureEmulator) -> Cloud:
    account = running.admin.create_account()
    credential = {
        k: account[k] for k in ("tenant_id", "client_id", "client_secret", "subscription_id")
    }
    from skyclust_common.cloud import azure_resource_client

    token = azure_credential(
        account["tenant_id"],
        account["client_id"],
        account["client_secret"],
        running.url,
        ca_bundle=running.ca_bundle,
    )
    direct = (
        azure_network_client(
            token, account["subscription_id"], running.url, ca_bundle=running.ca_bundle
        ),
        azure_resource_client(
            token, account["subscription_id"], running.url, ca_bundle=running.ca_bundle
        ),
    )
    provider = ArmNetworkProvider(
        running.url,
        ca_bundle=running.ca_bundle,
        polling_interval=0.05,
        client_options={"retry_backoff_factor": 0.01},
    )
    return Cloud("azure", provider, credential, REGION["azure"], direct, running.admin)


@pytest.fixture
def make_cloud(request: pytest.FixtureRequest) -> Callable[[str], Cloud]:
    """`make_cloud(kind)`: a fresh account on that backend (emulators start on first use)."""

    def make(kind: str) -> Cloud:
        if kind == "fake":
            return Cloud("fake", FakeNetworkProvider(), {"token": "fake"}, REGION["fake"])
        if kind == "aws":
            # Tests share one moto: a region per test keeps their listings apart.
            region = AWS_REGIONS[zlib.crc32(request.node.nodeid.encode()) % len(AWS_REGIONS)]
            return _aws(request.getfixturevalue("moto_url"), region)
        if kind == "gcp":
            return _gcp(request.getfixturevalue("gcp_cloud"))
        return _azure(request.getfixturevalue("azure_cloud"))

    return make


@pytest.fixture(params=BACKENDS)
def cloud(request: pytest.FixtureRequest, make_cloud: Callable[[str], Cloud]) -> Cloud:
    return make_cloud(request.param)


@pytest.fixture(scope="session")
async def sessions(postgres: Any) -> Any:
    url = await provision_service(postgres.url, "network", "network-test")
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    engine = create_engine(url)
    factory: async_sessionmaker[AsyncSession] = async_sessionmaker(engine, expire_on_commit=False)
    yield factory
    await engine.dispose()
