"""Every request body of the API, in one place. A body that is an rpc request as it is
(sign-up, refresh) is the model generated from its contract; the others add what the
token says (workspace, actor) before they are sent, so they are written here. Unknown
fields are refused everywhere. The owning services check the rest (names taken,
versions offered, overlaps)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from skyclust_common.messages.rpc import RefreshTokensRequest, RegisterUserRequest

from ..permissions import Role


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Provider(enum.StrEnum):
    aws = "aws"
    gcp = "gcp"
    azure = "azure"


# The generated models build on first use; FastAPI silences a pydantic warning about
# its own body alias only while it builds a route, so these are built with the app.
class RegisterBody(RegisterUserRequest):
    model_config = ConfigDict(defer_build=False)


class RefreshBody(RefreshTokensRequest):
    model_config = ConfigDict(defer_build=False)


class LoginBody(Strict):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class CredentialBody(Strict):
    provider: Provider
    name: str = Field(min_length=1, max_length=100)
    data: dict[str, Any]


class RotateBody(Strict):
    """The new secret, in the credential's own provider schema (all of it: a rotation
    replaces the secret, it does not patch it)."""

    data: dict[str, Any]


Region = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,63}$")]
Version = Annotated[str, Field(pattern=r"^[0-9]+\.[0-9]+$")]
ResourceGroup = Annotated[str, Field(pattern=r"^[A-Za-z0-9._()-]{1,90}$")]
ClusterTags = Annotated[dict[str, Annotated[str, Field(max_length=256)]], Field(max_length=50)]


class AwsConfig(Strict):
    subnet_ids: list[str] | None = Field(default=None, min_length=2, max_length=16)
    security_group_ids: list[str] | None = Field(default=None, max_length=5)
    role_arn: str | None = Field(default=None, min_length=20, max_length=2048)
    endpoint_public_access: bool | None = None
    endpoint_private_access: bool | None = None


class GcpClusterConfig(Strict):
    network: str | None = Field(default=None, max_length=255)
    subnetwork: str | None = Field(default=None, max_length=255)
    machine_type: str | None = Field(default=None, max_length=64)
    node_count: int | None = Field(default=None, ge=1, le=1000)


class AzureConfig(Strict):
    resource_group: ResourceGroup | None = None
    vm_size: str | None = Field(default=None, max_length=64)
    node_count: int | None = Field(default=None, ge=1, le=1000)


class Taint(Strict):
    key: str = Field(min_length=1, max_length=63)
    value: str = Field(default="", max_length=63)
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class NodeGroupBody(Strict):
    """An EKS managed node group, GKE node pool or AKS agent pool. AKS pool names are
    a lowercase letter then letters and digits, 12 at most; GKE sizes are per zone."""

    name: str = Field(pattern=r"^[a-zA-Z][a-zA-Z0-9_-]{0,62}$")
    instance_type: str | None = Field(default=None, min_length=1, max_length=64)
    min_size: int = Field(ge=0, le=1000)
    max_size: int = Field(ge=0, le=1000)
    desired_size: int = Field(ge=0, le=1000)
    labels: dict[str, str] | None = Field(default=None, max_length=50)
    taints: list[Taint] | None = Field(default=None, max_length=50)


class NewNodeGroupBody(NodeGroupBody):
    """A node group added to an existing cluster: its monthly estimate is checked
    against the budgets covering the cluster first."""

    budget_override: bool = Field(
        default=False,
        description="go past an enforce budget the change would exceed (admins only; audited)",
    )


class NodeGroupUpdateBody(Strict):
    """Fields left out keep their value; `labels` and `taints` replace the current ones."""

    min_size: int | None = Field(default=None, ge=0, le=1000)
    max_size: int | None = Field(default=None, ge=0, le=1000)
    desired_size: int | None = Field(default=None, ge=0, le=1000)
    labels: dict[str, str] | None = Field(default=None, max_length=50)
    taints: list[Taint] | None = Field(default=None, max_length=50)
    budget_override: bool = Field(
        default=False,
        description="go past an enforce budget the change would exceed (admins only; audited)",
    )


class NetworkRef(Strict):
    """A SkyClust network (and optionally which of its subnets) for a new cluster."""

    vpc_id: uuid.UUID
    subnet_ids: list[uuid.UUID] | None = Field(default=None, min_length=2, max_length=16)


class ClusterBody(Strict):
    """`region` is the provider's own name: us-east-1 (AWS), us-central1 (GCP), westeurope
    (Azure). The config of the path's provider applies; the others are refused. Without
    `network`, and without a provider config naming one, a network is planned and
    created for the cluster."""

    credential_id: uuid.UUID
    name: str = Field(pattern=r"^[a-zA-Z][a-zA-Z0-9-]{0,99}$")
    version: Version
    region: Region
    tags: ClusterTags | None = None
    aws_config: AwsConfig | None = None
    gcp_config: GcpClusterConfig | None = None
    azure_config: AzureConfig | None = None
    node_groups: list[NodeGroupBody] | None = Field(default=None, max_length=10)
    network: NetworkRef | None = None
    budget_override: bool = Field(
        default=False,
        description="go past an enforce budget the change would exceed (admins only; audited)",
    )

    def network_named_by_config(self) -> list[str]:
        """The provider-config fields that name a network, which `network` would contradict."""
        named: list[str] = []
        if self.aws_config is not None and self.aws_config.subnet_ids is not None:
            named.append("aws_config.subnet_ids")
        if self.gcp_config is not None:
            named += [
                f"gcp_config.{field}"
                for field in ("network", "subnetwork")
                if getattr(self.gcp_config, field) is not None
            ]
        return named


class UpgradeBody(Strict):
    """The Kubernetes version to move to; the cloud must offer it."""

    version: Version


class ImportBody(Strict):
    """An existing cloud cluster to adopt read-only, by its name in the cloud.
    `resource_group` (Azure only) is where an AKS cluster lives."""

    credential_id: uuid.UUID
    region: Region
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
    resource_group: ResourceGroup | None = None
    tags: ClusterTags | None = None


class SwitchWorkspaceBody(Strict):
    workspace_id: uuid.UUID


class WorkspaceBody(Strict):
    name: str = Field(min_length=1, max_length=100)


class MemberBody(Strict):
    email: str = Field(min_length=3, max_length=320)
    role: Role


class MemberUpdateBody(Strict):
    role: Role


class ApiKeyBody(Strict):
    name: str = Field(min_length=1, max_length=100)
    role: Role
    expires_at: datetime | None = None


# networks ---------------------------------------------------------------------------

TagKey = Annotated[str, Field(min_length=1, max_length=128)]
TagValue = Annotated[str, Field(max_length=256)]
Tags = Annotated[dict[TagKey, TagValue], Field(max_length=50)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
NetworkRegion = Annotated[str, Field(min_length=1, max_length=64)]
Cidr = Annotated[str, Field(min_length=1, max_length=64)]


class GcpNetworkConfig(Strict):
    routing_mode: Literal["REGIONAL", "GLOBAL"] | None = None
    mtu: int | None = Field(default=None, ge=1300, le=8896)


class VpcBody(Strict):
    credential_id: uuid.UUID
    name: Name
    region: NetworkRegion | None = Field(default=None, description="required for AWS and Azure")
    cidr_block: Cidr | None = Field(
        default=None, description="without it the planner picks a free block of prefix_length"
    )
    prefix_length: int | None = Field(default=None, ge=8, le=29)
    allow_overlap: bool = False
    resource_group: str | None = Field(default=None, min_length=1, max_length=90)
    tags: Tags | None = None
    gcp_config: GcpNetworkConfig | None = None


class TagsBody(Strict):
    tags: Tags


class DiscoverBody(Strict):
    credential_id: uuid.UUID
    region: NetworkRegion | None = None


class SubnetBody(Strict):
    vpc_id: uuid.UUID
    name: Name
    cidr_block: Cidr
    region: NetworkRegion | None = Field(
        default=None, description="GCP subnets of a global network"
    )
    availability_zone: str | None = Field(default=None, min_length=1, max_length=64)
    is_public: bool = False
    tags: Tags | None = None


class RuleBody(Strict):
    direction: Literal["ingress", "egress"]
    protocol: Literal["tcp", "udp", "icmp", "all"]
    cidr: Cidr
    from_port: int | None = Field(default=None, ge=0, le=65535)
    to_port: int | None = Field(default=None, ge=0, le=65535)
    action: Literal["allow", "deny"] = "allow"
    priority: int | None = Field(default=None, ge=0, le=65535)
    description: str = Field(default="", max_length=200)


class SecurityGroupBody(Strict):
    vpc_id: uuid.UUID
    name: Name
    description: str = Field(default="", max_length=255)
    rules: list[RuleBody] = Field(default_factory=list, max_length=50)
    tags: Tags | None = None


class SecurityGroupChange(Strict):
    rules: list[RuleBody] | None = Field(default=None, max_length=50)
    tags: Tags | None = None

    @model_validator(mode="after")
    def _something(self) -> SecurityGroupChange:
        if self.rules is None and self.tags is None:
            raise ValueError("give rules, tags or both")
        return self


class LayoutSubnet(Strict):
    name: str | None = Field(default=None, max_length=100)
    cidr_block: Cidr


class LayoutVpc(Strict):
    name: str | None = Field(default=None, max_length=100)
    provider: Provider | None = None
    region: NetworkRegion | None = None
    cidr_block: Cidr
    allow_overlap: bool = False
    subnets: list[LayoutSubnet] = Field(default_factory=list, max_length=100)


class CidrPlanBody(Strict):
    vpcs: list[LayoutVpc] = Field(min_length=1, max_length=50)


EventTypes = list[Annotated[str, Field(min_length=1, max_length=64)]]
Addresses = list[Annotated[str, Field(min_length=3, max_length=320)]]


ChannelRoles = Annotated[list[Literal["admin", "user", "viewer"]], Field(max_length=3)]


class ChannelBody(Strict):
    """A webhook (`url`) or an email channel (`recipients`, and/or `recipient_roles`:
    the workspace's members with those roles when each event is handled).
    `event_types` is the channel's own subscription; empty when only rules send to it."""

    name: str = Field(min_length=1, max_length=100)
    type: Literal["webhook", "email"] = "webhook"
    url: str | None = Field(None, min_length=1, max_length=2000)
    recipients: Addresses | None = Field(None, min_length=1, max_length=50)
    recipient_roles: ChannelRoles | None = None
    event_types: EventTypes = Field(default_factory=list, max_length=50)


class ChannelPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    url: str | None = Field(None, min_length=1, max_length=2000)
    # Empty only when the channel mails by role.
    recipients: Addresses | None = Field(None, max_length=50)
    recipient_roles: ChannelRoles | None = None
    event_types: EventTypes | None = Field(None, max_length=50)
    enabled: bool | None = None


class MutesBody(Strict):
    event_types: EventTypes = Field(max_length=50)


Severity = Literal["info", "warning", "critical"]
RoleName = Literal["admin", "user", "viewer"]


# Checked by the notification service (NOTIFICATION_RULE_TAGS_INVALID): one code for
# every way a tag filter can be wrong.
RuleTags = Annotated[dict[str, str], Field(max_length=50)]


class NotificationRuleBody(Strict):
    """Events whose name matches a pattern of `event_types` (e.g. `Cluster*`), of at
    least `min_severity`, about one of `resource_ids` (empty: any) and about a resource
    carrying every one of `tags` (empty: any), go to `channel_ids` and in-app to the
    members with `in_app_roles` and to `in_app_user_ids`."""

    name: str = Field(min_length=1, max_length=100)
    event_types: EventTypes = Field(min_length=1, max_length=50)
    min_severity: Severity = "info"
    resource_ids: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list, max_length=100
    )
    tags: RuleTags = Field(default_factory=dict)
    channel_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    in_app_roles: list[RoleName] = Field(default_factory=list, max_length=3)
    in_app_user_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    enabled: bool = True


class NotificationRulePatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    event_types: EventTypes | None = Field(None, min_length=1, max_length=50)
    min_severity: Severity | None = None
    resource_ids: list[Annotated[str, Field(min_length=1, max_length=128)]] | None = Field(
        None, max_length=100
    )
    tags: RuleTags | None = None
    channel_ids: list[uuid.UUID] | None = Field(None, max_length=50)
    in_app_roles: list[RoleName] | None = Field(None, max_length=3)
    in_app_user_ids: list[uuid.UUID] | None = Field(None, max_length=100)
    enabled: bool | None = None


class NetworkPieces(Strict):
    nat_gateways: int | None = Field(default=None, ge=0, le=100)
    load_balancers: int | None = Field(default=None, ge=0, le=100)


class EstimateBody(Strict):
    """A cluster as `POST .../clusters` would take it, with its `provider`: what it would
    cost a month. `network_pieces` names the NAT gateways and load balancers to price;
    the fields of a create that do not change the price (name, credential, tags, network,
    labels, taints) may be sent and are not priced."""

    provider: Provider
    region: Region
    version: Version | None = None
    control_plane_tier: str | None = Field(default=None, min_length=1, max_length=32)
    node_groups: list[NodeGroupBody] | None = Field(default=None, max_length=50)
    gcp_config: GcpClusterConfig | None = None
    azure_config: AzureConfig | None = None
    network_pieces: NetworkPieces | None = None
    name: str | None = Field(default=None, max_length=100)
    credential_id: uuid.UUID | None = None
    tags: ClusterTags | None = None
    aws_config: AwsConfig | None = None
    network: NetworkRef | None = None

    def as_query(self) -> dict[str, Any]:
        priced = {"provider", "region", "version", "control_plane_tier", "network_pieces"}
        query = self.model_dump(mode="json", include=priced, exclude_none=True)
        if self.node_groups:
            query["node_groups"] = [
                g.model_dump(
                    mode="json",
                    include={"name", "instance_type", "min_size", "max_size", "desired_size"},
                    exclude_none=True,
                )
                for g in self.node_groups
            ]
        pools = {
            "gcp_config": {"machine_type", "node_count"},
            "azure_config": {"vm_size", "node_count"},
        }
        for name, fields in pools.items():
            config = getattr(self, name)
            if config is not None:
                query[name] = config.model_dump(mode="json", include=fields, exclude_none=True)
        return query

    def as_guardrail_query(self) -> dict[str, Any]:
        """The cluster as the provisioning service hands it to cost's guardrail: the
        node groups, after the default pool GKE and AKS make from the provider config."""
        fields = {"name", "instance_type", "min_size", "max_size", "desired_size"}
        groups = [
            g.model_dump(mode="json", include=fields, exclude_none=True)
            for g in self.node_groups or []
        ]
        pools = {
            "gcp": ("default", self.gcp_config, "machine_type"),
            "azure": ("system", self.azure_config, "vm_size"),
        }
        if self.provider.value in pools:
            name, config, size = pools[self.provider.value]
            count = getattr(config, "node_count", None) or 1
            pool = {"name": name, "min_size": count, "max_size": count, "desired_size": count}
            if getattr(config, size, None):
                pool["instance_type"] = getattr(config, size)
            groups.insert(0, pool)
        query: dict[str, Any] = {
            "provider": self.provider.value,
            "region": self.region,
            "node_groups": groups,
        }
        if self.version:
            query["version"] = self.version
        if self.tags:
            query["tags"] = dict(self.tags)
        return query
