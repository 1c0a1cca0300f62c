"""Azure virtual networks, in their resource group (made when missing)."""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import (
    ResourceNotFoundError,
)

from ....domain.errors import ProviderNameTaken
from ....domain.model import (
    OWNER_TAG,
    VpcSpec,
)
from ..base import CloudVpc, Credential, Dependent
from .client import (
    PROVIDER,
    ArmClient,
    ArmClients,
    parse_id,
)


class ArmNetworks(ArmClient):
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
            resource_group=parse_id(vnet.id)["resourcegroups"],
        )

    def _find_vnet(self, arm: ArmClients, vpc: VpcSpec) -> Any | None:
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
                raise ProviderNameTaken(
                    f"a VNet named {vpc.name} already exists in resource group {group}",
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
                parts = parse_id(config.id)
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
