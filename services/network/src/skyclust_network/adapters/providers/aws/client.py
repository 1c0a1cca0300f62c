"""AWS VPCs, subnets and security groups through boto3 EC2.

Creation is idempotent by owner tag: every resource is created with its tags in the same
call (TagSpecifications), so a retry after a crash finds it by `skyclust.io/<kind>-id`."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from skyclust_common.cloud.aws_errors import translate_aws
from skyclust_common.errors import ProviderError
from skyclust_common.logs import register_secret

from ....domain.errors import ProviderAuthFailed
from ....domain.model import OWNER_TAG, Rule
from ..base import Credential
from ..clients import ClientCache
from ..threaded import ThreadedProvider

PROVIDER = "aws"
# EC2's own codes; the ones every AWS API shares are in skyclust_common.cloud.aws_errors.
EC2_CODES = {
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
NOT_FOUND_CODES = {
    "InvalidVpcID.NotFound",
    "InvalidSubnetID.NotFound",
    "InvalidGroup.NotFound",
    "InvalidGroupId.NotFound",
    "InvalidRouteTableID.NotFound",
    "InvalidInternetGatewayID.NotFound",
}
# Every new AWS security group allows all egress; SkyClust keeps that default, as the
# other clouds do, and adds the requested rules on top.
DEFAULT_EGRESS = Rule(direction="egress", protocol="all", cidr="0.0.0.0/0")


def translate(exc: Exception) -> ProviderError | None:
    if isinstance(exc, KeyError):
        return ProviderAuthFailed(f"the AWS credential lacks {exc}", provider=PROVIDER)
    return translate_aws(exc, EC2_CODES)


def aws_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def tag_dict(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def rules_of(permissions: list[dict[str, Any]], direction: str) -> list[Rule]:
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


def permission_of(rule: Rule) -> dict[str, Any]:
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


def find_owned(
    describe: Any, listed: str, ids: str, cloud_id: str | None, kind: str, owner: str
) -> dict[str, Any] | None:
    """The resource by its recorded cloud id, else by the owner tag SkyClust created it
    with: `describe` is the EC2 call, `listed` the key of its answer, `ids` its id
    parameter. A recorded id AWS no longer knows is not an error: the tag decides."""
    if cloud_id:
        try:
            found = describe(**{ids: [cloud_id]})[listed]
        except ClientError as exc:
            if aws_code(exc) not in NOT_FOUND_CODES:
                raise
            found = []
        if found:
            return dict(found[0])
    owned = describe(Filters=[{"Name": f"tag:{OWNER_TAG[kind]}", "Values": [owner]}])[listed]
    return dict(owned[0]) if owned else None


class Ec2Client(ThreadedProvider):
    name = PROVIDER
    translate = staticmethod(translate)

    def __init__(
        self, endpoint_url: str | None = None, *, default_region: str = "us-east-1"
    ) -> None:
        self.endpoint_url = endpoint_url
        self.default_region = default_region
        self._clients: ClientCache[Any] = ClientCache(limit=256)

    def _ec2(self, credential: Credential, region: str | None) -> Any:
        region = region or credential.get("region") or self.default_region
        register_secret(credential.get("secret_access_key"))
        register_secret(credential.get("session_token"))

        def build() -> Any:
            session = boto3.session.Session(
                aws_access_key_id=credential["access_key_id"],
                aws_secret_access_key=credential["secret_access_key"],
                aws_session_token=credential.get("session_token"),
                region_name=region,
            )
            return session.client(
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

        return self._clients.get(credential, region, build)
