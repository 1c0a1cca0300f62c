"""The ARM provider: virtual networks, subnets and network security groups."""

from __future__ import annotations

from skyclust_common.cloud.blocking import in_thread

from ....domain.model import (
    SubnetSpec,
    VpcSpec,
)
from ..base import Credential
from .security_groups import ArmSecurityGroups


class ArmNetworkProvider(ArmSecurityGroups):
    async def tag_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        await in_thread(
            self._tag_vpc, credential, vpc, translate=self.translate, provider=self.name
        )

    async def zones(self, credential: Credential, region: str) -> list[str]:
        """Azure subnets are regional: they span every zone of their region."""
        return []

    async def tag_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        """Azure subnets have no tags: theirs are kept by SkyClust only."""
