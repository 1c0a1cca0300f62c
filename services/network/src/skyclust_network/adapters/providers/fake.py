"""An in-memory cloud: a real NetworkProvider for unit tests, keeping the rules the clouds
keep (subnets inside their network and apart, no deleting a network still in use), with
scripted faults and out-of-band changes for the tests to make."""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass, field
from typing import Any

from skyclust_common.errors import ProviderError

from ...domain.errors import ProviderInvalidRequest, ProviderResourceInUse
from ...domain.model import OWNER_TAG, Rule, SecurityGroupSpec, SubnetSpec, VpcSpec
from .base import CloudSecurityGroup, CloudSubnet, CloudVpc, Credential, Dependent


@dataclass
class _Vpc:
    cloud_id: str
    name: str
    region: str
    cidr: str
    tags: dict[str, str]
    routing_mode: str | None = None
    mtu: int | None = None


@dataclass
class _Subnet:
    cloud_id: str
    vpc: str
    name: str
    cidr: str
    region: str
    zone: str | None
    is_public: bool
    tags: dict[str, str]


@dataclass
class _Group:
    cloud_id: str
    vpc: str
    name: str
    rules: tuple[Rule, ...]
    tags: dict[str, str]


@dataclass
class FakeNetworkProvider:
    name: str = "fake"
    vpcs: dict[str, _Vpc] = field(default_factory=dict)
    subnets: dict[str, _Subnet] = field(default_factory=dict)
    groups: dict[str, _Group] = field(default_factory=dict)
    instances: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (vpc, name)
    calls: dict[str, int] = field(default_factory=dict)
    # method -> {call number (1-based): error}; None as the number fails every call.
    faults: dict[str, dict[int | None, ProviderError]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def fail(self, method: str, error: ProviderError, *, call: int | None = None) -> None:
        self.faults.setdefault(method, {})[call] = error

    def _enter(self, method: str) -> None:
        count = self.calls[method] = self.calls.get(method, 0) + 1
        scripted = self.faults.get(method, {})
        error = scripted.pop(count, None) or scripted.get(None)
        if error is not None:
            raise error

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):08x}"

    # out-of-band changes, as if someone used the cloud console -----------------------

    def add_foreign_vpc(self, name: str, region: str, cidr: str) -> str:
        cloud_id = self._new_id("vpc")
        self.vpcs[cloud_id] = _Vpc(cloud_id, name, region, cidr, {"Name": name})
        return cloud_id

    def add_instance(self, vpc_cloud_id: str, name: str) -> str:
        instance_id = self._new_id("i")
        self.instances[instance_id] = (vpc_cloud_id, name)
        return instance_id

    # views --------------------------------------------------------------------------

    def _vpc_view(self, vpc: _Vpc) -> CloudVpc:
        return CloudVpc(
            cloud_id=vpc.cloud_id,
            name=vpc.name,
            region=vpc.region,
            cidr_blocks=(vpc.cidr,),
            state="available",
            owner=vpc.tags.get(OWNER_TAG["vpc"]),
            tags=dict(vpc.tags),
            routing_mode=vpc.routing_mode,
            mtu=vpc.mtu,
        )

    def _subnet_view(self, subnet: _Subnet) -> CloudSubnet:
        return CloudSubnet(
            cloud_id=subnet.cloud_id,
            name=subnet.name,
            cidr=subnet.cidr,
            region=subnet.region,
            zone=subnet.zone,
            state="available",
            is_public=subnet.is_public,
            owner=subnet.tags.get(OWNER_TAG["subnet"]),
        )

    def _group_view(self, group: _Group) -> CloudSecurityGroup:
        return CloudSecurityGroup(
            cloud_id=group.cloud_id,
            name=group.name,
            rules=group.rules,
            owner=group.tags.get(OWNER_TAG["security_group"]),
        )

    def _find_vpc(self, vpc: VpcSpec) -> _Vpc | None:
        if vpc.cloud_id and vpc.cloud_id in self.vpcs:
            return self.vpcs[vpc.cloud_id]
        return next(
            (v for v in self.vpcs.values() if v.tags.get(OWNER_TAG["vpc"]) == vpc.vpc_id), None
        )

    def _require_vpc(self, vpc: VpcSpec) -> _Vpc:
        found = self._find_vpc(vpc)
        if found is None:
            raise ProviderInvalidRequest(
                f"network {vpc.cloud_id or vpc.name} does not exist",
                provider=self.name,
            )
        return found

    # networks -----------------------------------------------------------------------

    async def create_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc:
        self._enter("create_vpc")
        existing = self._find_vpc(vpc)
        if existing is not None:
            return self._vpc_view(existing)
        if vpc.cidr is None:
            raise ProviderInvalidRequest("a network needs a range")
        cloud_id = self._new_id("vpc")
        self.vpcs[cloud_id] = _Vpc(
            cloud_id,
            vpc.name,
            vpc.region,
            vpc.cidr,
            vpc.cloud_tags(),
            vpc.routing_mode,
            vpc.mtu,
        )
        return self._vpc_view(self.vpcs[cloud_id])

    async def get_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc | None:
        self._enter("get_vpc")
        found = self._find_vpc(vpc)
        return None if found is None else self._vpc_view(found)

    async def tag_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        self._enter("tag_vpc")
        self._require_vpc(vpc).tags = vpc.cloud_tags()

    async def delete_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        self._enter("delete_vpc")
        found = self._find_vpc(vpc)
        if found is None:
            return
        users = [s.name for s in self.subnets.values() if s.vpc == found.cloud_id]
        users += [g.name for g in self.groups.values() if g.vpc == found.cloud_id]
        users += [name for vpc_id, name in self.instances.values() if vpc_id == found.cloud_id]
        if users:
            raise ProviderResourceInUse(
                f"network {found.cloud_id} has dependencies: {', '.join(users)}",
                provider=self.name,
            )
        del self.vpcs[found.cloud_id]

    async def vpc_dependents(self, credential: Credential, vpc: VpcSpec) -> list[Dependent]:
        self._enter("vpc_dependents")
        found = self._find_vpc(vpc)
        if found is None:
            return []
        out = [
            Dependent("instance", instance_id, name)
            for instance_id, (vpc_id, name) in sorted(self.instances.items())
            if vpc_id == found.cloud_id
        ]
        out += [
            Dependent("subnet", s.cloud_id, s.name)
            for s in self.subnets.values()
            if s.vpc == found.cloud_id and OWNER_TAG["subnet"] not in s.tags
        ]
        return out

    async def list_vpcs(self, credential: Credential, region: str | None) -> list[CloudVpc]:
        self._enter("list_vpcs")
        return [
            self._vpc_view(v) for v in self.vpcs.values() if region is None or v.region == region
        ]

    async def zones(self, credential: Credential, region: str) -> list[str]:
        self._enter("zones")
        return [f"{region}a", f"{region}b", f"{region}c"]

    # subnets -------------------------------------------------------------------------

    def _find_subnet(self, subnet: SubnetSpec) -> _Subnet | None:
        if subnet.cloud_id and subnet.cloud_id in self.subnets:
            return self.subnets[subnet.cloud_id]
        return next(
            (
                s
                for s in self.subnets.values()
                if s.tags.get(OWNER_TAG["subnet"]) == subnet.subnet_id
            ),
            None,
        )

    async def create_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet:
        self._enter("create_subnet")
        existing = self._find_subnet(subnet)
        if existing is not None:
            return self._subnet_view(existing)
        parent = self._require_vpc(vpc)
        net = ipaddress.IPv4Network(subnet.cidr)
        if not net.subnet_of(ipaddress.IPv4Network(parent.cidr)):
            raise ProviderInvalidRequest(
                f"{subnet.cidr} is outside {parent.cidr}",
                provider=self.name,
            )
        for other in self.subnets.values():
            if other.vpc == parent.cloud_id and net.overlaps(ipaddress.IPv4Network(other.cidr)):
                raise ProviderInvalidRequest(
                    f"{subnet.cidr} conflicts with {other.cidr}",
                    provider=self.name,
                )
        if subnet.zone is not None and not subnet.zone.startswith(subnet.region):
            raise ProviderInvalidRequest(
                f"zone {subnet.zone} is not in {subnet.region}",
                provider=self.name,
            )
        cloud_id = self._new_id("subnet")
        self.subnets[cloud_id] = _Subnet(
            cloud_id,
            parent.cloud_id,
            subnet.name,
            subnet.cidr,
            subnet.region,
            subnet.zone or f"{subnet.region}a",
            subnet.is_public,
            subnet.cloud_tags(),
        )
        return self._subnet_view(self.subnets[cloud_id])

    async def get_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet | None:
        self._enter("get_subnet")
        found = self._find_subnet(subnet)
        return None if found is None else self._subnet_view(found)

    async def tag_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        self._enter("tag_subnet")
        found = self._find_subnet(subnet)
        if found is None:
            raise ProviderInvalidRequest("subnet not found")
        found.tags = subnet.cloud_tags()

    async def delete_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        self._enter("delete_subnet")
        found = self._find_subnet(subnet)
        if found is not None:
            del self.subnets[found.cloud_id]

    # security groups ------------------------------------------------------------------

    def _find_group(self, group: SecurityGroupSpec) -> _Group | None:
        if group.cloud_id and group.cloud_id in self.groups:
            return self.groups[group.cloud_id]
        return next(
            (
                g
                for g in self.groups.values()
                if g.tags.get(OWNER_TAG["security_group"]) == group.group_id
            ),
            None,
        )

    async def create_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        self._enter("create_security_group")
        existing = self._find_group(group)
        if existing is not None:
            return self._group_view(existing)
        parent = self._require_vpc(vpc)
        cloud_id = self._new_id("sg")
        self.groups[cloud_id] = _Group(
            cloud_id, parent.cloud_id, group.name, group.rules, group.cloud_tags()
        )
        return self._group_view(self.groups[cloud_id])

    async def get_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup | None:
        self._enter("get_security_group")
        found = self._find_group(group)
        return None if found is None else self._group_view(found)

    async def update_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        self._enter("update_security_group")
        found = self._find_group(group)
        if found is None:
            raise ProviderInvalidRequest("security group not found")
        found.rules = group.rules
        found.tags = group.cloud_tags()
        return self._group_view(found)

    async def delete_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> None:
        self._enter("delete_security_group")
        found = self._find_group(group)
        if found is not None:
            del self.groups[found.cloud_id]
