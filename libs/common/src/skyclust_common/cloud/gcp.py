"""Google Cloud clients built from a service-account key, for real GCP or the local emulator.

Every client uses the REST transport, so the code path is the same against both.
The SDKs are imported lazily: skyclust-common does not depend on them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google.cloud import compute_v1, container_v1
    from google.oauth2 import service_account

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
RESOURCE_MANAGER_URL = "https://cloudresourcemanager.googleapis.com"


def gcp_credentials(
    service_account_info: Mapping[str, Any],
    endpoint_url: str | None = None,
    *,
    scopes: Sequence[str] = (CLOUD_PLATFORM_SCOPE,),
) -> service_account.Credentials:
    """Scoped service-account credentials.

    With ``endpoint_url`` set (the emulator), google-auth's Regional Access Boundary lookup
    is switched off: it always calls iamcredentials.googleapis.com, whatever the API endpoint.
    """
    from google.oauth2 import service_account

    cls: type[service_account.Credentials] = service_account.Credentials
    if endpoint_url is not None:
        cls = _emulator_credentials_class()
    return cls.from_service_account_info(dict(service_account_info), scopes=list(scopes))


def _emulator_credentials_class() -> type[service_account.Credentials]:
    from google.oauth2 import service_account

    class EmulatorServiceAccountCredentials(service_account.Credentials):
        def _is_regional_access_boundary_lookup_required(self) -> bool:
            return False

    return EmulatorServiceAccountCredentials


def _client_options(endpoint_url: str | None) -> dict[str, str] | None:
    return {"api_endpoint": endpoint_url.rstrip("/")} if endpoint_url else None


def gke_client(
    service_account_info: Mapping[str, Any], endpoint_url: str | None = None
) -> container_v1.ClusterManagerClient:
    """GKE ``ClusterManagerClient`` (REST transport)."""
    from google.cloud import container_v1

    return container_v1.ClusterManagerClient(
        credentials=gcp_credentials(service_account_info, endpoint_url),
        transport="rest",
        client_options=_client_options(endpoint_url),
    )


@dataclass(frozen=True)
class ComputeClients:
    networks: compute_v1.NetworksClient
    subnetworks: compute_v1.SubnetworksClient
    firewalls: compute_v1.FirewallsClient
    global_operations: compute_v1.GlobalOperationsClient
    region_operations: compute_v1.RegionOperationsClient
    zone_operations: compute_v1.ZoneOperationsClient
    instance_group_managers: compute_v1.InstanceGroupManagersClient


def compute_clients(
    service_account_info: Mapping[str, Any], endpoint_url: str | None = None
) -> ComputeClients:
    """Compute clients for VPC networking, sharing one set of credentials.

    ``ExtendedOperation.result()`` polls through an operations client that the compute
    transport builds itself with default options, i.e. always against compute.googleapis.com.
    We hand each transport the operations clients built here so polling follows
    ``endpoint_url`` too.
    """
    from google.cloud import compute_v1

    credentials = gcp_credentials(service_account_info, endpoint_url)
    options = _client_options(endpoint_url)

    def build(cls: Any) -> Any:
        return cls(credentials=credentials, transport="rest", client_options=options)

    clients = ComputeClients(
        networks=build(compute_v1.NetworksClient),
        subnetworks=build(compute_v1.SubnetworksClient),
        firewalls=build(compute_v1.FirewallsClient),
        global_operations=build(compute_v1.GlobalOperationsClient),
        region_operations=build(compute_v1.RegionOperationsClient),
        zone_operations=build(compute_v1.ZoneOperationsClient),
        instance_group_managers=build(compute_v1.InstanceGroupManagersClient),
    )
    if endpoint_url is not None:
        operations = {
            "global_operations": clients.global_operations,
            "region_operations": clients.region_operations,
            "zone_operations": clients.zone_operations,
        }
        for client in (
            clients.networks,
            clients.subnetworks,
            clients.firewalls,
            clients.instance_group_managers,
        ):
            client._transport._extended_operations_services.update(operations)
    return clients


def get_gcp_project(
    service_account_info: Mapping[str, Any],
    endpoint_url: str | None = None,
    *,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Resource Manager ``v1/projects/{project_id}`` for the key's project (credential check).

    Uses an OAuth access token from the key's ``token_uri`` (the JWT-bearer grant), so a
    revoked or forged key fails here with ``google.auth.exceptions.RefreshError``; API errors
    raise the usual ``google.api_core.exceptions`` types.
    """
    from google.api_core import exceptions
    from google.auth.transport.requests import AuthorizedSession

    project_id = service_account_info["project_id"]
    base = (endpoint_url or RESOURCE_MANAGER_URL).rstrip("/")
    with AuthorizedSession(gcp_credentials(service_account_info, endpoint_url)) as session:
        response = session.get(f"{base}/v1/projects/{project_id}", timeout=timeout)
    if response.status_code >= 400:
        raise exceptions.from_http_response(response)
    result: dict[str, Any] = response.json()
    return result
