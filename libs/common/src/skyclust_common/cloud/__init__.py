"""Cloud SDK client factories shared by production adapters and emulator-backed tests.

``endpoint_url=None`` builds the normal real-cloud clients; a URL points the very same
clients at the local emulators in ``tools/`` (see tools/EMULATORS.md).
"""

from .azure import (
    ARM_SCOPE,
    aks_client,
    azure_credential,
    azure_network_client,
    azure_resource_client,
    get_azure_subscription,
)
from .gcp import (
    CLOUD_PLATFORM_SCOPE,
    ComputeClients,
    compute_clients,
    gcp_credentials,
    get_gcp_project,
    gke_client,
)

__all__ = [
    "ARM_SCOPE",
    "CLOUD_PLATFORM_SCOPE",
    "ComputeClients",
    "aks_client",
    "azure_credential",
    "azure_network_client",
    "azure_resource_client",
    "compute_clients",
    "gcp_credentials",
    "get_azure_subscription",
    "get_gcp_project",
    "gke_client",
]
