"""Azure clients built from a service principal, for real Azure or the local emulator.

The emulator serves Entra ID and ARM from one HTTPS URL; ``ca_bundle`` is the PEM file
that signs its certificate (MSAL and azure-core accept only https authorities and
bearer-token URLs). Extra keyword arguments go to the SDK client (``retry_total``,
``polling_interval``, ``connection_timeout``, ``read_timeout``...).
The SDKs are imported lazily: skyclust-common does not depend on them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.identity import ClientSecretCredential
    from azure.mgmt.containerservice import ContainerServiceClient
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient

ARM_SCOPE = "https://management.azure.com/.default"


def _transport_options(ca_bundle: str | None) -> dict[str, Any]:
    return {"connection_verify": ca_bundle} if ca_bundle else {}


def azure_credential(
    tenant_id: str,
    client_id: str,
    client_secret: str,
    endpoint_url: str | None = None,
    *,
    ca_bundle: str | None = None,
    **kwargs: Any,
) -> ClientSecretCredential:
    """Client-credentials credential; against the emulator its URL is the Entra authority.

    Instance discovery is disabled there because MSAL would otherwise ask
    login.microsoftonline.com whether the emulator is a known authority.
    """
    from azure.identity import ClientSecretCredential

    if endpoint_url is None:
        return ClientSecretCredential(
            tenant_id, client_id, client_secret, **_transport_options(ca_bundle), **kwargs
        )
    return ClientSecretCredential(
        tenant_id,
        client_id,
        client_secret,
        authority=endpoint_url.rstrip("/"),
        disable_instance_discovery=True,
        **_transport_options(ca_bundle),
        **kwargs,
    )


def _arm_options(endpoint_url: str | None, ca_bundle: str | None) -> dict[str, Any]:
    options = _transport_options(ca_bundle)
    if endpoint_url is not None:
        options["base_url"] = endpoint_url.rstrip("/")
        options["credential_scopes"] = [ARM_SCOPE]
    return options


def aks_client(
    credential: TokenCredential,
    subscription_id: str,
    endpoint_url: str | None = None,
    *,
    ca_bundle: str | None = None,
    **kwargs: Any,
) -> ContainerServiceClient:
    from azure.mgmt.containerservice import ContainerServiceClient

    return ContainerServiceClient(
        credential, subscription_id, **_arm_options(endpoint_url, ca_bundle), **kwargs
    )


def azure_network_client(
    credential: TokenCredential,
    subscription_id: str,
    endpoint_url: str | None = None,
    *,
    ca_bundle: str | None = None,
    **kwargs: Any,
) -> NetworkManagementClient:
    from azure.mgmt.network import NetworkManagementClient

    return NetworkManagementClient(
        credential, subscription_id, **_arm_options(endpoint_url, ca_bundle), **kwargs
    )


def azure_resource_client(
    credential: TokenCredential,
    subscription_id: str,
    endpoint_url: str | None = None,
    *,
    ca_bundle: str | None = None,
    **kwargs: Any,
) -> ResourceManagementClient:
    from azure.mgmt.resource.resources import ResourceManagementClient

    return ResourceManagementClient(
        credential, subscription_id, **_arm_options(endpoint_url, ca_bundle), **kwargs
    )


def get_azure_subscription(
    credential: TokenCredential,
    subscription_id: str,
    endpoint_url: str | None = None,
    *,
    ca_bundle: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """ARM ``GET /subscriptions/{id}`` (credential check).

    The subscriptions API lives in a package we do not install, so this sends the request
    through the resource client's pipeline; errors raise the usual azure-core exceptions
    (``ClientAuthenticationError``, ``ResourceNotFoundError``, ``HttpResponseError``).
    """
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
        map_error,
    )
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat

    client = azure_resource_client(
        credential, subscription_id, endpoint_url, ca_bundle=ca_bundle, **kwargs
    )
    with client:
        response = client.send_request(
            HttpRequest("GET", f"/subscriptions/{subscription_id}?api-version=2022-12-01")
        )
        if response.status_code != 200:
            error_map = {
                401: ClientAuthenticationError,
                404: ResourceNotFoundError,
                409: ResourceExistsError,
            }
            map_error(status_code=response.status_code, response=response, error_map=error_map)
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        result: dict[str, Any] = response.json()
        return result
