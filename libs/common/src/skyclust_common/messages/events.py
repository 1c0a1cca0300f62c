# Generated from contracts/ by `uv run --frozen python -m skyclust_tools.gen_messages`:
# do not edit; change the contract and run that again (`make lint` checks it is done).
"""The data of every event (contracts/events)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictBool, StrictInt, StrictStr, StringConstraints
from typing_extensions import TypeAliasType

from skyclust_common.messages.base import EventData, Part
from skyclust_common.messages.formats import DateTime, Uuid


class ApiKeyCreated(EventData):
    """
    An API key was created (its prefix only).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ApiKeyCreated", "version": 1}},
    )
    api_key_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    role: Literal["admin", "user", "viewer"]
    prefix: Annotated[StrictStr, Field(max_length=32, min_length=1)]


class ApiKeyRevoked(EventData):
    """
    An API key was revoked.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ApiKeyRevoked", "version": 1}},
    )
    api_key_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class AuditRecorded(EventData):
    """
    Something was done through SkyClust; identity stores it in the audit trail.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["details"],
            "skyclust-contract": {"name": "AuditRecorded", "version": 1},
        },
    )
    workspace_id: Uuid | None
    actor_type: Literal["user", "api_key", "service", "anonymous"]
    actor_id: Annotated[StrictStr | None, Field(max_length=128)]
    action: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    resource_type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    resource_id: Annotated[StrictStr | None, Field(max_length=128)] = None
    outcome: Literal["success", "failure", "denied"]
    client_address: Annotated[StrictStr | None, Field(max_length=64)] = None
    user_agent: Annotated[StrictStr | None, Field(max_length=512)] = None
    request_id: Annotated[StrictStr | None, Field(max_length=128)] = None
    correlation_id: Annotated[StrictStr | None, Field(max_length=128)] = None
    status_code: StrictInt | None = None
    details: Annotated[dict[str, Any] | None, Field(max_length=50)] = None
    occurred_at: DateTime


class BudgetChanged(EventData):
    """
    A budget was created, replaced or deleted: what the guardrail needs of it (its scope,
    mode and whether it fails closed), so a service that asks cost before a change can still
    tell, while cost cannot be asked, which budgets fail closed.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "BudgetChanged", "version": 1}},
    )
    budget_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    change: Literal["created", "updated", "deleted"]
    scope: Literal["workspace", "provider", "cluster", "tag"]
    scope_value: Annotated[StrictStr | None, Field(max_length=320)]
    mode: Literal["warn", "enforce"]
    fail_closed: StrictBool
    changed_at: DateTime
    """
    when the change was stored; a later one wins over an earlier one delivered after it
    """


class BudgetRecovered(EventData):
    """
    Spend that had crossed a budget's threshold is below it again (or its period ended).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "BudgetRecovered", "version": 1}},
    )
    budget_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    kind: Literal["actual", "forecast"]
    threshold: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    the percentage of the amount crossed, e.g. "80"
    """
    period_key: Annotated[StrictStr, Field(pattern="^[0-9]{4}(-[0-9]{2}|-Q[1-4])?$")]
    spend: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    actual spend so far in the period, or the forecast for the whole period
    """
    amount: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    percent: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    currency: Annotated[StrictStr, Field(pattern="^[A-Z]{3}$")]
    mode: Literal["warn", "enforce"]


class BudgetThresholdCrossed(EventData):
    """
    Actual or forecast spend reached one of a budget's thresholds; once per budget,
    threshold, kind and period.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "BudgetThresholdCrossed", "version": 1}},
    )
    budget_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    kind: Literal["actual", "forecast"]
    threshold: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    the percentage of the amount crossed, e.g. "80"
    """
    period_key: Annotated[StrictStr, Field(pattern="^[0-9]{4}(-[0-9]{2}|-Q[1-4])?$")]
    spend: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    actual spend so far in the period, or the forecast for the whole period
    """
    amount: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    percent: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    currency: Annotated[StrictStr, Field(pattern="^[A-Z]{3}$")]
    mode: Literal["warn", "enforce"]


class ClusterDeleteRequested(EventData):
    """
    A cluster's deletion was requested.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterDeleteRequested", "version": 1}},
    )
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class ClusterDeleted(EventData):
    """
    The cloud confirmed the cluster is gone.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterDeleted", "version": 1}},
    )
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class ClusterDriftDetected(EventData):
    """
    The cloud differs from the desired state in fields SkyClust manages; nothing was
    changed.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterDriftDetected", "version": 1}},
    )
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    drift: Annotated[list[ClusterDriftDetectedDriftItem], Field(max_length=200, min_length=1)]


class ClusterDriftDetectedDriftItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    field: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    desired: Any
    actual: Any


class ClusterDriftResolved(EventData):
    """
    The cloud matches the desired state again.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterDriftResolved", "version": 1}},
    )
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class ClusterFailed(EventData):
    """
    Provisioning or deletion failed.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterFailed", "version": 1}},
    )
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    code: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    message: Annotated[StrictStr, Field(max_length=2000, min_length=1)]
    retryable: StrictBool
    operation: Literal["create", "delete"]


class ClusterForgotten(EventData):
    """
    A cluster adopted read-only is no longer tracked by SkyClust; the cloud cluster was not
    changed.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterForgotten", "version": 1}},
    )
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class ClusterImported(EventData):
    """
    An existing cloud cluster was adopted, read-only until promoted.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterImported", "version": 1}},
    )
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    version: Annotated[StrictStr, Field(max_length=20, min_length=1)]
    cloud_id: StrictStr | None
    credential_id: Uuid


class ClusterNetworkFailed(EventData):
    """
    The reply to ProvisionClusterNetwork or ReleaseClusterNetwork when it failed; after a
    failed provision nothing it created is left.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterNetworkFailed", "version": 1}},
    )
    request_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    code: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    message: Annotated[StrictStr, Field(max_length=2000, min_length=1)]
    retryable: StrictBool
    operation: Literal["provision", "release"]


class ClusterNetworkReady(EventData):
    """
    The reply to ProvisionClusterNetwork: the cluster's network, its subnets and security
    groups.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterNetworkReady", "version": 1}},
    )
    request_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    generated: StrictBool
    vpc: ClusterNetworkReadyVpc
    subnets: list[ClusterNetworkReadySubnet]
    security_groups: list[ClusterNetworkReadySecurityGroup]


class ClusterNetworkReadySecurityGroup(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cloud_id: StrictStr | None


class ClusterNetworkReadySubnet(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cloud_id: StrictStr | None
    cidr_block: Annotated[StrictStr, Field(max_length=18, min_length=9)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    availability_zone: StrictStr | None


class ClusterNetworkReadyVpc(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cloud_id: StrictStr | None
    cidr_block: Annotated[StrictStr | None, Field(max_length=18)]
    resource_group: StrictStr | None


class ClusterNetworkReleased(EventData):
    """
    The reply to ReleaseClusterNetwork: a generated network was deleted, a provided one left
    alone.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterNetworkReleased", "version": 1}},
    )
    request_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    cluster_id: Uuid
    vpc_id: Uuid | None
    deleted: StrictBool


class ClusterPromoted(EventData):
    """
    An adopted cluster is managed by SkyClust from now on.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterPromoted", "version": 1}},
    )
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class ClusterProvisioning(EventData):
    """
    Provisioning made progress.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterProvisioning", "version": 1}},
    )
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    step: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    progress: Annotated[StrictInt, Field(ge=0, le=100)]
    cloud_id: StrictStr | None = None


class ClusterReady(EventData):
    """
    The cluster is ready for use.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterReady", "version": 1}},
    )
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    version: Annotated[StrictStr, Field(max_length=20, min_length=1)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    endpoint: StrictStr | None
    cloud_id: StrictStr | None


class ClusterRequested(EventData):
    """
    A cluster was requested; provisioning will create it.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterRequested", "version": 1}},
    )
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    version: Annotated[StrictStr, Field(max_length=20, min_length=1)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    credential_id: Uuid
    tags: Annotated[dict[str, ClusterRequestedTagsAdditionalProperty], Field(max_length=50)]
    aws_config: dict[str, Any] | None
    gcp_config: dict[str, Any] | None = None
    azure_config: dict[str, Any] | None = None


ClusterRequestedTagsAdditionalProperty = TypeAliasType(
    "ClusterRequestedTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class ClusterUpgradeFailed(EventData):
    """
    An upgrade stopped; the cluster stays READY on what the cloud runs.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterUpgradeFailed", "version": 1}},
    )
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    to_version: Annotated[StrictStr, Field(max_length=20, min_length=1)]
    code: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    message: Annotated[StrictStr, Field(max_length=2000, min_length=1)]
    retryable: StrictBool


class ClusterUpgradeRequested(EventData):
    """
    A user asked for a new Kubernetes version: the control plane first, then each node
    group.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterUpgradeRequested", "version": 1}},
    )
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    from_version: Annotated[StrictStr, Field(max_length=20, min_length=1)]
    to_version: Annotated[StrictStr, Field(max_length=20, min_length=1)]


class ClusterUpgraded(EventData):
    """
    The control plane and every node group run the new version.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ClusterUpgraded", "version": 1}},
    )
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    version: Annotated[StrictStr, Field(max_length=20, min_length=1)]


class CredentialCreated(EventData):
    """
    A cloud credential was stored (masked identifiers only).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CredentialCreated", "version": 1}},
    )
    credential_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    masked: dict[str, StrictStr]


class CredentialDecrypted(EventData):
    """
    A service obtained a credential's secret.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CredentialDecrypted", "version": 1}},
    )
    credential_id: Uuid
    service: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    reason: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    correlation_id: StrictStr | None


class CredentialDeleted(EventData):
    """
    A cloud credential was deleted.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CredentialDeleted", "version": 1}},
    )
    credential_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class CredentialInvalid(EventData):
    """
    The cloud refused a credential; reason is the provider's own code (e.g.
    InvalidClientTokenId, invalid_grant, AADSTS7000215).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CredentialInvalid", "version": 1}},
    )
    credential_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    reason: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    message: Annotated[StrictStr | None, Field(max_length=300)]
    checked_at: DateTime


class CredentialRotated(EventData):
    """
    A credential's cloud secret was replaced (masked identifiers only); its users read the
    new one from now on.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CredentialRotated", "version": 1}},
    )
    credential_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    masked: dict[str, StrictStr]
    rotated_at: DateTime


class CredentialValidated(EventData):
    """
    The cloud accepted a credential; account_id is the AWS account, GCP project or Azure
    subscription it reaches.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CredentialValidated", "version": 1}},
    )
    credential_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    account_id: Annotated[StrictStr | None, Field(max_length=128)]
    checked_at: DateTime


class KubeconfigIssued(EventData):
    """
    Someone downloaded a cluster's kubeconfig (for the audit trail; the kubeconfig itself is
    never in an event).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "KubeconfigIssued", "version": 1}},
    )
    cluster_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    actor_id: Annotated[StrictStr, Field(max_length=64)]
    expires_at: DateTime | None


class MemberAdded(EventData):
    """
    A user joined a workspace.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "MemberAdded", "version": 1}},
    )
    workspace_id: Uuid
    user_id: Uuid
    role: Literal["admin", "user", "viewer"]


class MemberRemoved(EventData):
    """
    A member left or was removed.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "MemberRemoved", "version": 1}},
    )
    workspace_id: Uuid
    user_id: Uuid


class MemberRoleChanged(EventData):
    """
    A member's role changed.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "MemberRoleChanged", "version": 1}},
    )
    workspace_id: Uuid
    user_id: Uuid
    role: Literal["admin", "user", "viewer"]
    previous_role: Literal["admin", "user", "viewer"]


class MessageDeadLettered(EventData):
    """
    A message could not be processed and was set aside with the reason.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "MessageDeadLettered", "version": 1}},
    )
    service: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    consumer: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    subject: Annotated[StrictStr, Field(max_length=255, min_length=1)]
    stream_sequence: StrictInt
    num_delivered: StrictInt
    error_code: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    reason: Annotated[StrictStr, Field(max_length=2000, min_length=1)]
    original: Any


class NodeGroupDeleteRequested(EventData):
    """
    A node group's deletion was requested.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "NodeGroupDeleteRequested", "version": 1}},
    )
    cluster_id: Uuid
    node_group_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=63, min_length=1)]


class NodeGroupDeleted(EventData):
    """
    The node group is gone from the cloud.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "NodeGroupDeleted", "version": 1}},
    )
    cluster_id: Uuid
    node_group_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=63, min_length=1)]


class NodeGroupFailed(EventData):
    """
    Creating, changing or deleting the node group failed.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "NodeGroupFailed", "version": 1}},
    )
    cluster_id: Uuid
    node_group_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    code: StrictStr
    message: Annotated[StrictStr, Field(max_length=2000)]
    retryable: StrictBool
    operation: Literal["create", "update", "delete"]


class NodeGroupReady(EventData):
    """
    The node group exists in the cloud and is active.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "NodeGroupReady", "version": 1}},
    )
    cluster_id: Uuid
    node_group_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    cloud_id: StrictStr | None
    min_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    max_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    desired_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    labels: Annotated[dict[str, NodeGroupReadyLabelsAdditionalProperty], Field(max_length=50)]
    taints: Annotated[list[NodeGroupReadyTaint], Field(max_length=50)]


NodeGroupReadyLabelsAdditionalProperty = TypeAliasType(
    "NodeGroupReadyLabelsAdditionalProperty", Annotated[StrictStr, Field(max_length=63)]
)


class NodeGroupReadyTaint(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["value"]},
    )
    key: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    value: Annotated[StrictStr | None, Field(max_length=63)] = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class NodeGroupRequested(EventData):
    """
    A node group was requested; the saga creates it in the cloud.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "NodeGroupRequested", "version": 1}},
    )
    cluster_id: Uuid
    node_group_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    instance_type: StrictStr | None
    min_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    max_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    desired_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    labels: Annotated[dict[str, NodeGroupRequestedLabelsAdditionalProperty], Field(max_length=50)]
    taints: Annotated[list[NodeGroupRequestedTaint], Field(max_length=50)]


NodeGroupRequestedLabelsAdditionalProperty = TypeAliasType(
    "NodeGroupRequestedLabelsAdditionalProperty", Annotated[StrictStr, Field(max_length=63)]
)


class NodeGroupRequestedTaint(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["value"]},
    )
    key: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    value: Annotated[StrictStr | None, Field(max_length=63)] = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class NodeGroupScaled(EventData):
    """
    The cloud has the node group's requested sizes, labels and taints.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "NodeGroupScaled", "version": 1}},
    )
    cluster_id: Uuid
    node_group_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    min_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    max_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    desired_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    labels: Annotated[dict[str, NodeGroupScaledLabelsAdditionalProperty], Field(max_length=50)]
    taints: Annotated[list[NodeGroupScaledTaint], Field(max_length=50)]


NodeGroupScaledLabelsAdditionalProperty = TypeAliasType(
    "NodeGroupScaledLabelsAdditionalProperty", Annotated[StrictStr, Field(max_length=63)]
)


class NodeGroupScaledTaint(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["value"]},
    )
    key: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    value: Annotated[StrictStr | None, Field(max_length=63)] = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class NodeGroupUpdateRequested(EventData):
    """
    A change of a node group's sizes, labels or taints was requested.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "NodeGroupUpdateRequested", "version": 1}},
    )
    cluster_id: Uuid
    node_group_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    min_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    max_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    desired_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    labels: Annotated[
        dict[str, NodeGroupUpdateRequestedLabelsAdditionalProperty], Field(max_length=50)
    ]
    taints: Annotated[list[NodeGroupUpdateRequestedTaint], Field(max_length=50)]


NodeGroupUpdateRequestedLabelsAdditionalProperty = TypeAliasType(
    "NodeGroupUpdateRequestedLabelsAdditionalProperty", Annotated[StrictStr, Field(max_length=63)]
)


class NodeGroupUpdateRequestedTaint(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["value"]},
    )
    key: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    value: Annotated[StrictStr | None, Field(max_length=63)] = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class NotificationCreated(EventData):
    """
    A notification landed in one user's in-app inbox. The gateway's stream shows it to that
    user alone.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["resource_type", "resource_id"],
            "skyclust-contract": {"name": "NotificationCreated", "version": 1},
        },
    )
    notification_id: Uuid
    user_id: Uuid
    event_type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    severity: Literal["info", "warning", "critical"]
    title: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    resource_type: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    resource_id: Annotated[StrictStr | None, Field(max_length=128, min_length=1)] = None
    link: Annotated[StrictStr, Field(max_length=500, min_length=1)]


class NotificationDelivered(EventData):
    """
    A notification channel took a delivery (a webhook answered 2xx, the mail server accepted
    a mail). Ids, counts and codes only: no secret, no body, no address.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "NotificationDelivered", "version": 1}},
    )
    delivery_id: Uuid
    channel_id: Uuid
    channel_type: Literal["webhook", "email"]
    event_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    event_type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    attempts: Annotated[StrictInt, Field(ge=0)]
    response_code: StrictInt | None
    latency_ms: Annotated[StrictInt | None, Field(ge=0)]


class NotificationFailed(EventData):
    """
    A delivery to a notification channel failed for good (its retries ran out, the address
    was refused, or the channel is gone). Ids, counts and codes only: no secret, no body, no
    address.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "NotificationFailed", "version": 1}},
    )
    delivery_id: Uuid
    channel_id: Uuid
    channel_type: Literal["webhook", "email"]
    event_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    event_type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    attempts: Annotated[StrictInt, Field(ge=0)]
    response_code: StrictInt | None
    latency_ms: Annotated[StrictInt | None, Field(ge=0)]
    error: Annotated[StrictStr, Field(max_length=200, min_length=1)]


class SecurityGroupDeleteRequested(EventData):
    """
    A security group is to be deleted.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-contract": {"name": "SecurityGroupDeleteRequested", "version": 1}
        },
    )
    security_group_id: Uuid
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class SecurityGroupDeleted(EventData):
    """
    The security group is gone from the cloud.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SecurityGroupDeleted", "version": 1}},
    )
    security_group_id: Uuid
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class SecurityGroupFailed(EventData):
    """
    Creating, changing or deleting a security group failed; code is the provider's reason.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SecurityGroupFailed", "version": 1}},
    )
    security_group_id: Uuid
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    code: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    message: Annotated[StrictStr, Field(max_length=2000, min_length=1)]
    retryable: StrictBool
    operation: Literal["create", "update", "delete"]


class SecurityGroupReady(EventData):
    """
    The security group and its rules exist in the cloud.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SecurityGroupReady", "version": 1}},
    )
    security_group_id: Uuid
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cloud_id: StrictStr
    rule_count: StrictInt


class SecurityGroupRequested(EventData):
    """
    A security group was requested; the network service will create it with its rules.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SecurityGroupRequested", "version": 1}},
    )
    security_group_id: Uuid
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    credential_id: Uuid
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    rules: Annotated[list[SecurityGroupRequestedRule], Field(max_length=50)]
    cluster_id: Uuid | None


class SecurityGroupRequestedRule(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    direction: Literal["ingress", "egress"]
    protocol: Literal["tcp", "udp", "icmp", "all"]
    cidr: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    from_port: Annotated[StrictInt | None, Field(ge=0, le=65535)]
    to_port: Annotated[StrictInt | None, Field(ge=0, le=65535)]
    action: Literal["allow", "deny"]
    priority: Annotated[StrictInt | None, Field(ge=0, le=65535)]
    description: Annotated[StrictStr, Field(max_length=200)]


class SecurityGroupUpdateRequested(EventData):
    """
    A security group's rules or tags are to change.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-contract": {"name": "SecurityGroupUpdateRequested", "version": 1}
        },
    )
    security_group_id: Uuid
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    rules: Annotated[list[SecurityGroupUpdateRequestedRule], Field(max_length=50)]
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            SecurityGroupUpdateRequestedTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]


class SecurityGroupUpdateRequestedRule(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    direction: Literal["ingress", "egress"]
    protocol: Literal["tcp", "udp", "icmp", "all"]
    cidr: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    from_port: Annotated[StrictInt | None, Field(ge=0, le=65535)]
    to_port: Annotated[StrictInt | None, Field(ge=0, le=65535)]
    action: Literal["allow", "deny"]
    priority: Annotated[StrictInt | None, Field(ge=0, le=65535)]
    description: Annotated[StrictStr, Field(max_length=200)]


SecurityGroupUpdateRequestedTagsAdditionalProperty = TypeAliasType(
    "SecurityGroupUpdateRequestedTagsAdditionalProperty",
    Annotated[StrictStr, Field(max_length=256)],
)


class SecurityGroupUpdated(EventData):
    """
    The cloud has the security group's new rules and tags.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SecurityGroupUpdated", "version": 1}},
    )
    security_group_id: Uuid
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    rule_count: StrictInt
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            SecurityGroupUpdatedTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]


SecurityGroupUpdatedTagsAdditionalProperty = TypeAliasType(
    "SecurityGroupUpdatedTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class SessionsRevoked(EventData):
    """
    Sessions ended (logout, refresh-token reuse, role change, removal): their tokens stop
    working.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SessionsRevoked", "version": 1}},
    )
    user_id: Uuid
    workspace_id: Uuid
    session_ids: Annotated[list[Uuid], Field(min_length=1)]
    reason: Annotated[StrictStr, Field(max_length=64, min_length=1)]


class SubnetDeleteRequested(EventData):
    """
    A subnet is to be deleted.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SubnetDeleteRequested", "version": 1}},
    )
    subnet_id: Uuid
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class SubnetDeleted(EventData):
    """
    The subnet is gone from the cloud.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SubnetDeleted", "version": 1}},
    )
    subnet_id: Uuid
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class SubnetFailed(EventData):
    """
    Creating, changing or deleting a subnet failed; code is the provider's reason.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SubnetFailed", "version": 1}},
    )
    subnet_id: Uuid
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    code: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    message: Annotated[StrictStr, Field(max_length=2000, min_length=1)]
    retryable: StrictBool
    operation: Literal["create", "update", "delete"]


class SubnetReady(EventData):
    """
    The subnet exists in the cloud.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SubnetReady", "version": 1}},
    )
    subnet_id: Uuid
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cidr: Annotated[StrictStr, Field(max_length=18, min_length=9)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    availability_zone: StrictStr | None
    is_public: StrictBool
    cloud_id: StrictStr


class SubnetRequested(EventData):
    """
    A subnet was requested; the network service will create it.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SubnetRequested", "version": 1}},
    )
    subnet_id: Uuid
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    credential_id: Uuid
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    availability_zone: StrictStr | None
    cidr: Annotated[StrictStr, Field(max_length=18, min_length=9)]
    is_public: StrictBool
    cluster_id: Uuid | None


class SubnetUpdateRequested(EventData):
    """
    A subnet's tags are to change.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SubnetUpdateRequested", "version": 1}},
    )
    subnet_id: Uuid
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            SubnetUpdateRequestedTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]


SubnetUpdateRequestedTagsAdditionalProperty = TypeAliasType(
    "SubnetUpdateRequestedTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class SubnetUpdated(EventData):
    """
    The subnet has its new tags.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SubnetUpdated", "version": 1}},
    )
    subnet_id: Uuid
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            SubnetUpdatedTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]


SubnetUpdatedTagsAdditionalProperty = TypeAliasType(
    "SubnetUpdatedTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class UserRegistered(EventData):
    """
    A user signed up; they are the admin of a new workspace.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "UserRegistered", "version": 1}},
    )
    user_id: Uuid
    email: Annotated[StrictStr, Field(max_length=320, min_length=3)]
    name: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    workspace_id: Uuid
    workspace_name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class VpcAdopted(EventData):
    """
    An unmanaged network is now managed by SkyClust.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "VpcAdopted", "version": 1}},
    )
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    credential_id: Uuid
    cloud_id: StrictStr | None


class VpcDeleteRequested(EventData):
    """
    A network is to be deleted.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "VpcDeleteRequested", "version": 1}},
    )
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    credential_id: Uuid


class VpcDeleted(EventData):
    """
    The network is gone from the cloud.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "VpcDeleted", "version": 1}},
    )
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    credential_id: Uuid


class VpcDiscovered(EventData):
    """
    A network SkyClust did not create was found in the cloud (unmanaged).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "VpcDiscovered", "version": 1}},
    )
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    credential_id: Uuid
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    cidr: Annotated[StrictStr | None, Field(max_length=18)]
    address_space: list[Annotated[str, StringConstraints(min_length=9, max_length=18, strict=True)]]
    cloud_id: StrictStr


class VpcFailed(EventData):
    """
    Creating, changing or deleting a network failed; code is the provider's reason.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "VpcFailed", "version": 1}},
    )
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    code: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    message: Annotated[StrictStr, Field(max_length=2000, min_length=1)]
    retryable: StrictBool
    operation: Literal["create", "update", "delete"]


class VpcReady(EventData):
    """
    The network exists in the cloud.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "VpcReady", "version": 1}},
    )
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    credential_id: Uuid
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    cidr: Annotated[StrictStr, Field(max_length=18, min_length=9)]
    cloud_id: StrictStr


class VpcRequested(EventData):
    """
    A network was requested; the network service will create it.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["tags", "allow_overlap"],
            "skyclust-contract": {"name": "VpcRequested", "version": 1},
        },
    )
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    credential_id: Uuid
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    cidr: Annotated[StrictStr, Field(max_length=18, min_length=9)]
    resource_group: StrictStr | None = None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            VpcRequestedTagsAdditionalProperty,
        ]
        | None,
        Field(max_length=50),
    ] = None
    allow_overlap: StrictBool | None = None
    cluster_id: Uuid | None = None


VpcRequestedTagsAdditionalProperty = TypeAliasType(
    "VpcRequestedTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class VpcUpdateRequested(EventData):
    """
    A network's tags are to change.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "VpcUpdateRequested", "version": 1}},
    )
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            VpcUpdateRequestedTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]


VpcUpdateRequestedTagsAdditionalProperty = TypeAliasType(
    "VpcUpdateRequestedTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class VpcUpdated(EventData):
    """
    The cloud has the network's new tags.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "VpcUpdated", "version": 1}},
    )
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            VpcUpdatedTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]


VpcUpdatedTagsAdditionalProperty = TypeAliasType(
    "VpcUpdatedTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class VpcVanished(EventData):
    """
    An unmanaged network is no longer in the cloud.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "VpcVanished", "version": 1}},
    )
    vpc_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    credential_id: Uuid
    cloud_id: StrictStr | None


class WorkspaceCreated(EventData):
    """
    A workspace was created.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "WorkspaceCreated", "version": 1}},
    )
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    owner_id: Uuid


class WorkspaceUpdated(EventData):
    """
    A workspace was renamed.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "WorkspaceUpdated", "version": 1}},
    )
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


BY_CONTRACT: dict[tuple[str, int], type[EventData]] = {
    (ApiKeyCreated.CONTRACT, ApiKeyCreated.VERSION): ApiKeyCreated,
    (ApiKeyRevoked.CONTRACT, ApiKeyRevoked.VERSION): ApiKeyRevoked,
    (AuditRecorded.CONTRACT, AuditRecorded.VERSION): AuditRecorded,
    (BudgetChanged.CONTRACT, BudgetChanged.VERSION): BudgetChanged,
    (BudgetRecovered.CONTRACT, BudgetRecovered.VERSION): BudgetRecovered,
    (BudgetThresholdCrossed.CONTRACT, BudgetThresholdCrossed.VERSION): BudgetThresholdCrossed,
    (ClusterDeleteRequested.CONTRACT, ClusterDeleteRequested.VERSION): ClusterDeleteRequested,
    (ClusterDeleted.CONTRACT, ClusterDeleted.VERSION): ClusterDeleted,
    (ClusterDriftDetected.CONTRACT, ClusterDriftDetected.VERSION): ClusterDriftDetected,
    (ClusterDriftResolved.CONTRACT, ClusterDriftResolved.VERSION): ClusterDriftResolved,
    (ClusterFailed.CONTRACT, ClusterFailed.VERSION): ClusterFailed,
    (ClusterForgotten.CONTRACT, ClusterForgotten.VERSION): ClusterForgotten,
    (ClusterImported.CONTRACT, ClusterImported.VERSION): ClusterImported,
    (ClusterNetworkFailed.CONTRACT, ClusterNetworkFailed.VERSION): ClusterNetworkFailed,
    (ClusterNetworkReady.CONTRACT, ClusterNetworkReady.VERSION): ClusterNetworkReady,
    (ClusterNetworkReleased.CONTRACT, ClusterNetworkReleased.VERSION): ClusterNetworkReleased,
    (ClusterPromoted.CONTRACT, ClusterPromoted.VERSION): ClusterPromoted,
    (ClusterProvisioning.CONTRACT, ClusterProvisioning.VERSION): ClusterProvisioning,
    (ClusterReady.CONTRACT, ClusterReady.VERSION): ClusterReady,
    (ClusterRequested.CONTRACT, ClusterRequested.VERSION): ClusterRequested,
    (ClusterUpgradeFailed.CONTRACT, ClusterUpgradeFailed.VERSION): ClusterUpgradeFailed,
    (ClusterUpgradeRequested.CONTRACT, ClusterUpgradeRequested.VERSION): ClusterUpgradeRequested,
    (ClusterUpgraded.CONTRACT, ClusterUpgraded.VERSION): ClusterUpgraded,
    (CredentialCreated.CONTRACT, CredentialCreated.VERSION): CredentialCreated,
    (CredentialDecrypted.CONTRACT, CredentialDecrypted.VERSION): CredentialDecrypted,
    (CredentialDeleted.CONTRACT, CredentialDeleted.VERSION): CredentialDeleted,
    (CredentialInvalid.CONTRACT, CredentialInvalid.VERSION): CredentialInvalid,
    (CredentialRotated.CONTRACT, CredentialRotated.VERSION): CredentialRotated,
    (CredentialValidated.CONTRACT, CredentialValidated.VERSION): CredentialValidated,
    (KubeconfigIssued.CONTRACT, KubeconfigIssued.VERSION): KubeconfigIssued,
    (MemberAdded.CONTRACT, MemberAdded.VERSION): MemberAdded,
    (MemberRemoved.CONTRACT, MemberRemoved.VERSION): MemberRemoved,
    (MemberRoleChanged.CONTRACT, MemberRoleChanged.VERSION): MemberRoleChanged,
    (MessageDeadLettered.CONTRACT, MessageDeadLettered.VERSION): MessageDeadLettered,
    (NodeGroupDeleteRequested.CONTRACT, NodeGroupDeleteRequested.VERSION): NodeGroupDeleteRequested,
    (NodeGroupDeleted.CONTRACT, NodeGroupDeleted.VERSION): NodeGroupDeleted,
    (NodeGroupFailed.CONTRACT, NodeGroupFailed.VERSION): NodeGroupFailed,
    (NodeGroupReady.CONTRACT, NodeGroupReady.VERSION): NodeGroupReady,
    (NodeGroupRequested.CONTRACT, NodeGroupRequested.VERSION): NodeGroupRequested,
    (NodeGroupScaled.CONTRACT, NodeGroupScaled.VERSION): NodeGroupScaled,
    (NodeGroupUpdateRequested.CONTRACT, NodeGroupUpdateRequested.VERSION): NodeGroupUpdateRequested,
    (NotificationCreated.CONTRACT, NotificationCreated.VERSION): NotificationCreated,
    (NotificationDelivered.CONTRACT, NotificationDelivered.VERSION): NotificationDelivered,
    (NotificationFailed.CONTRACT, NotificationFailed.VERSION): NotificationFailed,
    (
        SecurityGroupDeleteRequested.CONTRACT,
        SecurityGroupDeleteRequested.VERSION,
    ): SecurityGroupDeleteRequested,
    (SecurityGroupDeleted.CONTRACT, SecurityGroupDeleted.VERSION): SecurityGroupDeleted,
    (SecurityGroupFailed.CONTRACT, SecurityGroupFailed.VERSION): SecurityGroupFailed,
    (SecurityGroupReady.CONTRACT, SecurityGroupReady.VERSION): SecurityGroupReady,
    (SecurityGroupRequested.CONTRACT, SecurityGroupRequested.VERSION): SecurityGroupRequested,
    (
        SecurityGroupUpdateRequested.CONTRACT,
        SecurityGroupUpdateRequested.VERSION,
    ): SecurityGroupUpdateRequested,
    (SecurityGroupUpdated.CONTRACT, SecurityGroupUpdated.VERSION): SecurityGroupUpdated,
    (SessionsRevoked.CONTRACT, SessionsRevoked.VERSION): SessionsRevoked,
    (SubnetDeleteRequested.CONTRACT, SubnetDeleteRequested.VERSION): SubnetDeleteRequested,
    (SubnetDeleted.CONTRACT, SubnetDeleted.VERSION): SubnetDeleted,
    (SubnetFailed.CONTRACT, SubnetFailed.VERSION): SubnetFailed,
    (SubnetReady.CONTRACT, SubnetReady.VERSION): SubnetReady,
    (SubnetRequested.CONTRACT, SubnetRequested.VERSION): SubnetRequested,
    (SubnetUpdateRequested.CONTRACT, SubnetUpdateRequested.VERSION): SubnetUpdateRequested,
    (SubnetUpdated.CONTRACT, SubnetUpdated.VERSION): SubnetUpdated,
    (UserRegistered.CONTRACT, UserRegistered.VERSION): UserRegistered,
    (VpcAdopted.CONTRACT, VpcAdopted.VERSION): VpcAdopted,
    (VpcDeleteRequested.CONTRACT, VpcDeleteRequested.VERSION): VpcDeleteRequested,
    (VpcDeleted.CONTRACT, VpcDeleted.VERSION): VpcDeleted,
    (VpcDiscovered.CONTRACT, VpcDiscovered.VERSION): VpcDiscovered,
    (VpcFailed.CONTRACT, VpcFailed.VERSION): VpcFailed,
    (VpcReady.CONTRACT, VpcReady.VERSION): VpcReady,
    (VpcRequested.CONTRACT, VpcRequested.VERSION): VpcRequested,
    (VpcUpdateRequested.CONTRACT, VpcUpdateRequested.VERSION): VpcUpdateRequested,
    (VpcUpdated.CONTRACT, VpcUpdated.VERSION): VpcUpdated,
    (VpcVanished.CONTRACT, VpcVanished.VERSION): VpcVanished,
    (WorkspaceCreated.CONTRACT, WorkspaceCreated.VERSION): WorkspaceCreated,
    (WorkspaceUpdated.CONTRACT, WorkspaceUpdated.VERSION): WorkspaceUpdated,
}
