"""The one interface the network service sees, whatever the cloud.

Every call takes the decrypted credential data and the specs of the domain. Creation is
idempotent (an owner tag, or on GCP the description, marks what a spec created), deletion
succeeds when the resource is already gone, and `get_*` returns None only when the cloud
says the resource does not exist: a cloud error is raised as a ProviderError, never taken
to mean "gone"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from ...domain.model import Rule, SecurityGroupSpec, SubnetSpec, VpcSpec

Credential = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class CloudVpc:
    cloud_id: str
    name: str
    region: str
    cidr_blocks: tuple[str, ...]
    state: str
    owner: str | None  # the SkyClust vpc id it was created for, if any
    is_default: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    resource_group: str | None = None
    network_mode: str | None = None  # GCP: CUSTOM or AUTO
    routing_mode: str | None = None  # GCP: REGIONAL or GLOBAL
    mtu: int | None = None
    auto_subnets: bool | None = None


@dataclass(frozen=True)
class CloudSubnet:
    cloud_id: str
    name: str
    cidr: str
    region: str
    zone: str | None
    state: str
    is_public: bool
    owner: str | None


@dataclass(frozen=True)
class CloudSecurityGroup:
    cloud_id: str
    name: str
    rules: tuple[Rule, ...]
    owner: str | None


@dataclass(frozen=True)
class Dependent:
    """Something in a network that SkyClust did not create there: an instance, or a
    subnet or firewall made outside SkyClust."""

    kind: str
    id: str
    name: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.id, "name": self.name}


class NetworkProvider(Protocol):
    name: str

    async def create_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc:
        """Create the network, or return it if this spec created it already."""
        ...

    async def get_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc | None: ...

    async def tag_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        """Make the cloud's tags those of the spec (where the cloud has tags)."""
        ...

    async def delete_vpc(self, credential: Credential, vpc: VpcSpec) -> None: ...

    async def vpc_dependents(self, credential: Credential, vpc: VpcSpec) -> list[Dependent]:
        """Instances, and subnets or firewalls SkyClust did not create, in the network."""
        ...

    async def list_vpcs(self, credential: Credential, region: str | None) -> list[CloudVpc]:
        """Every network the credential sees (in `region` where networks are regional)."""
        ...

    async def zones(self, credential: Credential, region: str) -> list[str]:
        """Zones a subnet may be placed in; empty where subnets are regional."""
        ...

    async def create_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet: ...

    async def get_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet | None: ...

    async def tag_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> None: ...

    async def delete_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> None: ...

    async def create_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        """Create the group with exactly the spec's rules (on top of the cloud's defaults)."""
        ...

    async def get_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup | None: ...

    async def update_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        """Make the cloud's rules and tags those of the spec."""
        ...

    async def delete_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> None: ...
