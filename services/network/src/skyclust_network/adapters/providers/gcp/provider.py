"""The Compute Engine provider: networks, subnetworks and firewall rules; GCP has no
tags or zones to set."""

from __future__ import annotations

from ....domain.model import SecurityGroupSpec, SubnetSpec, VpcSpec
from ..base import CloudSecurityGroup, Credential
from .security_groups import ComputeSecurityGroups


class ComputeNetworkProvider(ComputeSecurityGroups):
    def _create_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        return self._reconcile(credential, vpc, group)

    def _update_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        return self._reconcile(credential, vpc, group)

    async def tag_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        """GCP networks have no labels: their tags are kept by SkyClust only."""

    async def zones(self, credential: Credential, region: str) -> list[str]:
        """GCP subnetworks are regional: they span every zone of their region."""
        return []

    async def tag_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        """GCP subnetworks have no labels: their tags are kept by SkyClust only."""
