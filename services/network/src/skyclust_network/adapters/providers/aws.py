"""AWS VPCs, subnets and security groups through boto3 EC2.

Creation is idempotent by owner tag: every resource is created with its tags in the same
call (TagSpecifications), so a retry after a crash finds it by `skyclust.io/<kind>-id`."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from skyclust_common.cloud.aws_errors import translate_aws
from skyclust_common.cloud.blocking import in_thread
from skyclust_common.errors import ProviderError
from skyclust_common.logs import register_secret

from ...domain.model import OWNER_TAG, Rule, SecurityGroupSpec, SubnetSpec, VpcSpec
from .base import CloudSecurityGroup, CloudSubnet, CloudVpc, Credential, Dependent

PROVIDER = "aws"
# EC2's own codes; the ones every AWS API shares are in skyclust_common.cloud.aws_errors.
_CODES = {
    "DependencyViolation": "PROVIDER_RESOURCE_IN_USE",
    "VpcLimitExceeded": "PROVIDER_QUOTA_EXCEEDED",
    "SubnetLimitExceeded": "PROVIDER_QUOTA_EXCEEDED",
    "SecurityGroupLimitExceeded": "PROVIDER_QUOTA_EXCEEDED",
    "RulesPerSecurityGroupLimitExceeded": "PROVIDER_QUOTA_EXCEEDED",
    "InvalidGroup.Duplicate": "PROVIDER_NAME_TAKEN",
    "InvalidVpc.Range": "PROVIDER_INVALID_REQUEST",
    "InvalidSubnet.Range": "PROVIDER_INVALID_REQUEST",
    "InvalidSubnet.Conflict": "PROVIDER_INVALID_REQUEST",
    "InvalidAvailabilityZone": "PROVIDER_INVALID_REQUEST",
    "InvalidVpcID.NotFound": "PROVIDER_INVALID_REQUEST",
}
_NOT_FOUND = {
    "InvalidVpcID.NotFound",
    "InvalidSubnetID.NotFound",
    "InvalidGroup.NotFound",
    "InvalidGroupId.NotFound",
    "InvalidRouteTableID.NotFound",
    "InvalidInternetGatewayID.NotFound",
}
# Every new AWS security group allows all egress; SkyClust keeps that default, as the
# other clouds do, and adds the requested rules on top.
_DEFAULT_EGRESS = Rule(direction="egress", protocol="all", cidr="0.0.0.0/0")


def translate(exc: Exception) -> ProviderError | None:
    if isinstance(exc, KeyError):
        return ProviderError(
            f"the AWS credential lacks {exc}", code="PROVIDER_AUTH_FAILED", provider=PROVIDER
        )
    return translate_aws(exc, _CODES)


def _aws_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _rules(permissions: list[dict[str, Any]], direction: str) -> list[Rule]:
    rules = []
    for perm in permissions:
        proto = str(perm.get("IpProtocol", "-1")).lower()
        protocol = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp"}.get(proto, proto)
        if protocol not in ("tcp", "udp", "icmp", "all"):
            continue
        from_port = to_port = None
        if protocol in ("tcp", "udp"):
            from_port, to_port = perm.get("FromPort"), perm.get("ToPort")
            if (from_port, to_port) == (0, 65535):
                from_port = to_port = None
        for ip_range in perm.get("IpRanges", []):
            rules.append(
                Rule(
                    direction=direction,
                    protocol=protocol,
                    cidr=ip_range["CidrIp"],
                    from_port=from_port,
                    to_port=to_port,
                    description=ip_range.get("Description", ""),
                )
            )
    return rules


def _permission(rule: Rule) -> dict[str, Any]:
    ip_range: dict[str, str] = {"CidrIp": rule.cidr}
    if rule.description:
        ip_range["Description"] = rule.description
    perm: dict[str, Any] = {"IpProtocol": "-1" if rule.protocol == "all" else rule.protocol}
    if rule.protocol in ("tcp", "udp"):
        perm["FromPort"] = 0 if rule.from_port is None else rule.from_port
        perm["ToPort"] = 65535 if rule.to_port is None else rule.to_port
    elif rule.protocol == "icmp":
        perm["FromPort"], perm["ToPort"] = -1, -1
    perm["IpRanges"] = [ip_range]
    return perm


class Ec2NetworkProvider:
    name = PROVIDER

    def __init__(
        self, endpoint_url: str | None = None, *, default_region: str = "us-east-1"
    ) -> None:
        self.endpoint_url = endpoint_url
        self.default_region = default_region
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _ec2(self, credential: Credential, region: str | None) -> Any:
        region = region or credential.get("region") or self.default_region
        register_secret(credential.get("secret_access_key"))
        register_secret(credential.get("session_token"))
        digest = hashlib.sha256(json.dumps(credential, sort_keys=True).encode()).hexdigest()
        key = (digest, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                session = boto3.session.Session(
                    aws_access_key_id=credential["access_key_id"],
                    aws_secret_access_key=credential["secret_access_key"],
                    aws_session_token=credential.get("session_token"),
                    region_name=region,
                )
                client = session.client(
                    "ec2",
                    endpoint_url=self.endpoint_url,
                    config=Config(
                        retries={"max_attempts": 3, "mode": "standard"},
                        connect_timeout=5,
                        read_timeout=30,
                        # As many pooled connections as the worker threads sharing it.
                        max_pool_connections=32,
                    ),
                )
                if len(self._clients) > 256:
                    self._clients.clear()
                self._clients[key] = client
            return client

    # networks -------------------------------------------------------------------------

    def _vpc_view(self, vpc: dict[str, Any], region: str) -> CloudVpc:
        tags = _tags(vpc.get("Tags"))
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
        if vpc.cloud_id:
            try:
                found = ec2.describe_vpcs(VpcIds=[vpc.cloud_id])["Vpcs"]
            except ClientError as exc:
                if _aws_code(exc) not in _NOT_FOUND:
                    raise
                found = []
            if found:
                return dict(found[0])
        owned = ec2.describe_vpcs(
            Filters=[{"Name": f"tag:{OWNER_TAG['vpc']}", "Values": [vpc.vpc_id]}]
        )["Vpcs"]
        return dict(owned[0]) if owned else None

    def _create_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc:
        ec2 = self._ec2(credential, vpc.region)
        found = self._find_vpc(ec2, vpc)
        if found is None:
            found = ec2.create_vpc(
                CidrBlock=vpc.cidr,
                TagSpecifications=[
                    {
                        "ResourceType": "vpc",
                        "Tags": _tag_list({"Name": vpc.name, **vpc.cloud_tags()}),
                    }
                ],
            )["Vpc"]
            ec2.get_waiter("vpc_available").wait(
                VpcIds=[found["VpcId"]], WaiterConfig={"Delay": 2, "MaxAttempts": 60}
            )
            # Kubernetes nodes need DNS hostnames; harmless for any other use.
            ec2.modify_vpc_attribute(VpcId=found["VpcId"], EnableDnsHostnames={"Value": True})
            found = ec2.describe_vpcs(VpcIds=[found["VpcId"]])["Vpcs"][0]
        return self._vpc_view(found, vpc.region)

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
            ec2.create_tags(Resources=[resource_id], Tags=_tag_list(changed))

    def _tag_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        ec2 = self._ec2(credential, vpc.region)
        found = self._find_vpc(ec2, vpc)
        if found is None:
            raise ProviderError(
                f"VPC {vpc.cloud_id} not found", code="PROVIDER_RESOURCE_LOST", provider=PROVIDER
            )
        wanted = {"Name": vpc.name, **vpc.cloud_tags()}
        self._retag(ec2, found["VpcId"], _tags(found.get("Tags")), wanted)

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
            if _aws_code(exc) not in _NOT_FOUND:
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
                    name = _tags(instance.get("Tags")).get("Name", instance["InstanceId"])
                    out.append(Dependent("instance", instance["InstanceId"], name))
        for subnet in ec2.describe_subnets(Filters=in_vpc)["Subnets"]:
            tags = _tags(subnet.get("Tags"))
            if OWNER_TAG["subnet"] not in tags:
                out.append(
                    Dependent("subnet", subnet["SubnetId"], tags.get("Name", subnet["SubnetId"]))
                )
        for group in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]:
            tags = _tags(group.get("Tags"))
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

    # subnets --------------------------------------------------------------------------

    def _subnet_view(self, subnet: dict[str, Any], region: str) -> CloudSubnet:
        tags = _tags(subnet.get("Tags"))
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
        if subnet.cloud_id:
            try:
                found = ec2.describe_subnets(SubnetIds=[subnet.cloud_id])["Subnets"]
            except ClientError as exc:
                if _aws_code(exc) not in _NOT_FOUND:
                    raise
                found = []
            if found:
                return dict(found[0])
        owned = ec2.describe_subnets(
            Filters=[{"Name": f"tag:{OWNER_TAG['subnet']}", "Values": [subnet.subnet_id]}]
        )["Subnets"]
        return dict(owned[0]) if owned else None

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
                    "Tags": _tag_list({"Name": vpc.name, OWNER_TAG["vpc"]: vpc.vpc_id}),
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
                    "Tags": _tag_list({"Name": subnet.name, OWNER_TAG["subnet"]: subnet.subnet_id}),
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
            parent = self._find_vpc(ec2, vpc)
            if parent is None:
                raise ProviderError(
                    f"VPC {vpc.cloud_id} not found",
                    code="PROVIDER_RESOURCE_LOST",
                    provider=PROVIDER,
                )
            args: dict[str, Any] = {
                "VpcId": parent["VpcId"],
                "CidrBlock": subnet.cidr,
                "TagSpecifications": [
                    {
                        "ResourceType": "subnet",
                        "Tags": _tag_list({"Name": subnet.name, **subnet.cloud_tags()}),
                    }
                ],
            }
            if subnet.zone:
                args["AvailabilityZone"] = subnet.zone
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
            raise ProviderError(
                f"subnet {subnet.cloud_id} not found",
                code="PROVIDER_RESOURCE_LOST",
                provider=PROVIDER,
            )
        wanted = {"Name": subnet.name, **subnet.cloud_tags()}
        self._retag(ec2, found["SubnetId"], _tags(found.get("Tags")), wanted)

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
            if _aws_code(exc) not in _NOT_FOUND:
                raise

    # security groups --------------------------------------------------------------------

    def _group_view(self, group: dict[str, Any]) -> CloudSecurityGroup:
        rules = _rules(group.get("IpPermissions", []), "ingress") + [
            r
            for r in _rules(group.get("IpPermissionsEgress", []), "egress")
            if r.key() != _DEFAULT_EGRESS.key()
        ]
        return CloudSecurityGroup(
            cloud_id=group["GroupId"],
            name=group["GroupName"],
            rules=tuple(rules),
            owner=_tags(group.get("Tags")).get(OWNER_TAG["security_group"]),
        )

    def _find_group(self, ec2: Any, group: SecurityGroupSpec) -> dict[str, Any] | None:
        if group.cloud_id:
            try:
                found = ec2.describe_security_groups(GroupIds=[group.cloud_id])["SecurityGroups"]
            except ClientError as exc:
                if _aws_code(exc) not in _NOT_FOUND:
                    raise
                found = []
            if found:
                return dict(found[0])
        owned = ec2.describe_security_groups(
            Filters=[{"Name": f"tag:{OWNER_TAG['security_group']}", "Values": [group.group_id]}]
        )["SecurityGroups"]
        return dict(owned[0]) if owned else None

    def _reconcile_rules(self, ec2: Any, found: dict[str, Any], rules: tuple[Rule, ...]) -> None:
        group_id = found["GroupId"]
        for direction, current_perms in (
            ("ingress", found.get("IpPermissions", [])),
            ("egress", found.get("IpPermissionsEgress", [])),
        ):
            wanted = [r for r in rules if r.direction == direction]
            if direction == "egress":
                wanted.append(_DEFAULT_EGRESS)
            current = _rules(current_perms, direction)
            wanted_keys = {r.key() for r in wanted}
            current_keys = {r.key() for r in current}
            stale = [_permission(r) for r in current if r.key() not in wanted_keys]
            missing = [_permission(r) for r in wanted if r.key() not in current_keys]
            if direction == "ingress":
                if stale:
                    ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=stale)
                if missing:
                    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=missing)
            else:
                if stale:
                    ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=stale)
                if missing:
                    ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=missing)

    def _create_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        ec2 = self._ec2(credential, vpc.region)
        found = self._find_group(ec2, group)
        if found is None:
            parent = self._find_vpc(ec2, vpc)
            if parent is None:
                raise ProviderError(
                    f"VPC {vpc.cloud_id} not found",
                    code="PROVIDER_RESOURCE_LOST",
                    provider=PROVIDER,
                )
            created = ec2.create_security_group(
                GroupName=group.name,
                Description=group.description or group.name,
                VpcId=parent["VpcId"],
                TagSpecifications=[
                    {
                        "ResourceType": "security-group",
                        "Tags": _tag_list({"Name": group.name, **group.cloud_tags()}),
                    }
                ],
            )
            found = ec2.describe_security_groups(GroupIds=[created["GroupId"]])["SecurityGroups"][0]
        self._reconcile_rules(ec2, found, group.rules)
        return self._group_view(
            ec2.describe_security_groups(GroupIds=[found["GroupId"]])["SecurityGroups"][0]
        )

    def _get_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup | None:
        ec2 = self._ec2(credential, vpc.region)
        found = self._find_group(ec2, group)
        return None if found is None else self._group_view(found)

    def _update_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        ec2 = self._ec2(credential, vpc.region)
        found = self._find_group(ec2, group)
        if found is None:
            raise ProviderError(
                f"security group {group.cloud_id} not found",
                code="PROVIDER_RESOURCE_LOST",
                provider=PROVIDER,
            )
        self._reconcile_rules(ec2, found, group.rules)
        wanted = {"Name": group.name, **group.cloud_tags()}
        self._retag(ec2, found["GroupId"], _tags(found.get("Tags")), wanted)
        return self._group_view(
            ec2.describe_security_groups(GroupIds=[found["GroupId"]])["SecurityGroups"][0]
        )

    def _delete_group(self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec) -> None:
        ec2 = self._ec2(credential, vpc.region)
        found = self._find_group(ec2, group)
        if found is None:
            return
        try:
            ec2.delete_security_group(GroupId=found["GroupId"])
        except ClientError as exc:
            if _aws_code(exc) not in _NOT_FOUND:
                raise

    # the interface ----------------------------------------------------------------------

    async def create_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc:
        return await in_thread(self._create_vpc, credential, vpc, translate=translate)

    async def get_vpc(self, credential: Credential, vpc: VpcSpec) -> CloudVpc | None:
        return await in_thread(self._get_vpc, credential, vpc, translate=translate)

    async def tag_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        await in_thread(self._tag_vpc, credential, vpc, translate=translate)

    async def delete_vpc(self, credential: Credential, vpc: VpcSpec) -> None:
        await in_thread(self._delete_vpc, credential, vpc, translate=translate)

    async def vpc_dependents(self, credential: Credential, vpc: VpcSpec) -> list[Dependent]:
        return await in_thread(self._dependents, credential, vpc, translate=translate)

    async def list_vpcs(self, credential: Credential, region: str | None) -> list[CloudVpc]:
        return await in_thread(self._list_vpcs, credential, region, translate=translate)

    async def zones(self, credential: Credential, region: str) -> list[str]:
        return await in_thread(self._zones, credential, region, translate=translate)

    async def create_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet:
        return await in_thread(self._create_subnet, credential, vpc, subnet, translate=translate)

    async def get_subnet(
        self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec
    ) -> CloudSubnet | None:
        return await in_thread(self._get_subnet, credential, vpc, subnet, translate=translate)

    async def tag_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        await in_thread(self._tag_subnet, credential, vpc, subnet, translate=translate)

    async def delete_subnet(self, credential: Credential, vpc: VpcSpec, subnet: SubnetSpec) -> None:
        await in_thread(self._delete_subnet, credential, vpc, subnet, translate=translate)

    async def create_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        return await in_thread(self._create_group, credential, vpc, group, translate=translate)

    async def get_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup | None:
        return await in_thread(self._get_group, credential, vpc, group, translate=translate)

    async def update_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> CloudSecurityGroup:
        return await in_thread(self._update_group, credential, vpc, group, translate=translate)

    async def delete_security_group(
        self, credential: Credential, vpc: VpcSpec, group: SecurityGroupSpec
    ) -> None:
        await in_thread(self._delete_group, credential, vpc, group, translate=translate)
