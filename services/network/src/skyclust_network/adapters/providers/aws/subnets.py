"""AWS subnets, and for a public one its route table to an internet gateway."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ....domain.errors import ProviderResourceLost
from ....domain.model import OWNER_TAG, SubnetSpec, VpcSpec
from ..base import CloudSubnet, Credential
from .client import (
    NOT_FOUND_CODES,
    PROVIDER,
    aws_code,
    find_owned,
    tag_dict,
    tag_list,
)
from .networks import Ec2Networks, parent_lost


class Ec2Subnets(Ec2Networks):
    def _subnet_view(self, subnet: dict[str, Any], region: str) -> CloudSubnet:
        tags = tag_dict(subnet.get("Tags"))
        return CloudSubnet(
            cloud_id=subnet["SubnetId"],
            name=tags.get("Name", subnet["SubnetId"]),
            cidr=subnet["CidrBlock"],
            region=region,
            zone=subnet.get("AvailabilityZone"),
            state=subnet.get("State", "available"),
            is_public=bool(subnet.get("MapPublicIpOnLaunch", False)),
            owner=tags.get(OWNER_TAG["subnet"]),
        )

    def _find_subnet(self, ec2: Any, subnet: SubnetSpec) -> dict[str, Any] | None:
        return find_owned(
            ec2.describe_subnets,
            "Subnets",
            "SubnetIds",
            subnet.cloud_id,
            "subnet",
            subnet.subnet_id,
        )

    def _internet_gateway(self, ec2: Any, vpc_id: str, vpc: VpcSpec) -> str:
        attached = ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
        )["InternetGateways"]
        if attached:
            return str(attached[0]["InternetGatewayId"])
        gateway = ec2.create_internet_gateway(
            TagSpecifications=[
                {
                    "ResourceType": "internet-gateway",
                    "Tags": tag_list({"Name": vpc.name, OWNER_TAG["vpc"]: vpc.vpc_id}),
                }
            ]
        )["InternetGateway"]
        ec2.attach_internet_gateway(InternetGatewayId=gateway["InternetGatewayId"], VpcId=vpc_id)
        return str(gateway["InternetGatewayId"])

    def _make_public(
        self, ec2: Any, vpc_id: str, vpc: VpcSpec, subnet: SubnetSpec, cloud_id: str
    ) -> None:
        """A public subnet: public IPs on launch and a route table to an internet gateway."""
        ec2.modify_subnet_attribute(SubnetId=cloud_id, MapPublicIpOnLaunch={"Value": True})
        owned = ec2.describe_route_tables(
            Filters=[{"Name": f"tag:{OWNER_TAG['subnet']}", "Values": [subnet.subnet_id]}]
        )["RouteTables"]
        if owned:
            return
        gateway_id = self._internet_gateway(ec2, vpc_id, vpc)
        table = ec2.create_route_table(
            VpcId=vpc_id,
            TagSpecifications=[
                {
                    "ResourceType": "route-table",
                    "Tags": tag_list({"Name": subnet.name, OWNER_TAG["subnet"]: subnet.subnet_id}),
                }
            ],
        )["RouteTable"]
        ec2.create_route(
            RouteTableId=table["RouteTableId"],
            DestinationCidrBlock="0.0.0.0/0",
            GatewayId=gateway_id,
        )
        ec2.associate_route_table(RouteTableId=table["RouteTableId"], SubnetId=cloud_id)

    def _create_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet:
        ec2 = self._ec2(credential, vpc.region)
        found = self._find_subnet(ec2, subnet)
        if found is None:
            args: dict[str, Any] = {
                "VpcId": self._parent_id(ec2, vpc),
                "CidrBlock": subnet.cidr,
                "TagSpecifications": [
                    {
                        "ResourceType": "subnet",
                        "Tags": tag_list({"Name": subnet.name, **subnet.cloud_tags()}),
                    }
                ],
            }
            if subnet.zone:
                args["AvailabilityZone"] = subnet.zone
            with parent_lost(vpc):
                found = ec2.create_subnet(**args)["Subnet"]
        if subnet.is_public:
            self._make_public(ec2, found["VpcId"], vpc, subnet, found["SubnetId"])
            found = ec2.describe_subnets(SubnetIds=[found["SubnetId"]])["Subnets"][0]
        return self._subnet_view(found, vpc.region)

    def _get_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet | None:
        ec2 = self._ec2(credential, vpc.region)
        found = self._find_subnet(ec2, subnet)
        return None if found is None else self._subnet_view(found, vpc.region)

    def _tag_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        ec2 = self._ec2(credential, vpc.region)
        found = self._find_subnet(ec2, subnet)
        if found is None:
            raise ProviderResourceLost(
                f"subnet {subnet.cloud_id} not found",
                provider=PROVIDER,
            )
        wanted = {"Name": subnet.name, **subnet.cloud_tags()}
        self._retag(ec2, found["SubnetId"], tag_dict(found.get("Tags")), wanted)

    def _delete_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        ec2 = self._ec2(credential, vpc.region)
        found = self._find_subnet(ec2, subnet)
        if found is None:
            return
        for table in ec2.describe_route_tables(
            Filters=[{"Name": f"tag:{OWNER_TAG['subnet']}", "Values": [subnet.subnet_id]}]
        )["RouteTables"]:
            for association in table.get("Associations", []):
                if not association.get("Main"):
                    ec2.disassociate_route_table(
                        AssociationId=association["RouteTableAssociationId"]
                    )
            ec2.delete_route_table(RouteTableId=table["RouteTableId"])
        try:
            ec2.delete_subnet(SubnetId=found["SubnetId"])
        except ClientError as exc:
            if aws_code(exc) not in NOT_FOUND_CODES:
                raise
