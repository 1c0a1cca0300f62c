"""AWS security groups: rules as EC2 permissions, reconciled to the spec's (the default
all-egress rule kept)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ....domain.errors import ProviderResourceLost
from ....domain.model import OWNER_TAG, Rule, SecurityGroupSpec, VpcSpec
from ..base import CloudSecurityGroup, Credential
from .client import (
    DEFAULT_EGRESS,
    NOT_FOUND_CODES,
    PROVIDER,
    aws_code,
    find_owned,
    permission_of,
    rules_of,
    tag_dict,
    tag_list,
)
from .networks import parent_lost
from .subnets import Ec2Subnets


class Ec2SecurityGroups(Ec2Subnets):
    def _group_view(self, group: dict[str, Any]) -> CloudSecurityGroup:
        rules = rules_of(group.get("IpPermissions", []), "ingress") + [
            r
            for r in rules_of(group.get("IpPermissionsEgress", []), "egress")
            if r.key() != DEFAULT_EGRESS.key()
        ]
        return CloudSecurityGroup(
            cloud_id=group["GroupId"],
            name=group["GroupName"],
            rules=tuple(rules),
            owner=tag_dict(group.get("Tags")).get(OWNER_TAG["security_group"]),
        )

    def _find_group(self, ec2: Any, group: SecurityGroupSpec) -> dict[str, Any] | None:
        return find_owned(
            ec2.describe_security_groups,
            "SecurityGroups",
            "GroupIds",
            group.cloud_id,
            "security_group",
            group.group_id,
        )

    def _reconcile_rules(self, ec2: Any, found: dict[str, Any], rules: tuple[Rule, ...]) -> None:
        group_id = found["GroupId"]
        for direction, current_perms in (
            ("ingress", found.get("IpPermissions", [])),
            ("egress", found.get("IpPermissionsEgress", [])),
        ):
            wanted = [r for r in rules if r.direction == direction]
            if direction == "egress":
                wanted.append(DEFAULT_EGRESS)
            current = rules_of(current_perms, direction)
            wanted_keys = {r.key() for r in wanted}
            current_keys = {r.key() for r in current}
            stale = [permission_of(r) for r in current if r.key() not in wanted_keys]
            missing = [permission_of(r) for r in wanted if r.key() not in current_keys]
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
            with parent_lost(vpc):
                created = ec2.create_security_group(
                    GroupName=group.name,
                    Description=group.description or group.name,
                    VpcId=self._parent_id(ec2, vpc),
                    TagSpecifications=[
                        {
                            "ResourceType": "security-group",
                            "Tags": tag_list({"Name": group.name, **group.cloud_tags()}),
                        }
                    ],
                )
            # A new group holds exactly AWS's default rule, all egress: nothing to read.
            found = {
                "GroupId": created["GroupId"],
                "IpPermissions": [],
                "IpPermissionsEgress": [permission_of(DEFAULT_EGRESS)],
            }
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
            raise ProviderResourceLost(
                f"security group {group.cloud_id} not found",
                provider=PROVIDER,
            )
        self._reconcile_rules(ec2, found, group.rules)
        wanted = {"Name": group.name, **group.cloud_tags()}
        self._retag(ec2, found["GroupId"], tag_dict(found.get("Tags")), wanted)
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
            if aws_code(exc) not in NOT_FOUND_CODES:
                raise
