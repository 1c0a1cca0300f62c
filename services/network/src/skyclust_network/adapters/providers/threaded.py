"""The async interface of a provider over its SDK's blocking calls: each call runs its
blocking counterpart on a worker thread and turns the vendor's errors into
ProviderErrors with the provider's `translate`. A provider implements the blocking
methods, one per call, and the few calls that differ by cloud (tags, zones) itself."""

from __future__ import annotations

from abc import ABC, abstractmethod

from skyclust_common.cloud.blocking import in_thread
from skyclust_common.errors import ProviderError

from ...domain.model import SecurityGroupSpec, SubnetSpec, VpcSpec
from .base import CloudSecurityGroup, CloudSubnet, CloudVpc, Credential, Dependent


class ThreadedProvider(ABC):
    name: str

    @staticmethod
    @abstractmethod
    def translate(exc: Exception) -> ProviderError | None:
        """The vendor's exception as a ProviderError; None for anything else (a bug)."""

    @abstractmethod
    def _create_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc: ...

    @abstractmethod
    def _get_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc | None: ...

    @abstractmethod
    def _delete_vpc(self, credential: Credential, vpc: VpcSpec) -> None: ...

    @abstractmethod
    def _dependents(self, credential: Credential, vpc: VpcSpec) -> list[Dependent]: ...

    @abstractmethod
    def _list_vpcs(self, credential: Credential, region: str | None) -> list[CloudVpc]: ...

    @abstractmethod
    def _create_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet: ...

    @abstractmethod
    def _get_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet | None: ...

    @abstractmethod
    def _delete_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None: ...

    @abstractmethod
    def _create_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup: ...

    @abstractmethod
    def _get_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup | None: ...

    @abstractmethod
    def _update_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup: ...

    @abstractmethod
    def _delete_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> None: ...

    async def create_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc:
        return await in_thread(
            self._create_vpc, credential, vpc, translate=self.translate, provider=self.name
        )

    async def get_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc | None:
        return await in_thread(
            self._get_vpc, credential, vpc, translate=self.translate, provider=self.name
        )

    async def delete_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        await in_thread(
            self._delete_vpc, credential, vpc, translate=self.translate, provider=self.name
        )

    async def vpc_dependents(self, credential: Credential, vpc: VpcSpec) -> list[Dependent]:
        return await in_thread(
            self._dependents, credential, vpc, translate=self.translate, provider=self.name
        )

    async def list_vpcs(self, credential: Credential, region: str | None) -> list[CloudVpc]:
        return await in_thread(
            self._list_vpcs, credential, region, translate=self.translate, provider=self.name
        )

    async def create_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet:
        return await in_thread(
            self._create_subnet,
            credential,
            vpc,
            subnet,
            translate=self.translate,
            provider=self.name,
        )

    async def get_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet | None:
        return await in_thread(
            self._get_subnet, credential, vpc, subnet, translate=self.translate, provider=self.name
        )

    async def delete_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        await in_thread(
            self._delete_subnet,
            credential,
            vpc,
            subnet,
            translate=self.translate,
            provider=self.name,
        )

    async def create_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        return await in_thread(
            self._create_group, credential, vpc, group, translate=self.translate, provider=self.name
        )

    async def get_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup | None:
        return await in_thread(
            self._get_group, credential, vpc, group, translate=self.translate, provider=self.name
        )

    async def update_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        return await in_thread(
            self._update_group, credential, vpc, group, translate=self.translate, provider=self.name
        )

    async def delete_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> None:
        await in_thread(
            self._delete_group, credential, vpc, group, translate=self.translate, provider=self.name
        )
