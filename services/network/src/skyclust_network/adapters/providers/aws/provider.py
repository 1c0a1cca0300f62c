"""The EC2 provider: networks, subnets and security groups, and the calls only AWS has
(tags, zones)."""

from __future__ import annotations

from skyclust_common.cloud.blocking import in_thread

from ....domain.model import SubnetSpec, VpcSpec
from ..base import Credential
from .security_groups import Ec2SecurityGroups


class Ec2NetworkProvider(Ec2SecurityGroups):
    async def tag_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        await in_thread(
            self._tag_vpc, credential, vpc, translate=self.translate, provider=self.name
        )

    async def zones(self, credential: Credential, region: str) -> list[str]:
        return await in_thread(
            self._zones, credential, region, translate=self.translate, provider=self.name
        )

    async def tag_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        await in_thread(
            self._tag_subnet, credential, vpc, subnet, translate=self.translate, provider=self.name
        )
