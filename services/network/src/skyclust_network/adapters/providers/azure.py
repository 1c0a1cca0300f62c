"""Azure VNets, subnets and network security groups through azure-mgmt-network.

Every VNet lives in a resource group (created if missing, never deleted: others may use
it). VNets and NSGs carry SkyClust's owner tag; subnets cannot be tagged, so inside a
VNet SkyClust created, a subnet of the requested name and range is the one a previous
attempt made. A VNet is never re-PUT after creation: a PUT without its subnets would
delete them."""

from __future__ import annotations

import hashlib
import json
import threading
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
from skyclust_common.cloud.blocking import in_thread
from skyclust_common.errors import ProviderError
from skyclust_common.logs import register_secret

from ...domain.model import (
    OWNER_TAG,
    Rule,
    SecurityGroupSpec,
    SubnetSpec,
    VpcSpec,
    default_resource_group,
)
from .base import CloudSecurityGroup, CloudSubnet, CloudVpc, Credential, Dependent

PROVIDER = "azure"
_IN_USE = {
    "InUseSubnetCannotBeDeleted",
    "InUseNetworkSecurityGroupCannotBeDeleted",
    "InUseVirtualNetworkCannotBeDeleted",
}
_RETRYABLE_CODES = {
    "AnotherOperationInProgress",
    "RetryableError",
    "ReferencedResourceNotProvisioned",
}
_PROTOCOL_IN = {"tcp": "Tcp", "udp": "Udp", "icmp": "Icmp", "all": "*"}
_PROTOCOL_OUT = {"Tcp": "tcp", "Udp": "udp", "Icmp": "icmp", "*": "all"}


def translate(exc: Exception) -> ProviderError | None:
    def error(code: str, retryable: bool = False, azure_code: str | None = None) -> ProviderError:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        details = {"azure_code": azure_code} if azure_code else {}
        return ProviderError(
            str(message)[:2000], code=code, retryable=retryable, provider=PROVIDER, details=details
        )

    if isinstance(exc, ClientAuthenticationError):
        return error("PROVIDER_AUTH_FAILED")
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return error("PROVIDER_UNAVAILABLE", retryable=True)
    if isinstance(exc, HttpResponseError):
        code = exc.error.code if exc.error is not None else None
        status = exc.status_code or 0
        if status == 429:
            return error("PROVIDER_THROTTLED", True, code)
        if status >= 500 or code in _RETRYABLE_CODES:
            return error("PROVIDER_UNAVAILABLE", True, code)
        if code in _IN_USE:
            return error("PROVIDER_RESOURCE_IN_USE", False, code)
        if status == 403:
            return error("PROVIDER_ACCESS_DENIED", False, code)
        if code and ("Quota" in code or "LimitExceeded" in code):
            return error("PROVIDER_QUOTA_EXCEEDED", False, code)
        if isinstance(exc, ResourceExistsError):
            return error("PROVIDER_NAME_TAKEN", False, code)
        if isinstance(exc, ResourceNotFoundError):
            return error("PROVIDER_NOT_FOUND", False, code)
        if status == 400:
            return error("PROVIDER_INVALID_REQUEST", False, code)
        return error("PROVIDER_ERROR", False, code)
    return None


def _parse_id(resource_id: str) -> dict[str, str]:
    """ARM id -> {resourceGroups: ..., virtualNetworks: ..., subnets: ...}."""
    parts = resource_id.strip("/").split("/")
    return {parts[i].lower(): parts[i + 1] for i in range(0, len(parts) - 1, 2)}


def _rule_view(rule: Any) -> Rule:
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
        protocol=_PROTOCOL_OUT.get(props.protocol, str(props.protocol).lower()),
        cidr=cidr,
        from_port=from_port,
        to_port=to_port,
        action="allow" if props.access == "Allow" else "deny",
        priority=props.priority,
        description=props.description or "",
    )


def _rule_body(rule: Rule) -> dict[str, Any]:
    ingress = rule.direction == "ingress"
    props = {
        "protocol": _PROTOCOL_IN[rule.protocol],
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


class _Clients:
    def __init__(self, network: Any, resources: Any, subscription_id: str) -> None:
        self.network = network
        self.resources = resources
        self.subscription_id = subscription_id


class ArmNetworkProvider:
    name = PROVIDER

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
        self._clients: dict[str, _Clients] = {}
        self._lock = threading.Lock()

    def _arm(self, credential: Credential) -> _Clients:
        try:
            tenant, client, secret, subscription = (
                str(credential[k])
                for k in ("tenant_id", "client_id", "client_secret", "subscription_id")
            )
        except KeyError as exc:
            raise ProviderError(
                f"the Azure credential lacks {exc}", code="PROVIDER_AUTH_FAILED", provider=PROVIDER
            ) from None
        register_secret(secret)
        digest = hashlib.sha256(json.dumps(credential, sort_keys=True).encode()).hexdigest()
        with self._lock:
            clients = self._clients.get(digest)
            if clients is None:
                token = azure_credential(
                    tenant, client, secret, self.endpoint_url, ca_bundle=self.ca_bundle
                )
                options = {
                    "ca_bundle": self.ca_bundle,
                    "polling_interval": self.polling_interval,
                    "retry_total": 3,
                    **self.client_options,
                }
                clients = _Clients(
                    azure_network_client(token, subscription, self.endpoint_url, **options),
                    azure_resource_client(token, subscription, self.endpoint_url, **options),
                    subscription,
                )
                if len(self._clients) > 64:
                    self._clients.clear()
                self._clients[digest] = clients
        return clients

    @staticmethod
    def _group(vpc: VpcSpec) -> str:
        if vpc.cloud_id:
            return _parse_id(vpc.cloud_id)["resourcegroups"]
        return vpc.resource_group or default_resource_group(vpc.region)

    @staticmethod
    def _vnet_name(vpc: VpcSpec) -> str:
        return _parse_id(vpc.cloud_id)["virtualnetworks"] if vpc.cloud_id else vpc.name

    # virtual networks --------------------------------------------------------------------------

    def _vpc_view(self, vnet: Any) -> CloudVpc:
        props = vnet.properties
        tags = dict(vnet.tags or {})
        prefixes = list(props.address_space.address_prefixes or []) if props.address_space else []
        return CloudVpc(
            cloud_id=vnet.id,
            name=vnet.name,
            region=vnet.location,
            cidr_blocks=tuple(prefixes),
            state=props.provisioning_state or "Succeeded",
            owner=tags.get(OWNER_TAG["vpc"]),
            tags=tags,
            resource_group=_parse_id(vnet.id)["resourcegroups"],
        )

    def _find_vnet(self, arm: _Clients, vpc: VpcSpec) -> Any | None:
        try:
            vnet = arm.network.virtual_networks.get(self._group(vpc), self._vnet_name(vpc))
        except ResourceNotFoundError:
            return None
        if vpc.cloud_id is None and (vnet.tags or {}).get(OWNER_TAG["vpc"]) != vpc.vpc_id:
            return None
        return vnet

    def _create_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc:
        arm = self._arm(credential)
        group = self._group(vpc)
        found = self._find_vnet(arm, vpc)
        if found is None:
            try:
                existing = arm.network.virtual_networks.get(group, vpc.name)
            except ResourceNotFoundError:
                existing = None
            if existing is not None:
                raise ProviderError(
                    f"a VNet named {vpc.name} already exists in resource group {group}",
                    code="PROVIDER_NAME_TAKEN",
                    provider=PROVIDER,
                )
            arm.resources.resource_groups.create_or_update(group, {"location": vpc.region})
            found = arm.network.virtual_networks.begin_create_or_update(
                group,
                vpc.name,
                {
                    "location": vpc.region,
                    "tags": vpc.cloud_tags(),
                    "properties": {"addressSpace": {"addressPrefixes": [vpc.cidr]}},
                },
            ).result()
        return self._vpc_view(found)

    def _get_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc | None:
        arm = self._arm(credential)
        found = self._find_vnet(arm, vpc)
        return None if found is None else self._vpc_view(found)

    def _tag_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        arm = self._arm(credential)
        arm.network.virtual_networks.update_tags(
            self._group(vpc), self._vnet_name(vpc), {"tags": vpc.cloud_tags()}
        )

    def _delete_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        arm = self._arm(credential)
        found = self._find_vnet(arm, vpc)
        if found is None:
            return
        try:
            arm.network.virtual_networks.begin_delete(self._group(vpc), found.name).result()
        except ResourceNotFoundError:
            return

    def _dependents(self, credential: Credential, vpc: VpcSpec) -> list[Dependent]:
        arm = self._arm(credential)
        found = self._find_vnet(arm, vpc)
        if found is None:
            return []
        out: list[Dependent] = []
        for subnet in found.properties.subnets or []:
            # Subnets cannot be tagged: the handler drops the ones SkyClust knows.
            out.append(Dependent("subnet", subnet.id, subnet.name))
            for config in subnet.properties.ip_configurations or []:
                parts = _parse_id(config.id)
                nic = parts.get("networkinterfaces") or parts.get("virtualmachinescalesets")
                out.append(Dependent("instance", config.id, nic or config.id))
        return out

    def _list_vpcs(self, credential: Credential, region: str | None) -> list[CloudVpc]:
        arm = self._arm(credential)
        return [
            self._vpc_view(v)
            for v in arm.network.virtual_networks.list_all()
            if region is None or v.location == region
        ]

    # subnets ------------------------------------------------------------------------------------

    def _subnet_view(self, subnet: Any, vpc: VpcSpec, spec: SubnetSpec | None) -> CloudSubnet:
        props = subnet.properties
        prefix = props.address_prefix or (props.address_prefixes or [""])[0]
        return CloudSubnet(
            cloud_id=subnet.id,
            name=subnet.name,
            cidr=prefix,
            region=vpc.region,
            zone=None,
            state=props.provisioning_state or "Succeeded",
            is_public=spec.is_public if spec is not None else False,
            owner=spec.subnet_id if spec is not None else None,
        )

    def _find_subnet(self, arm: _Clients, vpc: VpcSpec, subnet: SubnetSpec) -> Any | None:
        if subnet.cloud_id:
            parts = _parse_id(subnet.cloud_id)
            group, vnet, name = parts["resourcegroups"], parts["virtualnetworks"], parts["subnets"]
        else:
            group, vnet, name = self._group(vpc), self._vnet_name(vpc), subnet.name
        try:
            found = arm.network.subnets.get(group, vnet, name)
        except ResourceNotFoundError:
            return None
        return found

    def _create_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet:
        arm = self._arm(credential)
        found = self._find_subnet(arm, vpc, subnet)
        if found is not None:
            if (found.properties.address_prefix or "") != subnet.cidr:
                raise ProviderError(
                    f"a subnet named {subnet.name} with another range exists in this VNet",
                    code="PROVIDER_NAME_TAKEN",
                    provider=PROVIDER,
                )
            return self._subnet_view(found, vpc, subnet)
        if self._find_vnet(arm, vpc) is None:
            raise ProviderError(
                f"VNet {vpc.name} not found", code="PROVIDER_RESOURCE_LOST", provider=PROVIDER
            )
        created = arm.network.subnets.begin_create_or_update(
            self._group(vpc),
            self._vnet_name(vpc),
            subnet.name,
            {"properties": {"addressPrefix": subnet.cidr}},
        ).result()
        return self._subnet_view(created, vpc, subnet)

    def _get_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet | None:
        arm = self._arm(credential)
        found = self._find_subnet(arm, vpc, subnet)
        return None if found is None else self._subnet_view(found, vpc, subnet)

    def _delete_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        arm = self._arm(credential)
        found = self._find_subnet(arm, vpc, subnet)
        if found is None:
            return
        parts = _parse_id(found.id)
        try:
            arm.network.subnets.begin_delete(
                parts["resourcegroups"], parts["virtualnetworks"], found.name
            ).result()
        except ResourceNotFoundError:
            return

    # network security groups ----------------------------------------------------------------------

    def _group_view(self, nsg: Any) -> CloudSecurityGroup:
        rules = [_rule_view(r) for r in nsg.properties.security_rules or []]
        rules.sort(key=lambda r: (r.direction, r.priority or 0))
        return CloudSecurityGroup(
            cloud_id=nsg.id,
            name=nsg.name,
            rules=tuple(rules),
            owner=(nsg.tags or {}).get(OWNER_TAG["security_group"]),
        )

    def _find_nsg(self, arm: _Clients, vpc: VpcSpec, group: SecurityGroupSpec) -> Any | None:
        if group.cloud_id:
            parts = _parse_id(group.cloud_id)
            rg, name = parts["resourcegroups"], parts["networksecuritygroups"]
        else:
            rg, name = self._group(vpc), group.name
        try:
            nsg = arm.network.network_security_groups.get(rg, name)
        except ResourceNotFoundError:
            return None
        if group.cloud_id is None and (nsg.tags or {}).get(OWNER_TAG["security_group"]) != (
            group.group_id
        ):
            raise ProviderError(
                f"a network security group named {group.name} already exists in {rg}",
                code="PROVIDER_NAME_TAKEN",
                provider=PROVIDER,
            )
        return nsg

    def _put_nsg(self, arm: _Clients, vpc: VpcSpec, group: SecurityGroupSpec, location: str) -> Any:
        rg = _parse_id(group.cloud_id)["resourcegroups"] if group.cloud_id else self._group(vpc)
        return arm.network.network_security_groups.begin_create_or_update(
            rg,
            group.name,
            {
                "location": location,
                "tags": group.cloud_tags(),
                "properties": {"securityRules": [_rule_body(r) for r in group.rules]},
            },
        ).result()

    def _create_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        arm = self._arm(credential)
        found = self._find_nsg(arm, vpc, group)
        if found is not None and {r.key() for r in self._group_view(found).rules} == {
            r.key() for r in group.rules
        }:
            return self._group_view(found)
        return self._group_view(self._put_nsg(arm, vpc, group, vpc.region))

    def _get_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup | None:
        arm = self._arm(credential)
        try:
            found = self._find_nsg(arm, vpc, group)
        except ProviderError:
            return None
        return None if found is None else self._group_view(found)

    def _update_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        arm = self._arm(credential)
        found = self._find_nsg(arm, vpc, group)
        if found is None:
            raise ProviderError(
                f"network security group {group.name} not found",
                code="PROVIDER_RESOURCE_LOST",
                provider=PROVIDER,
            )
        return self._group_view(self._put_nsg(arm, vpc, group, found.location))

    def _delete_group(self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec) -> None:
        arm = self._arm(credential)
        try:
            found = self._find_nsg(arm, vpc, group)
        except ProviderError:
            return
        if found is None:
            return
        try:
            arm.network.network_security_groups.begin_delete(
                _parse_id(found.id)["resourcegroups"], found.name
            ).result()
        except ResourceNotFoundError:
            return

    # the interface ----------------------------------------------------------------------------

    async def create_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc:
        return await in_thread(self._create_vpc, credential, vpc, translate=translate)

    async def get_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc | None:
        return await in_thread(self._get_vpc, credential, vpc, translate=translate)

    async def tag_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        await in_thread(self._tag_vpc, credential, vpc, translate=translate)

    async def delete_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        await in_thread(self._delete_vpc, credential, vpc, translate=translate)

    async def vpc_dependents(self, credential: Credential, vpc: VpcSpec) -> list[Dependent]:
        return await in_thread(self._dependents, credential, vpc, translate=translate)

    async def list_vpcs(self, credential: Credential, region: str | None) -> list[CloudVpc]:
        return await in_thread(self._list_vpcs, credential, region, translate=translate)

    async def zones(self, credential: Credential, region: str) -> list[str]:
        """Azure subnets are regional: they span every zone of their region."""
        return []

    async def create_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet:
        return await in_thread(self._create_subnet, credential, vpc, subnet, translate=translate)

    async def get_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet | None:
        return await in_thread(self._get_subnet, credential, vpc, subnet, translate=translate)

    async def tag_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        """Azure subnets have no tags: theirs are kept by SkyClust only."""

    async def delete_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        await in_thread(self._delete_subnet, credential, vpc, subnet, translate=translate)

    async def create_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        return await in_thread(self._create_group, credential, vpc, group, translate=translate)

    async def get_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup | None:
        return await in_thread(self._get_group, credential, vpc, group, translate=translate)

    async def update_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        return await in_thread(self._update_group, credential, vpc, group, translate=translate)

    async def delete_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> None:
        await in_thread(self._delete_group, credential, vpc, group, translate=translate)
