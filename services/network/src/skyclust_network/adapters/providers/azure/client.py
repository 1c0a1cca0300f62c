"""Azure VNets, subnets and network security groups through azure-mgmt-network.

Every VNet lives in a resource group (created if missing, never deleted: others may use
it). VNets and NSGs carry SkyClust's owner tag; subnets cannot be tagged, so inside a
VNet SkyClust created, a subnet of the requested name and range is the one a previous
attempt made. A VNet is never re-PUT after creation: a PUT without its subnets would
delete them."""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from skyclust_common.cloud import azure_credential, azure_network_client, azure_resource_client
from skyclust_common.errors import ProviderError
from skyclust_common.logs import register_secret

from ....domain.errors import (
    ProviderAccessDenied,
    ProviderAuthFailed,
    ProviderInvalidRequest,
    ProviderNameTaken,
    ProviderNotFound,
    ProviderQuotaExceeded,
    ProviderResourceInUse,
    ProviderThrottled,
    ProviderUnavailable,
)
from ....domain.model import (
    Rule,
    VpcSpec,
    default_resource_group,
)
from ..base import Credential
from ..clients import ClientCache
from ..threaded import ThreadedProvider

PROVIDER = "azure"
IN_USE_CODES = {
    "InUseSubnetCannotBeDeleted",
    "InUseNetworkSecurityGroupCannotBeDeleted",
    "InUseVirtualNetworkCannotBeDeleted",
}
RETRYABLE_CODES = {
    "AnotherOperationInProgress",
    "RetryableError",
    "ReferencedResourceNotProvisioned",
}
PROTOCOL_IN = {"tcp": "Tcp", "udp": "Udp", "icmp": "Icmp", "all": "*"}
PROTOCOL_OUT = {"Tcp": "tcp", "Udp": "udp", "Icmp": "icmp", "*": "all"}


def translate(exc: Exception) -> ProviderError | None:
    def error(
        kind: type[ProviderError], retryable: bool = False, azure_code: str | None = None
    ) -> ProviderError:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        details = {"azure_code": azure_code} if azure_code else {}
        return kind(str(message)[:2000], retryable=retryable, provider=PROVIDER, details=details)

    if isinstance(exc, ClientAuthenticationError):
        return error(ProviderAuthFailed)
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return error(ProviderUnavailable, retryable=True)
    if isinstance(exc, HttpResponseError):
        code = exc.error.code if exc.error is not None else None
        status = exc.status_code or 0
        if status == 429:
            return error(ProviderThrottled, True, code)
        if status >= 500 or code in RETRYABLE_CODES:
            return error(ProviderUnavailable, True, code)
        if code in IN_USE_CODES:
            return error(ProviderResourceInUse, False, code)
        if status == 403:
            return error(ProviderAccessDenied, False, code)
        if code and ("Quota" in code or "LimitExceeded" in code):
            return error(ProviderQuotaExceeded, False, code)
        if isinstance(exc, ResourceExistsError):
            return error(ProviderNameTaken, False, code)
        if isinstance(exc, ResourceNotFoundError):
            return error(ProviderNotFound, False, code)
        if status == 400:
            return error(ProviderInvalidRequest, False, code)
        return error(ProviderError, False, code)
    return None


def parse_id(resource_id: str) -> dict[str, str]:
    """ARM id -> {resourceGroups: ..., virtualNetworks: ..., subnets: ...}."""
    parts = resource_id.strip("/").split("/")
    return {parts[i].lower(): parts[i + 1] for i in range(0, len(parts) - 1, 2)}


def rule_view(rule: Any) -> Rule:
    props = rule.properties
    direction = "ingress" if props.direction == "Inbound" else "egress"
    cidr = (
        props.source_address_prefix if direction == "ingress" else props.destination_address_prefix
    )
    port = props.destination_port_range or "*"
    from_port = to_port = None
    if port != "*":
        low, _, high = port.partition("-")
        from_port, to_port = int(low), int(high or low)
    return Rule(
        direction=direction,
        protocol=PROTOCOL_OUT.get(props.protocol, str(props.protocol).lower()),
        cidr=cidr,
        from_port=from_port,
        to_port=to_port,
        action="allow" if props.access == "Allow" else "deny",
        priority=props.priority,
        description=props.description or "",
    )


def rule_body(rule: Rule) -> dict[str, Any]:
    ingress = rule.direction == "ingress"
    props = {
        "protocol": PROTOCOL_IN[rule.protocol],
        "access": "Allow" if rule.action == "allow" else "Deny",
        "direction": "Inbound" if ingress else "Outbound",
        "priority": rule.priority,
        "sourceAddressPrefix": rule.cidr if ingress else "*",
        "destinationAddressPrefix": "*" if ingress else rule.cidr,
        "sourcePortRange": "*",
        "destinationPortRange": rule.ports() or "*",
    }
    if rule.description:
        props["description"] = rule.description
    return {"name": f"{rule.direction}-{rule.priority}", "properties": props}


class ArmClients:
    def __init__(self, network: Any, resources: Any, subscription_id: str) -> None:
        self.network = network
        self.resources = resources
        self.subscription_id = subscription_id


class ArmClient(ThreadedProvider):
    name = PROVIDER
    translate = staticmethod(translate)

    def __init__(
        self,
        endpoint_url: str | None = None,
        *,
        ca_bundle: str | None = None,
        polling_interval: float = 5.0,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.client_options = dict(client_options or {})
        self.ca_bundle = ca_bundle
        self.polling_interval = polling_interval
        self._clients: ClientCache[ArmClients] = ClientCache(limit=64)

    def _arm(self, credential: Credential) -> ArmClients:
        try:
            tenant, client, secret, subscription = (
                str(credential[k])
                for k in ("tenant_id", "client_id", "client_secret", "subscription_id")
            )
        except KeyError as exc:
            raise ProviderAuthFailed(
                f"the Azure credential lacks {exc}", provider=PROVIDER
            ) from None
        register_secret(secret)

        def build() -> ArmClients:
            token = azure_credential(
                tenant, client, secret, self.endpoint_url, ca_bundle=self.ca_bundle
            )
            options = {
                "ca_bundle": self.ca_bundle,
                "polling_interval": self.polling_interval,
                "retry_total": 3,
                **self.client_options,
            }
            return ArmClients(
                azure_network_client(token, subscription, self.endpoint_url, **options),
                azure_resource_client(token, subscription, self.endpoint_url, **options),
                subscription,
            )

        clients = self._clients.get(credential, "", build)
        return clients

    @staticmethod
    def _group(vpc: VpcSpec) -> str:
        if vpc.cloud_id:
            return parse_id(vpc.cloud_id)["resourcegroups"]
        return vpc.resource_group or default_resource_group(vpc.region)

    @staticmethod
    def _vnet_name(vpc: VpcSpec) -> str:
        return parse_id(vpc.cloud_id)["virtualnetworks"] if vpc.cloud_id else vpc.name
