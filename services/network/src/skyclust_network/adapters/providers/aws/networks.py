"""AWS VPCs: found by id or owner tag, created with DNS hostnames on, deleted with the
internet gateways SkyClust attached."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from skyclust_common.errors import ProviderError

from ....domain.errors import ProviderResourceLost
from ....domain.model import OWNER_TAG, VpcSpec
from ..base import CloudVpc, Credential, Dependent
from .client import (
    NOT_FOUND_CODES,
    PROVIDER,
    Ec2Client,
    aws_code,
    find_owned,
    tag_dict,
    tag_list,
)


class Ec2Networks(Ec2Client):
    def _vpc_view(self, vpc: dict[str, Any], region: str) -> CloudVpc:
        tags = tag_dict(vpc.get("Tags"))
        blocks = [
            a["CidrBlock"]
            for a in vpc.get("CidrBlockAssociationSet", [])
            if a.get("CidrBlockState", {}).get("State", "associated") == "associated"
        ] or [vpc["CidrBlock"]]
        return CloudVpc(
            cloud_id=vpc["VpcId"],
            name=tags.get("Name", vpc["VpcId"]),
            region=region,
            cidr_blocks=tuple(blocks),
            state=vpc.get("State", "available"),
            owner=tags.get(OWNER_TAG["vpc"]),
            is_default=bool(vpc.get("IsDefault", False)),
            tags=tags,
        )

    def _find_vpc(self, ec2: Any, vpc: VpcSpec) -> dict[str, Any] | None:
        return find_owned(ec2.describe_vpcs, "Vpcs", "VpcIds", vpc.cloud_id, "vpc", vpc.vpc_id)

    def _create_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc:
        ec2 = self._ec2(credential, vpc.region)
        found = self._find_vpc(ec2, vpc)
        if found is None:
            found = ec2.create_vpc(
                CidrBlock=vpc.cidr,
                TagSpecifications=[
                    {
                        "ResourceType": "vpc",
                        "Tags": tag_list({"Name": vpc.name, **vpc.cloud_tags()}),
                    }
                ],
            )["Vpc"]
            # CreateVpc answers with the VPC, its tags and ranges: only one still pending
            # is waited for and read again.
            if found.get("State") != "available":
                ec2.get_waiter("vpc_available").wait(
                    VpcIds=[found["VpcId"]], WaiterConfig={"Delay": 2, "MaxAttempts": 60}
                )
                found = ec2.describe_vpcs(VpcIds=[found["VpcId"]])["Vpcs"][0]
            # Kubernetes nodes need DNS hostnames; harmless for any other use.
            ec2.modify_vpc_attribute(VpcId=found["VpcId"], EnableDnsHostnames={"Value": True})
        return self._vpc_view(found, vpc.region)

    def _parent_id(self, ec2: Any, vpc: VpcSpec) -> str:
        """The VPC to create a subnet or group in: its recorded id without asking AWS (a
        stale one fails the create itself, see `parent_lost`), else found by owner tag."""
        if vpc.cloud_id:
            return vpc.cloud_id
        parent = self._find_vpc(ec2, vpc)
        if parent is None:
            raise lost(vpc)
        return str(parent["VpcId"])

    def _get_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc | None:
        ec2 = self._ec2(credential, vpc.region)
        found = self._find_vpc(ec2, vpc)
        return None if found is None else self._vpc_view(found, vpc.region)

    def _retag(
        self, ec2: Any, resource_id: str, current: dict[str, str], wanted: dict[str, str]
    ) -> None:
        stale = [k for k in current if k not in wanted and not k.startswith("aws:")]
        if stale:
            ec2.delete_tags(Resources=[resource_id], Tags=[{"Key": k} for k in stale])
        changed = {k: v for k, v in wanted.items() if current.get(k) != v}
        if changed:
            ec2.create_tags(Resources=[resource_id], Tags=tag_list(changed))

    def _tag_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        ec2 = self._ec2(credential, vpc.region)
        found = self._find_vpc(ec2, vpc)
        if found is None:
            raise ProviderResourceLost(f"VPC {vpc.cloud_id} not found", provider=PROVIDER)
        wanted = {"Name": vpc.name, **vpc.cloud_tags()}
        self._retag(ec2, found["VpcId"], tag_dict(found.get("Tags")), wanted)

    def _delete_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        ec2 = self._ec2(credential, vpc.region)
        found = self._find_vpc(ec2, vpc)
        if found is None:
            return
        vpc_id = found["VpcId"]
        for gateway in ec2.describe_internet_gateways(
            Filters=[{"Name": f"tag:{OWNER_TAG['vpc']}", "Values": [vpc.vpc_id]}]
        )["InternetGateways"]:
            gateway_id = gateway["InternetGatewayId"]
            for attachment in gateway.get("Attachments", []):
                ec2.detach_internet_gateway(InternetGatewayId=gateway_id, VpcId=attachment["VpcId"])
            ec2.delete_internet_gateway(InternetGatewayId=gateway_id)
        try:
            ec2.delete_vpc(VpcId=vpc_id)
        except ClientError as exc:
            if aws_code(exc) not in NOT_FOUND_CODES:
                raise

    def _dependents(self, credential: Credential, vpc: VpcSpec) -> list[Dependent]:
        ec2 = self._ec2(credential, vpc.region)
        found = self._find_vpc(ec2, vpc)
        if found is None:
            return []
        in_vpc = [{"Name": "vpc-id", "Values": [found["VpcId"]]}]
        out: list[Dependent] = []
        pages = ec2.get_paginator("describe_instances").paginate(
            Filters=[
                *in_vpc,
                {
                    "Name": "instance-state-name",
                    "Values": ["pending", "running", "stopping", "stopped", "shutting-down"],
                },
            ]
        )
        for page in pages:
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    name = tag_dict(instance.get("Tags")).get("Name", instance["InstanceId"])
                    out.append(Dependent("instance", instance["InstanceId"], name))
        for subnet in ec2.describe_subnets(Filters=in_vpc)["Subnets"]:
            tags = tag_dict(subnet.get("Tags"))
            if OWNER_TAG["subnet"] not in tags:
                out.append(
                    Dependent("subnet", subnet["SubnetId"], tags.get("Name", subnet["SubnetId"]))
                )
        for group in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]:
            tags = tag_dict(group.get("Tags"))
            if group["GroupName"] != "default" and OWNER_TAG["security_group"] not in tags:
                out.append(Dependent("security_group", group["GroupId"], group["GroupName"]))
        return out

    def _list_vpcs(self, credential: Credential, region: str | None) -> list[CloudVpc]:
        region = region or credential.get("region") or self.default_region
        ec2 = self._ec2(credential, region)
        out = []
        for page in ec2.get_paginator("describe_vpcs").paginate():
            out += [self._vpc_view(v, region) for v in page["Vpcs"]]
        return out

    def _zones(self, credential: Credential, region: str) -> list[str]:
        ec2 = self._ec2(credential, region)
        zones = ec2.describe_availability_zones(
            Filters=[{"Name": "state", "Values": ["available"]}]
        )["AvailabilityZones"]
        return sorted(
            z["ZoneName"]
            for z in zones
            if z.get("ZoneType", "availability-zone") == "availability-zone"
        )


def lost(vpc: VpcSpec) -> ProviderError:
    return ProviderResourceLost(f"VPC {vpc.cloud_id} not found", provider=PROVIDER)


@contextmanager
def parent_lost(vpc: VpcSpec) -> Iterator[None]:
    """A create in a VPC that is gone: the network was lost, not a bad request."""
    try:
        yield
    except ClientError as exc:
        if aws_code(exc) == "InvalidVpcID.NotFound":
            raise lost(vpc) from None
        raise
