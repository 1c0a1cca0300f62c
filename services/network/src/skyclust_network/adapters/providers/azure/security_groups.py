"""Azure network security groups with their rules, priorities assigned in order."""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import (
    ResourceNotFoundError,
)

from skyclust_common.errors import ProviderError

from ....domain.errors import ProviderNameTaken, ProviderResourceLost
from ....domain.model import (
    OWNER_TAG,
    SecurityGroupSpec,
    VpcSpec,
)
from ..base import CloudSecurityGroup, Credential
from .client import (
    PROVIDER,
    ArmClients,
    parse_id,
    rule_body,
    rule_view,
)
from .subnets import ArmSubnets


class ArmSecurityGroups(ArmSubnets):
    def _group_view(self, nsg: Any) -> CloudSecurityGroup:
        rules = [rule_view(r) for r in nsg.properties.security_rules or []]
        rules.sort(key=lambda r: (r.direction, r.priority or 0))
        return CloudSecurityGroup(
            cloud_id=nsg.id,
            name=nsg.name,
            rules=tuple(rules),
            owner=(nsg.tags or {}).get(OWNER_TAG["security_group"]),
        )

    def _find_nsg(self, arm: ArmClients, vpc: VpcSpec, group: SecurityGroupSpec) -> Any | None:
        if group.cloud_id:
            parts = parse_id(group.cloud_id)
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
            raise ProviderNameTaken(
                f"a network security group named {group.name} already exists in {rg}",
                provider=PROVIDER,
            )
        return nsg

    def _put_nsg(
        self, arm: ArmClients, vpc: VpcSpec, group: SecurityGroupSpec, location: str
    ) -> Any:
        rg = parse_id(group.cloud_id)["resourcegroups"] if group.cloud_id else self._group(vpc)
        return arm.network.network_security_groups.begin_create_or_update(
            rg,
            group.name,
            {
                "location": location,
                "tags": group.cloud_tags(),
                "properties": {"securityRules": [rule_body(r) for r in group.rules]},
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
            raise ProviderResourceLost(
                f"network security group {group.name} not found",
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
                parse_id(found.id)["resourcegroups"], found.name
            ).result()
        except ResourceNotFoundError:
            return
