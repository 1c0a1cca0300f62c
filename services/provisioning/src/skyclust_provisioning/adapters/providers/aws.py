"""EKS through boto3. Creation is idempotent by name: a cluster of the requested name
tagged with this SkyClust cluster's id is the one an earlier attempt created."""

from __future__ import annotations

import base64
import functools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.signers import RequestSigner

from skyclust_common.cloud.aws_errors import translate_aws
from skyclust_common.errors import ProviderError
from skyclust_common.logs import register_secret

from ...domain.cluster import OWNER_TAG, ClusterSpec
from ...domain.errors import (
    NetworkRequired,
    ProviderBusy,
    ResourceLost,
)
from ...domain.kubeconfig import build_kubeconfig
from ...domain.node_group import NodeGroupSpec
from .aws_node_groups import EksNodeGroups, trust
from .base import (
    CloudCluster,
    DiscoveredCluster,
    DiscoveredNodeGroup,
    IssuedKubeconfig,
    same_minor,
)
from .blocking import BlockingSdkProvider, ClientCache, lost, minors, taken, unclaimed

CLUSTER_ROLE = "skyclust-eks-cluster"
# What aws-iam-authenticator and `aws eks get-token` produce: a presigned STS
# GetCallerIdentity URL bound to the cluster's name; EKS accepts it for 15 minutes.
TOKEN_PREFIX = "k8s-aws-v1."
TOKEN_LIFETIME = timedelta(minutes=14)
_TRUST = trust("eks.amazonaws.com")
# EKS's own codes; the ones every AWS API shares are in skyclust_common.cloud.aws_errors.
_CODES = {
    "UnsupportedAvailabilityZoneException": "PROVIDER_INVALID_REQUEST",
    "ResourceLimitExceededException": "PROVIDER_QUOTA_EXCEEDED",
}


@functools.lru_cache(maxsize=64)
def _cached_client(
    access_key: str,
    secret_key: str,
    token: str | None,
    region: str,
    service: str,
    endpoint_url: str | None,
) -> Any:
    """Building a boto3 client loads its service model (tens of milliseconds); clients
    are thread-safe, so one per credential, region and service is reused."""
    return boto3.session.Session(
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=token,
        region_name=region,
    ).client(
        service,
        endpoint_url=endpoint_url,
        # As many pooled connections as the worker threads that share the client.
        config=Config(
            retries={"max_attempts": 2, "mode": "standard"},
            connect_timeout=5,
            max_pool_connections=32,
        ),
    )


def translate(exc: Exception) -> ProviderError | None:
    return translate_aws(exc, _CODES)


class EksProvider(EksNodeGroups, BlockingSdkProvider):
    provider = "aws"

    def translate(self, exc: Exception) -> ProviderError | None:
        return translate(exc)

    def __init__(
        self, endpoint_url: str | None = None, *, token_lifetime: timedelta = TOKEN_LIFETIME
    ) -> None:
        self.endpoint_url = endpoint_url
        self.token_lifetime = token_lifetime
        self._sessions: ClientCache[boto3.session.Session] = ClientCache()

    def _session(self, spec: ClusterSpec, credential: dict[str, Any]) -> boto3.session.Session:
        return self._region_session(spec.region, credential)

    def _region_session(self, region: str, credential: dict[str, Any]) -> boto3.session.Session:
        register_secret(credential.get("secret_access_key"))
        register_secret(credential.get("session_token"))
        return self._sessions.get(
            credential,
            region,
            lambda: boto3.session.Session(
                aws_access_key_id=credential["access_key_id"],
                aws_secret_access_key=credential["secret_access_key"],
                aws_session_token=credential.get("session_token"),
                region_name=region,
            ),
        )

    def _client(self, session: boto3.session.Session, service: str) -> Any:
        frozen = session.get_credentials().get_frozen_credentials()
        return _cached_client(
            frozen.access_key,
            frozen.secret_key,
            frozen.token,
            session.region_name,
            service,
            self.endpoint_url,
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
        return self._ensure_role(
            session,
            CLUSTER_ROLE,
            _TRUST,
            ("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",),
            "EKS control plane role created by SkyClust",
        )

    def _ensure_role(
        self,
        session: boto3.session.Session,
        name: str,
        trust: dict[str, Any],
        policies: tuple[str, ...],
        description: str,
    ) -> str:
        iam = self._client(session, "iam")
        try:
            return str(iam.get_role(RoleName=name)["Role"]["Arn"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NoSuchEntity":
                raise
        try:
            role = iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=json.dumps(trust),
                Description=description,
            )
            for policy in policies:
                iam.attach_role_policy(RoleName=name, PolicyArn=policy)
            return str(role["Role"]["Arn"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "EntityAlreadyExists":
                return str(iam.get_role(RoleName=name)["Role"]["Arn"])
            raise

    def _subnets(self, session: boto3.session.Session, spec: ClusterSpec) -> list[str]:
        config = spec.aws_config or {}
        if config.get("subnet_ids"):
            return list(config["subnet_ids"])
        network = spec.network or {}
        if network.get("subnet_cloud_ids"):
            return list(network["subnet_cloud_ids"])
        ec2 = self._client(session, "ec2")
        subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])[
            "Subnets"
        ]
        by_zone: dict[str, str] = {}
        for subnet in subnets:
            by_zone.setdefault(subnet["AvailabilityZone"], subnet["SubnetId"])
        if len(by_zone) < 2:
            raise NetworkRequired(
                "the region has no default VPC with subnets in two zones; "
                "give aws_config.subnet_ids",
                provider="aws",
            )
        return [by_zone[zone] for zone in sorted(by_zone)][:3]

    def _create(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster:
        session = self._session(spec, credential)
        eks = self._client(session, "eks")
        config = spec.aws_config or {}
        vpc_config: dict[str, Any] = {"subnetIds": self._subnets(session, spec)}
        security_groups = config.get("security_group_ids") or (spec.network or {}).get(
            "security_group_cloud_ids"
        )
        if security_groups:
            vpc_config["securityGroupIds"] = list(security_groups)
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
            raise taken(
                f"an EKS cluster named {spec.name} already exists in {spec.region}",
                "aws",
                cluster=True,
            )
        return existing

    @staticmethod
    def _find(eks: Any, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = eks.describe_cluster(name=name)["cluster"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise
        return found

    def _describe(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster | None:
        eks = self._client(self._session(spec, credential), "eks")
        found = self._find(eks, spec.name)
        view = None if found is None else self._view(found)
        # A same-named cluster that is not ours is, for this spec, not there.
        return view if view is not None and view.owner == spec.cluster_id else None

    def _delete(self, spec: ClusterSpec, credential: dict[str, Any]) -> None:
        if self._describe(spec, credential) is None:
            return
        eks = self._client(self._session(spec, credential), "eks")
        try:
            eks.delete_cluster(name=spec.name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise

    # versions ----------------------------------------------------------------------

    def _versions(self, region: str, credential: dict[str, Any]) -> list[str]:
        eks = self._client(self._region_session(region, credential), "eks")
        pages = eks.get_paginator("describe_cluster_versions").paginate()
        return minors([v["clusterVersion"] for page in pages for v in page["clusterVersions"]])

    def _upgrading_to(self, eks: Any, cluster: str, group: str | None, version: str) -> bool:
        """An update to `version` is in progress (EKS takes no second one meanwhile)."""
        scope = {"name": cluster, **({"nodegroupName": group} if group else {})}
        for page in eks.get_paginator("list_updates").paginate(**scope):
            for update_id in page["updateIds"]:
                update = eks.describe_update(updateId=update_id, **scope)["update"]
                wanted = {p["type"]: p["value"] for p in update.get("params") or []}
                if (
                    update["type"] == "VersionUpdate"
                    and update["status"] == "InProgress"
                    and same_minor(wanted.get("Version", ""), version)
                ):
                    return True
        return False

    @staticmethod
    def _busy(exc: ClientError) -> ProviderError | None:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            return None
        # EKS runs one update at a time; a later attempt will get through.
        return ProviderBusy(
            exc.response["Error"].get("Message") or "an update is in progress",
            retryable=True,
            provider="aws",
        )

    def _upgrade(self, spec: ClusterSpec, version: str, credential: dict[str, Any]) -> None:
        eks = self._client(self._session(spec, credential), "eks")
        found = self._find(eks, spec.name)
        if found is None or self._view(found).owner != spec.cluster_id:
            raise ResourceLost("the cluster is not in the cloud", provider="aws")
        if same_minor(found.get("version", ""), version):
            return
        if found["status"] == "UPDATING" and self._upgrading_to(eks, spec.name, None, version):
            return
        try:
            eks.update_cluster_version(name=spec.name, version=version)
        except ClientError as exc:
            raise self._busy(exc) or exc from None

    def _upgrade_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, version: str, credential: dict[str, Any]
    ) -> None:
        eks = self._client(self._session(cluster, credential), "eks")
        current = self._get_group(eks, cluster, group)
        if current is None or current.owner != group.node_group_id:
            raise ResourceLost("the node group is not in the cloud", provider="aws")
        if same_minor(current.version, version):
            return
        if current.status == "UPDATING" and self._upgrading_to(
            eks, cluster.name, group.name, version
        ):
            return
        try:
            eks.update_nodegroup_version(
                clusterName=cluster.name, nodegroupName=group.name, version=version
            )
        except ClientError as exc:
            raise self._busy(exc) or exc from None

    # adoption ----------------------------------------------------------------------

    def _discover(self, region: str, credential: dict[str, Any]) -> list[DiscoveredCluster]:
        eks = self._client(self._region_session(region, credential), "eks")
        found: list[DiscoveredCluster] = []
        for page in eks.get_paginator("list_clusters").paginate():
            for name in page["clusters"]:
                cluster = self._find(eks, name)
                if cluster is None:  # deleted since it was listed
                    continue
                groups: list[DiscoveredNodeGroup] = []
                pages = eks.get_paginator("list_nodegroups").paginate(clusterName=name)
                for group_name in (g for group_page in pages for g in group_page["nodegroups"]):
                    group = self._find_group(eks, name, group_name)
                    if group is not None:
                        groups.append(DiscoveredNodeGroup(group_name, self._group_view(group)))
                found.append(DiscoveredCluster(name, self._view(cluster), None, tuple(groups)))
        return found

    def _claim(
        self, spec: ClusterSpec, groups: list[NodeGroupSpec], credential: dict[str, Any]
    ) -> None:
        """Everything is checked before anything is tagged, so a refused claim changes
        nothing; the cluster is tagged last, so a claim cut short is finished by the next."""
        eks = self._client(self._session(spec, credential), "eks")
        cluster = self._find(eks, spec.name)
        if cluster is None:
            raise lost("cluster", "aws")
        what = f"the EKS cluster {spec.name}"
        untagged = unclaimed(self._view(cluster).owner, spec.cluster_id, what, "aws", cluster=True)
        to_tag: list[tuple[str, dict[str, str]]] = []
        for group in groups:
            found = self._find_group(eks, spec.name, group.name)
            if found is None:
                raise lost(f"node group {group.name}", "aws")
            owner = self._group_view(found).owner
            what = f"the node group {group.name}"
            if unclaimed(owner, group.node_group_id, what, "aws", cluster=False):
                to_tag.append((found["nodegroupArn"], group.owner_tags()))
        if untagged:
            to_tag.append((cluster["arn"], {OWNER_TAG: spec.cluster_id}))
        for arn, tags in to_tag:
            eks.tag_resource(resourceArn=arn, tags=tags)

    # kubeconfig --------------------------------------------------------------------

    @staticmethod
    def _token(session: boto3.session.Session, spec: ClusterSpec) -> str:
        sts = session.client("sts", region_name=spec.region)
        signer = RequestSigner(
            sts.meta.service_model.service_id,
            spec.region,
            "sts",
            "v4",
            session.get_credentials(),
            session.events,
        )
        url = signer.generate_presigned_url(
            {
                "method": "GET",
                "url": f"https://sts.{spec.region}.amazonaws.com/"
                "?Action=GetCallerIdentity&Version=2011-06-15",
                "body": {},
                "headers": {"x-k8s-aws-id": spec.name},
                "context": {},
            },
            region_name=spec.region,
            expires_in=60,
            operation_name="",
        )
        encoded = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
        return TOKEN_PREFIX + encoded

    def _kubeconfig(self, spec: ClusterSpec, credential: dict[str, Any]) -> IssuedKubeconfig:
        session = self._session(spec, credential)
        eks = self._client(session, "eks")
        try:
            cluster = eks.describe_cluster(name=spec.name)["cluster"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                raise ResourceLost("the cluster is not in the cloud", provider="aws") from None
            raise
        if self._view(cluster).owner != spec.cluster_id or not cluster.get("endpoint"):
            raise ResourceLost("the cluster is not in the cloud", provider="aws")
        token = self._token(session, spec)
        ca = (cluster.get("certificateAuthority") or {}).get("data")
        return IssuedKubeconfig(
            build_kubeconfig(spec.name, cluster["endpoint"], ca, {"token": token}),
            datetime.now(UTC) + self.token_lifetime,
        )
