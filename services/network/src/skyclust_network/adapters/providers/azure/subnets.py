"""Azure subnets: regional, untagged (SkyClust keeps their tags)."""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import (
    ResourceNotFoundError,
)

from ....domain.errors import ProviderNameTaken, ProviderResourceLost
from ....domain.model import (
    SubnetSpec,
    VpcSpec,
)
from ..base import CloudSubnet, Credential
from .client import (
    PROVIDER,
    ArmClients,
    parse_id,
)
from .networks import ArmNetworks


class ArmSubnets(ArmNetworks):
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

    def _find_subnet(self, arm: ArmClients, vpc: VpcSpec, subnet: SubnetSpec) -> Any | None:
        if subnet.cloud_id:
            parts = parse_id(subnet.cloud_id)
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
                raise ProviderNameTaken(
                    f"a subnet named {subnet.name} with another range exists in this VNet",
                    provider=PROVIDER,
                )
            return self._subnet_view(found, vpc, subnet)
        if self._find_vnet(arm, vpc) is None:
            raise ProviderResourceLost(f"VNet {vpc.name} not found", provider=PROVIDER)
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
        parts = parse_id(found.id)
        try:
            arm.network.subnets.begin_delete(
                parts["resourcegroups"], parts["virtualnetworks"], found.name
            ).result()
        except ResourceNotFoundError:
            return
