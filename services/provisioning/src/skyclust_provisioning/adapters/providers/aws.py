"""EKS through boto3. Creation is idempotent by name: a cluster of the requested name
tagged with this SkyClust cluster's id is the one an earlier attempt created."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from skyclust_common.errors import ProviderError
from skyclust_common.logs import register_secret

from ...domain.cluster import OWNER_TAG, ClusterSpec
from .base import CloudCluster

CLUSTER_ROLE = "skyclust-eks-cluster"
_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "eks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
_RETRYABLE = {
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "ServiceUnavailableException",
    "ServerException",
    "InternalFailure",
    "RequestTimeout",
}
_CODES = {
    "UnrecognizedClientException": "PROVIDER_AUTH_FAILED",
    "InvalidClientTokenId": "PROVIDER_AUTH_FAILED",
    "SignatureDoesNotMatch": "PROVIDER_AUTH_FAILED",
    "AccessDeniedException": "PROVIDER_ACCESS_DENIED",
    "AccessDenied": "PROVIDER_ACCESS_DENIED",
    "InvalidParameterException": "PROVIDER_INVALID_REQUEST",
    "InvalidRequestException": "PROVIDER_INVALID_REQUEST",
    "UnsupportedAvailabilityZoneException": "PROVIDER_INVALID_REQUEST",
    "ResourceLimitExceededException": "PROVIDER_QUOTA_EXCEEDED",
}


def translate(exc: Exception) -> ProviderError:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        message = exc.response.get("Error", {}).get("Message", "") or code
        if code in _RETRYABLE:
            return ProviderError(message, code="PROVIDER_THROTTLED", retryable=True, provider="aws")
        return ProviderError(
            message,
            code=_CODES.get(code, "PROVIDER_ERROR"),
            retryable=False,
            provider="aws",
            details={"aws_code": code},
        )
    if isinstance(exc, EndpointConnectionError):
        return ProviderError(
            "AWS endpoint unreachable", code="PROVIDER_UNAVAILABLE", retryable=True, provider="aws"
        )
    return ProviderError(str(exc), code="PROVIDER_ERROR", retryable=True, provider="aws")


class EksProvider:
    def __init__(self, endpoint_url: str | None = None) -> None:
        self.endpoint_url = endpoint_url

    def _session(self, spec: ClusterSpec, credential: dict[str, Any]) -> boto3.session.Session:
        register_secret(credential.get("secret_access_key"))
        register_secret(credential.get("session_token"))
        return boto3.session.Session(
            aws_access_key_id=credential["access_key_id"],
            aws_secret_access_key=credential["secret_access_key"],
            aws_session_token=credential.get("session_token"),
            region_name=spec.region,
        )

    def _client(self, session: boto3.session.Session, service: str) -> Any:
        return session.client(
            service,
            endpoint_url=self.endpoint_url,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5),
        )

    @staticmethod
    def _view(cluster: dict[str, Any]) -> CloudCluster:
        return CloudCluster(
            cloud_id=cluster["arn"],
            status=cluster["status"],
            endpoint=cluster.get("endpoint"),
            version=cluster.get("version", ""),
            owner=(cluster.get("tags") or {}).get(OWNER_TAG),
        )

    def _role_arn(self, session: boto3.session.Session, spec: ClusterSpec) -> str:
        config = spec.aws_config or {}
        if config.get("role_arn"):
            return str(config["role_arn"])
        iam = self._client(session, "iam")
        try:
            return str(iam.get_role(RoleName=CLUSTER_ROLE)["Role"]["Arn"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NoSuchEntity":
                raise
        try:
            role = iam.create_role(
                RoleName=CLUSTER_ROLE,
                AssumeRolePolicyDocument=json.dumps(_TRUST),
                Description="EKS control plane role created by SkyClust",
            )
            iam.attach_role_policy(
                RoleName=CLUSTER_ROLE,
                PolicyArn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
            )
            return str(role["Role"]["Arn"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "EntityAlreadyExists":
                return str(iam.get_role(RoleName=CLUSTER_ROLE)["Role"]["Arn"])
            raise

    def _subnets(self, session: boto3.session.Session, spec: ClusterSpec) -> list[str]:
        config = spec.aws_config or {}
        if config.get("subnet_ids"):
            return list(config["subnet_ids"])
        ec2 = self._client(session, "ec2")
        subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])[
            "Subnets"
        ]
        by_zone: dict[str, str] = {}
        for subnet in subnets:
            by_zone.setdefault(subnet["AvailabilityZone"], subnet["SubnetId"])
        if len(by_zone) < 2:
            raise ProviderError(
                "the region has no default VPC with subnets in two zones; "
                "give aws_config.subnet_ids",
                code="NETWORK_REQUIRED",
                provider="aws",
            )
        return [by_zone[zone] for zone in sorted(by_zone)][:3]

    def _create(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster:
        session = self._session(spec, credential)
        eks = self._client(session, "eks")
        config = spec.aws_config or {}
        vpc_config: dict[str, Any] = {"subnetIds": self._subnets(session, spec)}
        if config.get("security_group_ids"):
            vpc_config["securityGroupIds"] = list(config["security_group_ids"])
        for key, field in (
            ("endpoint_public_access", "endpointPublicAccess"),
            ("endpoint_private_access", "endpointPrivateAccess"),
        ):
            if key in config:
                vpc_config[field] = bool(config[key])
        try:
            created = eks.create_cluster(
                name=spec.name,
                version=spec.version,
                roleArn=self._role_arn(session, spec),
                resourcesVpcConfig=vpc_config,
                tags=spec.cloud_tags(),
                clientRequestToken=spec.cluster_id,
            )["cluster"]
            return self._view(created)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":
                raise
        existing = self._view(eks.describe_cluster(name=spec.name)["cluster"])
        if existing.owner != spec.cluster_id:
            raise ProviderError(
                f"an EKS cluster named {spec.name} already exists in {spec.region}",
                code="CLUSTER_NAME_TAKEN",
                provider="aws",
            )
        return existing

    def _describe(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster | None:
        eks = self._client(self._session(spec, credential), "eks")
        try:
            view = self._view(eks.describe_cluster(name=spec.name)["cluster"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise
        # A same-named cluster that is not ours is, for this spec, not there.
        return view if view.owner == spec.cluster_id else None

    def _delete(self, spec: ClusterSpec, credential: dict[str, Any]) -> None:
        if self._describe(spec, credential) is None:
            return
        eks = self._client(self._session(spec, credential), "eks")
        try:
            eks.delete_cluster(name=spec.name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise

    async def _run(self, fn: Any, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args)
        except ProviderError:
            raise
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc) from None

    async def create(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster:
        result: CloudCluster = await self._run(self._create, spec, credential)
        return result

    async def describe(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster | None:
        result: CloudCluster | None = await self._run(self._describe, spec, credential)
        return result

    async def delete(self, spec: ClusterSpec, credential: dict[str, Any]) -> None:
        await self._run(self._delete, spec, credential)
