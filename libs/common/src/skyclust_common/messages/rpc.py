# Generated from contracts/ by `uv run --frozen python -m skyclust_tools.gen_messages`:
# do not edit; change the contract and run that again (`make lint` checks it is done).
"""The request and reply of every rpc (contracts/rpc), each pair named by its rpc:
`CreateCluster.Request`, `CreateCluster.Reply`."""

from __future__ import annotations

from datetime import date as date_aliased
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
)
from typing_extensions import TypeAliasType

from skyclust_common.messages.base import Part, Rpc, RpcReply, RpcRequest
from skyclust_common.messages.formats import DateTime, Uri, Uuid


class AddMemberReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "AddMember", "version": 1}},
    )
    user_id: Uuid
    email: Annotated[StrictStr, Field(max_length=320, min_length=3)]
    name: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    role: Literal["admin", "user", "viewer"]
    joined_at: DateTime


class AddMemberRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "AddMember", "version": 1}},
    )
    workspace_id: Uuid
    actor_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    email: Annotated[StrictStr, Field(max_length=320, min_length=3)]
    role: Literal["admin", "user", "viewer"]


class AdoptVpcReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "AdoptVpc", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cidr_block: Annotated[StrictStr | None, Field(max_length=18)]
    address_space: list[Annotated[str, StringConstraints(min_length=9, max_length=18, strict=True)]]
    is_default: StrictBool
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    resource_group: StrictStr | None
    managed: StrictBool
    allow_overlap: StrictBool
    network_mode: StrictStr | None
    routing_mode: StrictStr | None
    mtu: StrictInt | None
    auto_subnets: StrictBool | None
    firewall_rule_count: StrictInt | None
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            AdoptVpcReplyTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


AdoptVpcReplyTagsAdditionalProperty = TypeAliasType(
    "AdoptVpcReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class AdoptVpcRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "AdoptVpc", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    actor_id: StrictStr
    vpc_id: Uuid


class CheckBudgetGuardrailReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CheckBudgetGuardrail", "version": 1}},
    )
    action: Literal["allow", "warn", "override"]
    estimate: dict[str, Any]
    """
    the monthly estimate: currency, monthly, line_items, price_source
    """
    findings: list[CheckBudgetGuardrailReplyFinding]
    warnings: list[CheckBudgetGuardrailReplyWarning]


class CheckBudgetGuardrailReplyFinding(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    budget_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    mode: Literal["warn", "enforce"]
    amount: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    currency: Annotated[StrictStr, Field(pattern="^[A-Z]{3}$")]
    forecast: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    estimate: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    projected: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    percent: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """


class CheckBudgetGuardrailReplyWarning(Part):
    code: StrictStr
    message: StrictStr


class CheckBudgetGuardrailRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": [
                "actor_is_admin",
                "override",
                "version",
                "cluster_id",
                "tags",
                "include_control_plane",
            ],
            "skyclust-contract": {"name": "CheckBudgetGuardrail", "version": 1},
        },
    )
    workspace_id: Uuid
    actor_id: StrictStr
    actor_is_admin: StrictBool | None = None
    """
    the caller's role as the gateway checked it
    """
    override: StrictBool | None = None
    """
    an admin's explicit override of an enforce budget
    """
    provider: Literal["aws", "gcp", "azure"]
    region: Annotated[StrictStr, Field(pattern="^[a-z][a-z0-9-]{1,63}$")]
    version: Annotated[StrictStr | None, Field(pattern="^[0-9]+\\.[0-9]+$")] = None
    cluster_id: Uuid | None = None
    """
    the cluster a node group is added to or scaled in
    """
    tags: Annotated[
        dict[str, CheckBudgetGuardrailRequestTagsAdditionalProperty] | None, Field(max_length=50)
    ] = None
    node_groups: Annotated[list[CheckBudgetGuardrailRequestNodeGroup], Field(max_length=50)]
    """
    for a scale-up, only the nodes added
    """
    include_control_plane: StrictBool | None = None
    """
    false for a node-group add or scale-up
    """


class CheckBudgetGuardrailRequestNodeGroup(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["name", "instance_type", "min_size", "max_size"]},
    )
    name: Annotated[StrictStr | None, Field(max_length=63, min_length=1)] = None
    instance_type: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    min_size: Annotated[StrictInt | None, Field(ge=0, le=1000)] = None
    max_size: Annotated[StrictInt | None, Field(ge=0, le=1000)] = None
    desired_size: Annotated[StrictInt, Field(ge=0, le=1000)]


CheckBudgetGuardrailRequestTagsAdditionalProperty = TypeAliasType(
    "CheckBudgetGuardrailRequestTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class CheckCidrPlanReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CheckCidrPlan", "version": 1}},
    )
    ok: StrictBool
    problems: list[CheckCidrPlanReplyProblem]
    networks_considered: StrictInt


class CheckCidrPlanReplyProblem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    code: StrictStr
    message: StrictStr
    vpc_index: StrictInt
    subnet_index: StrictInt | None
    conflicts: list[dict[str, Any]]


class CheckCidrPlanRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CheckCidrPlan", "version": 1}},
    )
    workspace_id: Uuid
    vpcs: Annotated[list[CheckCidrPlanRequestVpc], Field(max_length=50, min_length=1)]


class CheckCidrPlanRequestVpc(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["name", "provider", "region", "allow_overlap", "subnets"]
        },
    )
    name: Annotated[StrictStr | None, Field(max_length=100)] = None
    provider: Literal["aws", "gcp", "azure"] | None = None
    region: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    cidr_block: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    allow_overlap: StrictBool | None = None
    subnets: Annotated[list[CheckCidrPlanRequestVpcSubnet] | None, Field(max_length=100)] = None


class CheckCidrPlanRequestVpcSubnet(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["name"]},
    )
    name: Annotated[StrictStr | None, Field(max_length=100)] = None
    cidr_block: Annotated[StrictStr, Field(max_length=64, min_length=1)]


class CheckSessionReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CheckSession", "version": 1}},
    )
    live: StrictBool


class CheckSessionRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CheckSession", "version": 1}},
    )
    session_id: Uuid


class CollectCostsReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CollectCosts", "version": 1}},
    )
    rows: Annotated[StrictInt, Field(ge=0)]
    warnings: list[CollectCostsReplyWarning]
    providers: dict[str, StrictInt]


class CollectCostsReplyWarning(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    code: Literal[
        "API_PERMISSION_DENIED",
        "API_NOT_ENABLED",
        "API_THROTTLED",
        "VM_COST_CALCULATION_FAILED",
        "KUBERNETES_COST_CALCULATION_FAILED",
        "CREDENTIAL_ERROR",
        "DEFAULT_PRICES",
    ]
    message: StrictStr
    provider: Literal["aws", "gcp", "azure"]
    resource_type: StrictStr


class CollectCostsRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider", "days"],
            "skyclust-contract": {"name": "CollectCosts", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    days: Annotated[StrictInt | None, Field(ge=1, le=400)] = None


class CompleteMfaLoginReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CompleteMfaLogin", "version": 1}},
    )
    access_token: Annotated[StrictStr, Field(max_length=8192, min_length=1)]
    refresh_token: Annotated[StrictStr, Field(max_length=512, min_length=1)]
    token_type: Literal["Bearer"]
    expires_in: StrictInt


class CompleteMfaLoginRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["code", "recovery_code", "client_address"],
            "skyclust-contract": {"name": "CompleteMfaLogin", "version": 1},
        },
    )
    mfa_token: Annotated[StrictStr, Field(max_length=256, min_length=16)]
    code: Annotated[StrictStr | None, Field(max_length=16, min_length=1)] = None
    recovery_code: Annotated[StrictStr | None, Field(max_length=32, min_length=1)] = None
    client_address: Annotated[StrictStr | None, Field(max_length=64)] = None


class CompleteOidcLoginReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": [
                "access_token",
                "refresh_token",
                "token_type",
                "mfa_required",
                "mfa_token",
            ],
            "skyclust-contract": {"name": "CompleteOidcLogin", "version": 1},
        },
    )
    access_token: Annotated[StrictStr | None, Field(max_length=8192, min_length=1)] = None
    refresh_token: Annotated[StrictStr | None, Field(max_length=512, min_length=1)] = None
    token_type: Literal["Bearer"] | None = None
    expires_in: StrictInt
    mfa_required: Literal[True] | None = None
    mfa_token: Annotated[StrictStr | None, Field(max_length=256, min_length=16)] = None


class CompleteOidcLoginRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CompleteOidcLogin", "version": 1}},
    )
    provider: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    state: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    code: Annotated[StrictStr, Field(max_length=2048, min_length=1)]


class CompletePasswordResetReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CompletePasswordReset", "version": 1}},
    )
    user: CompletePasswordResetReplyUser
    ended_sessions: Annotated[StrictInt, Field(ge=0)]


class CompletePasswordResetReplyUser(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["email_verified", "mfa_enabled"]},
    )
    id: Uuid
    email: Annotated[StrictStr, Field(max_length=320, min_length=3)]
    name: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    created_at: DateTime
    email_verified: StrictBool | None = None
    mfa_enabled: StrictBool | None = None


class CompletePasswordResetRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CompletePasswordReset", "version": 1}},
    )
    token: Annotated[StrictStr, Field(max_length=256, min_length=16)]
    password: Annotated[StrictStr, Field(max_length=1024, min_length=1)]


class ConfirmMfaEnrolmentReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ConfirmMfaEnrolment", "version": 1}},
    )
    enabled: Literal[True]
    recovery_codes: Annotated[list[StrictStr], Field(max_length=20, min_length=1)]


class ConfirmMfaEnrolmentRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ConfirmMfaEnrolment", "version": 1}},
    )
    user_id: Uuid
    code: Annotated[StrictStr, Field(max_length=16, min_length=1)]


class ConfirmOidcLinkReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ConfirmOidcLink", "version": 1}},
    )
    provider: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    linked: Literal[True]


class ConfirmOidcLinkRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ConfirmOidcLink", "version": 1}},
    )
    user_id: Uuid
    link_token: Annotated[StrictStr, Field(max_length=256, min_length=16)]


class CreateApiKeyReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["key"],
            "skyclust-contract": {"name": "CreateApiKey", "version": 1},
        },
    )
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    prefix: Annotated[StrictStr, Field(max_length=32, min_length=1)]
    role: Literal["admin", "user", "viewer"]
    created_by: StrictStr | None = None
    created_at: DateTime
    expires_at: StrictStr | None = None
    last_used_at: StrictStr | None = None
    revoked_at: StrictStr | None = None
    key: Annotated[StrictStr | None, Field(max_length=128, min_length=1)] = None


class CreateApiKeyRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CreateApiKey", "version": 1}},
    )
    workspace_id: Uuid
    actor_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    role: Literal["admin", "user", "viewer"]
    expires_at: DateTime | None = None


class CreateBudgetReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["status"],
            "skyclust-contract": {"name": "CreateBudget", "version": 1},
        },
    )
    budget_id: Uuid
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    amount: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    currency: Annotated[StrictStr, Field(pattern="^[A-Z]{3}$")]
    period: Literal["monthly", "quarterly", "yearly"]
    scope: CreateBudgetReplyScope
    thresholds: list[
        Annotated[str, StringConstraints(pattern=r"^-?[0-9]+(\.[0-9]+)?$", strict=True)]
    ]
    mode: Literal["warn", "enforce"]
    fail_closed: StrictBool
    created_at: DateTime
    updated_at: DateTime
    status: dict[str, Any] | None = None
    """
    with GetBudget only: period_key, period_start, period_end, actual, forecast,
    forecast_interval_95, crossed
    """


class CreateBudgetReplyScope(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    kind: Literal["workspace", "provider", "cluster", "tag"]
    value: StrictStr | None


class CreateBudgetRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["currency", "scope", "thresholds", "mode", "fail_closed"],
            "skyclust-contract": {"name": "CreateBudget", "version": 1},
        },
    )
    workspace_id: Uuid
    actor_id: StrictStr
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    amount: Annotated[StrictStr, Field(max_length=32, min_length=1)]
    """
    a positive decimal; checked by the service, which names a bad value
    """
    currency: Annotated[StrictStr | None, Field(max_length=8, min_length=1)] = None
    """
    ISO 4217, default USD
    """
    period: Annotated[StrictStr, Field(max_length=16, min_length=1)]
    """
    monthly, quarterly or yearly
    """
    scope: CreateBudgetRequestScope | None = None
    thresholds: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=16, strict=True)]] | None,
        Field(max_length=10),
    ] = None
    """
    percentages of the amount (default 80 and 100)
    """
    mode: Annotated[StrictStr | None, Field(max_length=16, min_length=1)] = None
    """
    warn (default) or enforce
    """
    fail_closed: StrictBool | None = None
    """
    refuse covered requests while the cost service cannot be asked
    """


class CreateBudgetRequestScope(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    kind: Annotated[StrictStr, Field(max_length=16, min_length=1)]
    """
    workspace, provider, cluster or tag; checked by the service
    """
    value: Annotated[StrictStr | None, Field(max_length=400)] = None
    """
    the provider, the cluster id, or key=value for a tag
    """


class CreateClusterReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["conditions", "progress", "managed", "drift", "warnings"],
            "skyclust-contract": {"name": "CreateCluster", "version": 1},
        },
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    version: Annotated[StrictStr, Field(max_length=20, min_length=1)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    credential_id: Uuid
    status: Literal["PENDING", "PROVISIONING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    endpoint: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[dict[str, CreateClusterReplyTagsAdditionalProperty], Field(max_length=50)]
    aws_config: dict[str, Any] | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    gcp_config: dict[str, Any] | None = None
    azure_config: dict[str, Any] | None = None
    conditions: list[CreateClusterReplyCondition] | None = None
    """
    Status conditions: NetworkReady, ControlPlaneReady, NodeGroupsReady, Drifted.
    """
    step: StrictStr | None = None
    """
    The saga step running now (network, control-plane, node-groups, compensating, upgrade-
    control-plane, upgrade-node-groups, delete-node-groups, delete-control-plane, release-
    network).
    """
    progress: Annotated[StrictInt | None, Field(ge=0, le=100)] = None
    network: dict[str, Any] | None = None
    """
    The network the cluster is in: vpc_id, generated, and cloud ids.
    """
    managed: StrictBool | None = None
    """
    False for a cluster adopted read-only.
    """
    target_version: StrictStr | None = None
    drift: list[CreateClusterReplyDriftItem] | None = None
    """
    Managed fields whose cloud value differs from the desired one, as of the last check.
    """
    drift_checked_at: DateTime | None = None
    warnings: list[CreateClusterReplyWarning] | None = None
    """
    the budget guardrail's warnings: BUDGET_WOULD_BE_EXCEEDED (a warn budget, or an enforce
    budget an admin overrode), BUDGET_CHECK_SKIPPED (the cost service did not answer), and
    the estimate's own
    """


class CreateClusterReplyCondition(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["True", "False", "Unknown"]
    reason: Annotated[StrictStr, Field(max_length=128)]
    message: StrictStr | None
    last_transition_time: DateTime


class CreateClusterReplyDriftItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    field: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    desired: Any
    actual: Any


CreateClusterReplyTagsAdditionalProperty = TypeAliasType(
    "CreateClusterReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class CreateClusterReplyWarning(Part):
    code: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    message: StrictStr


class CreateClusterRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": [
                "tags",
                "aws_config",
                "node_groups",
                "network",
                "actor_is_admin",
                "budget_override",
            ],
            "skyclust-contract": {"name": "CreateCluster", "version": 1},
        },
    )
    workspace_id: Uuid
    actor_id: StrictStr
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(pattern="^[a-zA-Z][a-zA-Z0-9-]{0,99}$")]
    version: Annotated[StrictStr, Field(pattern="^[0-9]+\\.[0-9]+$")]
    region: Annotated[StrictStr, Field(pattern="^[a-z][a-z0-9-]{1,63}$")]
    credential_id: Uuid
    tags: Annotated[
        dict[str, CreateClusterRequestTagsAdditionalProperty] | None, Field(max_length=50)
    ] = None
    aws_config: CreateClusterRequestAwsConfig | None = None
    gcp_config: CreateClusterRequestGcpConfig | None = None
    azure_config: CreateClusterRequestAzureConfig | None = None
    node_groups: Annotated[list[CreateClusterRequestNodeGroup] | None, Field(max_length=10)] = None
    """
    Node groups created with the cluster, before it is READY.
    """
    network: CreateClusterRequestNetwork | None = None
    """
    A SkyClust network to use (its id, and optionally which of its subnets); without it, and
    without a provider config naming one, a network is planned and created for the cluster.
    """
    actor_is_admin: StrictBool | None = None
    """
    whether the caller is a workspace admin, as the gateway checked it (only an admin may
    override a budget)
    """
    budget_override: StrictBool | None = None
    """
    go ahead past an enforce budget (admins only; audited)
    """


class CreateClusterRequestAwsConfig(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": [
                "subnet_ids",
                "security_group_ids",
                "role_arn",
                "endpoint_public_access",
                "endpoint_private_access",
            ]
        },
    )
    subnet_ids: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]] | None,
        Field(max_length=16, min_length=2),
    ] = None
    security_group_ids: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]] | None,
        Field(max_length=5),
    ] = None
    role_arn: Annotated[StrictStr | None, Field(max_length=2048, min_length=20)] = None
    endpoint_public_access: StrictBool | None = None
    endpoint_private_access: StrictBool | None = None


class CreateClusterRequestAzureConfig(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["resource_group", "vm_size", "node_count"]},
    )
    resource_group: Annotated[StrictStr | None, Field(pattern="^[A-Za-z0-9._()-]{1,90}$")] = None
    vm_size: Annotated[StrictStr | None, Field(max_length=64)] = None
    node_count: Annotated[StrictInt | None, Field(ge=1, le=1000)] = None


class CreateClusterRequestGcpConfig(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["network", "subnetwork", "machine_type", "node_count"]
        },
    )
    network: Annotated[StrictStr | None, Field(max_length=255)] = None
    subnetwork: Annotated[StrictStr | None, Field(max_length=255)] = None
    machine_type: Annotated[StrictStr | None, Field(max_length=64)] = None
    node_count: Annotated[StrictInt | None, Field(ge=1, le=1000)] = None


class CreateClusterRequestNetwork(Part):
    """
    A SkyClust network to use (its id, and optionally which of its subnets); without it, and
    without a provider config naming one, a network is planned and created for the cluster.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["subnet_ids"]},
    )
    vpc_id: Uuid
    subnet_ids: Annotated[list[Uuid] | None, Field(max_length=16, min_length=2)] = None


class CreateClusterRequestNodeGroup(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["instance_type", "labels", "taints"]},
    )
    name: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    instance_type: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    min_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    max_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    desired_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    labels: Annotated[
        dict[str, CreateClusterRequestNodeGroupLabelsAdditionalProperty] | None,
        Field(max_length=50),
    ] = None
    taints: Annotated[list[CreateClusterRequestNodeGroupTaint] | None, Field(max_length=50)] = None


CreateClusterRequestNodeGroupLabelsAdditionalProperty = TypeAliasType(
    "CreateClusterRequestNodeGroupLabelsAdditionalProperty",
    Annotated[StrictStr, Field(max_length=63)],
)


class CreateClusterRequestNodeGroupTaint(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["value"]},
    )
    key: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    value: Annotated[StrictStr | None, Field(max_length=63)] = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


CreateClusterRequestTagsAdditionalProperty = TypeAliasType(
    "CreateClusterRequestTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class CreateCredentialReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CreateCredential", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    masked: dict[str, StrictStr]
    status: Literal["unverified", "valid", "invalid"]
    status_reason: Annotated[StrictStr | None, Field(max_length=64)]
    status_message: Annotated[StrictStr | None, Field(max_length=300)]
    account_id: Annotated[StrictStr | None, Field(max_length=128)]
    in_use: list[CreateCredentialReplyInUseItem]
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    last_used_at: DateTime | None
    last_validated_at: DateTime | None


class CreateCredentialReplyInUseItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    kind: Literal["cluster", "network"]
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class CreateCredentialRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CreateCredential", "version": 1}},
    )
    workspace_id: Uuid
    actor_id: StrictStr
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    data: dict[str, Any]


class CreateNodeGroupReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["warnings"],
            "skyclust-contract": {"name": "CreateNodeGroup", "version": 1},
        },
    )
    id: Uuid
    workspace_id: Uuid
    cluster_id: Uuid
    name: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    instance_type: StrictStr | None
    min_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    max_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    desired_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    labels: Annotated[dict[str, CreateNodeGroupReplyLabelsAdditionalProperty], Field(max_length=50)]
    taints: Annotated[list[CreateNodeGroupReplyTaint], Field(max_length=50)]
    status: Literal["PENDING", "PROVISIONING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    version: StrictStr | None = None
    """
    The nodes' Kubernetes version as last seen (null: the cluster's).
    """
    warnings: list[CreateNodeGroupReplyWarning] | None = None
    """
    the budget guardrail's warnings: BUDGET_WOULD_BE_EXCEEDED (a warn budget, or an enforce
    budget an admin overrode), BUDGET_CHECK_SKIPPED (the cost service did not answer), and
    the estimate's own
    """


CreateNodeGroupReplyLabelsAdditionalProperty = TypeAliasType(
    "CreateNodeGroupReplyLabelsAdditionalProperty", Annotated[StrictStr, Field(max_length=63)]
)


class CreateNodeGroupReplyTaint(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["value"]},
    )
    key: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    value: Annotated[StrictStr | None, Field(max_length=63)] = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class CreateNodeGroupReplyWarning(Part):
    code: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    message: StrictStr


class CreateNodeGroupRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": [
                "provider",
                "instance_type",
                "labels",
                "taints",
                "actor_is_admin",
                "budget_override",
            ],
            "skyclust-contract": {"name": "CreateNodeGroup", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    cluster_id: Uuid
    actor_id: Annotated[StrictStr, Field(max_length=64)]
    name: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    instance_type: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    min_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    max_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    desired_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    labels: Annotated[
        dict[str, CreateNodeGroupRequestLabelsAdditionalProperty] | None, Field(max_length=50)
    ] = None
    taints: Annotated[list[CreateNodeGroupRequestTaint] | None, Field(max_length=50)] = None
    actor_is_admin: StrictBool | None = None
    """
    whether the caller is a workspace admin, as the gateway checked it (only an admin may
    override a budget)
    """
    budget_override: StrictBool | None = None
    """
    go ahead past an enforce budget (admins only; audited)
    """


CreateNodeGroupRequestLabelsAdditionalProperty = TypeAliasType(
    "CreateNodeGroupRequestLabelsAdditionalProperty", Annotated[StrictStr, Field(max_length=63)]
)


class CreateNodeGroupRequestTaint(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["value"]},
    )
    key: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    value: Annotated[StrictStr | None, Field(max_length=63)] = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class CreateNotificationChannelReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["secret"],
            "skyclust-contract": {"name": "CreateNotificationChannel", "version": 1},
        },
    )
    channel: CreateNotificationChannelReplyChannel
    secret: Annotated[StrictStr | None, Field(max_length=200, pattern="^whsec_")] = None


class CreateNotificationChannelReplyChannel(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    type: Literal["webhook", "email"]
    url: Annotated[StrictStr | None, Field(max_length=2000, min_length=1)]
    recipients: Annotated[
        list[Annotated[str, StringConstraints(min_length=3, max_length=320, strict=True)]],
        Field(max_length=50),
    ]
    recipient_roles: Annotated[list[Literal["admin", "user", "viewer"]], Field(max_length=3)]
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]],
        Field(max_length=50, min_length=0),
    ]
    enabled: StrictBool
    disabled_reason: Annotated[StrictStr | None, Field(max_length=200)]
    previous_secret_until: DateTime | None
    created_at: DateTime


class CreateNotificationChannelRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": [
                "actor_id",
                "type",
                "url",
                "recipients",
                "recipient_roles",
                "event_types",
            ],
            "skyclust-contract": {"name": "CreateNotificationChannel", "version": 1},
        },
    )
    workspace_id: Uuid
    actor_id: Uuid | None = None
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    type: Literal["webhook", "email"] | None = None
    url: Annotated[StrictStr | None, Field(max_length=2000, min_length=1)] = None
    recipients: Annotated[
        list[Annotated[str, StringConstraints(min_length=3, max_length=320, strict=True)]] | None,
        Field(max_length=50, min_length=1),
    ] = None
    recipient_roles: Annotated[
        list[Literal["admin", "user", "viewer"]] | None, Field(max_length=3)
    ] = None
    """
    An email channel's recipients by role: the workspace's members with one of these roles,
    resolved from identity when each event is handled.
    """
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]] | None,
        Field(max_length=50, min_length=0),
    ] = None


class CreateNotificationRuleReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CreateNotificationRule", "version": 1}},
    )
    rule: CreateNotificationRuleReplyRule


class CreateNotificationRuleReplyRule(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]],
        Field(max_length=50, min_length=1),
    ]
    min_severity: Literal["info", "warning", "critical"]
    resource_ids: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)]],
        Field(max_length=100),
    ]
    tags: dict[str, StrictStr]
    channel_ids: Annotated[list[Uuid], Field(max_length=50)]
    in_app_roles: Annotated[list[Literal["admin", "user", "viewer"]], Field(max_length=3)]
    in_app_user_ids: Annotated[list[Uuid], Field(max_length=100)]
    enabled: StrictBool
    created_at: DateTime


class CreateNotificationRuleRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": [
                "actor_id",
                "min_severity",
                "resource_ids",
                "tags",
                "channel_ids",
                "in_app_roles",
                "in_app_user_ids",
                "enabled",
            ],
            "skyclust-contract": {"name": "CreateNotificationRule", "version": 1},
        },
    )
    workspace_id: Uuid
    actor_id: Uuid | None = None
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]],
        Field(max_length=50, min_length=1),
    ]
    min_severity: Literal["info", "warning", "critical"] | None = None
    resource_ids: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)]] | None,
        Field(max_length=100),
    ] = None
    tags: Annotated[dict[str, StrictStr] | None, Field(max_length=50)] = None
    """
    Only events about resources carrying each of these tags (key: value); empty: any.
    """
    channel_ids: Annotated[list[Uuid] | None, Field(max_length=50)] = None
    in_app_roles: Annotated[
        list[Literal["admin", "user", "viewer"]] | None, Field(max_length=3)
    ] = None
    in_app_user_ids: Annotated[list[Uuid] | None, Field(max_length=100)] = None
    enabled: StrictBool | None = None


class CreateSecurityGroupReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CreateSecurityGroup", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    vpc_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    description: Annotated[StrictStr, Field(max_length=255)]
    rules: Annotated[list[CreateSecurityGroupReplyRule], Field(max_length=50)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            CreateSecurityGroupReplyTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


class CreateSecurityGroupReplyRule(Part):
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


CreateSecurityGroupReplyTagsAdditionalProperty = TypeAliasType(
    "CreateSecurityGroupReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class CreateSecurityGroupRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["description", "rules", "tags"],
            "skyclust-contract": {"name": "CreateSecurityGroup", "version": 1},
        },
    )
    workspace_id: Uuid
    actor_id: StrictStr
    provider: Literal["aws", "gcp", "azure"]
    vpc_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    description: Annotated[StrictStr | None, Field(max_length=255)] = None
    rules: Annotated[list[CreateSecurityGroupRequestRule] | None, Field(max_length=50)] = None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            CreateSecurityGroupRequestTagsAdditionalProperty,
        ]
        | None,
        Field(max_length=50),
    ] = None


class CreateSecurityGroupRequestRule(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["action", "description"]},
    )
    direction: Literal["ingress", "egress"]
    protocol: Literal["tcp", "udp", "icmp", "all"]
    cidr: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    from_port: Annotated[StrictInt | None, Field(ge=0, le=65535)] = None
    to_port: Annotated[StrictInt | None, Field(ge=0, le=65535)] = None
    action: Literal["allow", "deny"] | None = None
    priority: Annotated[StrictInt | None, Field(ge=0, le=65535)] = None
    description: Annotated[StrictStr | None, Field(max_length=200)] = None


CreateSecurityGroupRequestTagsAdditionalProperty = TypeAliasType(
    "CreateSecurityGroupRequestTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class CreateSubnetReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CreateSubnet", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    vpc_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cidr_block: Annotated[StrictStr, Field(max_length=18, min_length=9)]
    availability_zone: StrictStr | None
    is_public: StrictBool
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            CreateSubnetReplyTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


CreateSubnetReplyTagsAdditionalProperty = TypeAliasType(
    "CreateSubnetReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class CreateSubnetRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["region", "availability_zone", "is_public", "tags"],
            "skyclust-contract": {"name": "CreateSubnet", "version": 1},
        },
    )
    workspace_id: Uuid
    actor_id: StrictStr
    provider: Literal["aws", "gcp", "azure"]
    vpc_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cidr_block: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    region: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    availability_zone: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    is_public: StrictBool | None = None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            CreateSubnetRequestTagsAdditionalProperty,
        ]
        | None,
        Field(max_length=50),
    ] = None


CreateSubnetRequestTagsAdditionalProperty = TypeAliasType(
    "CreateSubnetRequestTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class CreateVpcReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CreateVpc", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cidr_block: Annotated[StrictStr | None, Field(max_length=18)]
    address_space: list[Annotated[str, StringConstraints(min_length=9, max_length=18, strict=True)]]
    is_default: StrictBool
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    resource_group: StrictStr | None
    managed: StrictBool
    allow_overlap: StrictBool
    network_mode: StrictStr | None
    routing_mode: StrictStr | None
    mtu: StrictInt | None
    auto_subnets: StrictBool | None
    firewall_rule_count: StrictInt | None
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            CreateVpcReplyTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    overlaps: list[CreateVpcReplyOverlap]


class CreateVpcReplyOverlap(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: StrictStr
    name: StrictStr
    provider: StrictStr
    region: StrictStr
    cidr_block: StrictStr
    managed: StrictBool


CreateVpcReplyTagsAdditionalProperty = TypeAliasType(
    "CreateVpcReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class CreateVpcRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": [
                "region",
                "cidr_block",
                "prefix_length",
                "allow_overlap",
                "resource_group",
                "tags",
                "gcp_config",
            ],
            "skyclust-contract": {"name": "CreateVpc", "version": 1},
        },
    )
    workspace_id: Uuid
    actor_id: StrictStr
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    region: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    cidr_block: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    prefix_length: Annotated[StrictInt | None, Field(ge=8, le=29)] = None
    allow_overlap: StrictBool | None = None
    resource_group: Annotated[StrictStr | None, Field(max_length=90, min_length=1)] = None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            CreateVpcRequestTagsAdditionalProperty,
        ]
        | None,
        Field(max_length=50),
    ] = None
    gcp_config: CreateVpcRequestGcpConfig | None = None


class CreateVpcRequestGcpConfig(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["routing_mode", "mtu"]},
    )
    routing_mode: Literal["REGIONAL", "GLOBAL"] | None = None
    mtu: Annotated[StrictInt | None, Field(ge=1300, le=8896)] = None


CreateVpcRequestTagsAdditionalProperty = TypeAliasType(
    "CreateVpcRequestTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class CreateWorkspaceReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["member_count"],
            "skyclust-contract": {"name": "CreateWorkspace", "version": 1},
        },
    )
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    role: Literal["admin", "user", "viewer"]
    member_count: StrictInt | None = None


class CreateWorkspaceRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "CreateWorkspace", "version": 1}},
    )
    user_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class DecryptCredentialReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DecryptCredential", "version": 1}},
    )
    provider: Literal["aws", "gcp", "azure"]
    data: dict[str, Any]


class DecryptCredentialRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DecryptCredential", "version": 1}},
    )
    workspace_id: Uuid
    credential_id: Uuid
    reason: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    correlation_id: StrictStr | None = None


class DeleteBudgetReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DeleteBudget", "version": 1}},
    )
    budget_id: Uuid
    deleted: StrictBool


class DeleteBudgetRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DeleteBudget", "version": 1}},
    )
    workspace_id: Uuid
    actor_id: StrictStr
    budget_id: Uuid


class DeleteClusterReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["conditions", "progress", "managed", "drift"],
            "skyclust-contract": {"name": "DeleteCluster", "version": 1},
        },
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    version: Annotated[StrictStr, Field(max_length=20, min_length=1)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    credential_id: Uuid
    status: Literal["PENDING", "PROVISIONING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    endpoint: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[dict[str, DeleteClusterReplyTagsAdditionalProperty], Field(max_length=50)]
    aws_config: dict[str, Any] | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    gcp_config: dict[str, Any] | None = None
    azure_config: dict[str, Any] | None = None
    conditions: list[DeleteClusterReplyCondition] | None = None
    """
    Status conditions: NetworkReady, ControlPlaneReady, NodeGroupsReady, Drifted.
    """
    step: StrictStr | None = None
    """
    The saga step running now (network, control-plane, node-groups, compensating, upgrade-
    control-plane, upgrade-node-groups, delete-node-groups, delete-control-plane, release-
    network).
    """
    progress: Annotated[StrictInt | None, Field(ge=0, le=100)] = None
    network: dict[str, Any] | None = None
    """
    The network the cluster is in: vpc_id, generated, and cloud ids.
    """
    managed: StrictBool | None = None
    """
    False for a cluster adopted read-only.
    """
    target_version: StrictStr | None = None
    drift: list[DeleteClusterReplyDriftItem] | None = None
    """
    Managed fields whose cloud value differs from the desired one, as of the last check.
    """
    drift_checked_at: DateTime | None = None


class DeleteClusterReplyCondition(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["True", "False", "Unknown"]
    reason: Annotated[StrictStr, Field(max_length=128)]
    message: StrictStr | None
    last_transition_time: DateTime


class DeleteClusterReplyDriftItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    field: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    desired: Any
    actual: Any


DeleteClusterReplyTagsAdditionalProperty = TypeAliasType(
    "DeleteClusterReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class DeleteClusterRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "DeleteCluster", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    actor_id: StrictStr
    cluster_id: Uuid


class DeleteCredentialReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DeleteCredential", "version": 1}},
    )
    deleted: Literal[True]


class DeleteCredentialRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DeleteCredential", "version": 1}},
    )
    workspace_id: Uuid
    actor_id: StrictStr
    credential_id: Uuid


class DeleteNodeGroupReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DeleteNodeGroup", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    cluster_id: Uuid
    name: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    instance_type: StrictStr | None
    min_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    max_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    desired_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    labels: Annotated[dict[str, DeleteNodeGroupReplyLabelsAdditionalProperty], Field(max_length=50)]
    taints: Annotated[list[DeleteNodeGroupReplyTaint], Field(max_length=50)]
    status: Literal["PENDING", "PROVISIONING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    version: StrictStr | None = None
    """
    The nodes' Kubernetes version as last seen (null: the cluster's).
    """


DeleteNodeGroupReplyLabelsAdditionalProperty = TypeAliasType(
    "DeleteNodeGroupReplyLabelsAdditionalProperty", Annotated[StrictStr, Field(max_length=63)]
)


class DeleteNodeGroupReplyTaint(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["value"]},
    )
    key: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    value: Annotated[StrictStr | None, Field(max_length=63)] = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class DeleteNodeGroupRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "DeleteNodeGroup", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    cluster_id: Uuid
    node_group_id: Uuid
    actor_id: Annotated[StrictStr, Field(max_length=64)]


class DeleteNotificationChannelReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-contract": {"name": "DeleteNotificationChannel", "version": 1}
        },
    )
    deleted: StrictBool


class DeleteNotificationChannelRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-contract": {"name": "DeleteNotificationChannel", "version": 1}
        },
    )
    workspace_id: Uuid
    channel_id: Uuid


class DeleteNotificationRuleReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DeleteNotificationRule", "version": 1}},
    )
    deleted: StrictBool


class DeleteNotificationRuleRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DeleteNotificationRule", "version": 1}},
    )
    workspace_id: Uuid
    rule_id: Uuid


class DeleteSecurityGroupReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DeleteSecurityGroup", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    vpc_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    description: Annotated[StrictStr, Field(max_length=255)]
    rules: Annotated[list[DeleteSecurityGroupReplyRule], Field(max_length=50)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            DeleteSecurityGroupReplyTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


class DeleteSecurityGroupReplyRule(Part):
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


DeleteSecurityGroupReplyTagsAdditionalProperty = TypeAliasType(
    "DeleteSecurityGroupReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class DeleteSecurityGroupRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "DeleteSecurityGroup", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    actor_id: StrictStr
    security_group_id: Uuid


class DeleteSubnetReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DeleteSubnet", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    vpc_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cidr_block: Annotated[StrictStr, Field(max_length=18, min_length=9)]
    availability_zone: StrictStr | None
    is_public: StrictBool
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            DeleteSubnetReplyTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


DeleteSubnetReplyTagsAdditionalProperty = TypeAliasType(
    "DeleteSubnetReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class DeleteSubnetRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "DeleteSubnet", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    actor_id: StrictStr
    subnet_id: Uuid


class DeleteVpcReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DeleteVpc", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cidr_block: Annotated[StrictStr | None, Field(max_length=18)]
    address_space: list[Annotated[str, StringConstraints(min_length=9, max_length=18, strict=True)]]
    is_default: StrictBool
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    resource_group: StrictStr | None
    managed: StrictBool
    allow_overlap: StrictBool
    network_mode: StrictStr | None
    routing_mode: StrictStr | None
    mtu: StrictInt | None
    auto_subnets: StrictBool | None
    firewall_rule_count: StrictInt | None
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            DeleteVpcReplyTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


DeleteVpcReplyTagsAdditionalProperty = TypeAliasType(
    "DeleteVpcReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class DeleteVpcRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "DeleteVpc", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    actor_id: StrictStr
    vpc_id: Uuid


class DisableMfaReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DisableMfa", "version": 1}},
    )
    enabled: Literal[False]


class DisableMfaRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["code", "recovery_code"],
            "skyclust-contract": {"name": "DisableMfa", "version": 1},
        },
    )
    user_id: Uuid
    code: Annotated[StrictStr | None, Field(max_length=16, min_length=1)] = None
    recovery_code: Annotated[StrictStr | None, Field(max_length=32, min_length=1)] = None


class DiscoverClustersReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DiscoverClusters", "version": 1}},
    )
    items: list[DiscoverClustersReplyItem]


class DiscoverClustersReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    name: StrictStr
    cloud_id: StrictStr
    status: StrictStr
    version: StrictStr
    endpoint: StrictStr | None
    resource_group: StrictStr | None
    tracked_by: Uuid | None
    node_groups: list[DiscoverClustersReplyItemNodeGroup]


class DiscoverClustersReplyItemNodeGroup(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    name: StrictStr
    status: StrictStr
    version: StrictStr
    instance_type: StrictStr | None
    min_size: StrictInt
    max_size: StrictInt
    desired_size: StrictInt


class DiscoverClustersRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DiscoverClusters", "version": 1}},
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    region: Annotated[StrictStr, Field(pattern="^[a-z][a-z0-9-]{1,63}$")]


class DiscoverNetworksReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "DiscoverNetworks", "version": 1}},
    )
    items: list[DiscoverNetworksReplyItem]
    discovered: StrictInt
    vanished: StrictInt


class DiscoverNetworksReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cidr_block: Annotated[StrictStr | None, Field(max_length=18)]
    address_space: list[Annotated[str, StringConstraints(min_length=9, max_length=18, strict=True)]]
    is_default: StrictBool
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    resource_group: StrictStr | None
    managed: StrictBool
    allow_overlap: StrictBool
    network_mode: StrictStr | None
    routing_mode: StrictStr | None
    mtu: StrictInt | None
    auto_subnets: StrictBool | None
    firewall_rule_count: StrictInt | None
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            DiscoverNetworksReplyItemTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


DiscoverNetworksReplyItemTagsAdditionalProperty = TypeAliasType(
    "DiscoverNetworksReplyItemTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class DiscoverNetworksRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["actor_id", "region"],
            "skyclust-contract": {"name": "DiscoverNetworks", "version": 1},
        },
    )
    workspace_id: Uuid
    actor_id: StrictStr | None = None
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    region: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None


class EstimateClusterCostReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "EstimateClusterCost", "version": 1}},
    )
    provider: Literal["aws", "gcp", "azure"]
    region: StrictStr
    currency: Annotated[StrictStr, Field(max_length=3, min_length=3)]
    monthly: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    monthly_min: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    monthly_max: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    price_source: Literal["pricing_api", "default_table"]
    line_items: list[EstimateClusterCostReplyLineItem]
    warnings: list[EstimateClusterCostReplyWarning]


class EstimateClusterCostReplyLineItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    kind: Literal["control_plane", "nodes", "network"]
    name: StrictStr
    quantity: Annotated[StrictInt, Field(ge=0)]
    hourly_unit: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    monthly: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    monthly_min: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    monthly_max: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    price_source: Literal["pricing_api", "default_table"]


class EstimateClusterCostReplyWarning(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    code: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    message: StrictStr
    provider: StrictStr
    resource_type: StrictStr


class EstimateClusterCostRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": [
                "version",
                "control_plane_tier",
                "node_groups",
                "gcp_config",
                "azure_config",
                "network_pieces",
            ],
            "skyclust-contract": {"name": "EstimateClusterCost", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    region: Annotated[StrictStr, Field(pattern="^[a-z][a-z0-9-]{1,63}$")]
    version: Annotated[StrictStr | None, Field(max_length=20)] = None
    control_plane_tier: Annotated[StrictStr | None, Field(max_length=32, min_length=1)] = None
    """
    aws/gcp: standard (default); azure: free (default) or standard
    """
    node_groups: Annotated[
        list[EstimateClusterCostRequestNodeGroup] | None, Field(max_length=50)
    ] = None
    gcp_config: EstimateClusterCostRequestGcpConfig | None = None
    """
    GKE's default pool (as a CreateCluster body's); other fields are ignored
    """
    azure_config: EstimateClusterCostRequestAzureConfig | None = None
    """
    AKS's system pool (as a CreateCluster body's); other fields are ignored
    """
    network_pieces: EstimateClusterCostRequestNetworkPieces | None = None


class EstimateClusterCostRequestAzureConfig(Part):
    """
    AKS's system pool (as a CreateCluster body's); other fields are ignored
    """

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"skyclust-not-null": ["vm_size", "node_count"]},
    )
    vm_size: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    node_count: Annotated[StrictInt | None, Field(ge=1, le=1000)] = None


class EstimateClusterCostRequestGcpConfig(Part):
    """
    GKE's default pool (as a CreateCluster body's); other fields are ignored
    """

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"skyclust-not-null": ["machine_type", "node_count"]},
    )
    machine_type: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    node_count: Annotated[StrictInt | None, Field(ge=1, le=1000)] = None


class EstimateClusterCostRequestNetworkPieces(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["nat_gateways", "load_balancers"]},
    )
    nat_gateways: Annotated[StrictInt | None, Field(ge=0, le=100)] = None
    load_balancers: Annotated[StrictInt | None, Field(ge=0, le=100)] = None


class EstimateClusterCostRequestNodeGroup(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["name", "instance_type", "min_size", "max_size"]},
    )
    name: Annotated[StrictStr | None, Field(max_length=63, min_length=1)] = None
    instance_type: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    min_size: Annotated[StrictInt | None, Field(ge=0, le=1000)] = None
    max_size: Annotated[StrictInt | None, Field(ge=0, le=1000)] = None
    desired_size: Annotated[StrictInt, Field(ge=0, le=1000)]


class ForgetClusterReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["conditions", "progress", "managed", "drift"],
            "skyclust-contract": {"name": "ForgetCluster", "version": 1},
        },
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    version: Annotated[StrictStr, Field(max_length=20, min_length=1)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    credential_id: Uuid
    status: Literal["PENDING", "PROVISIONING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    endpoint: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[dict[str, ForgetClusterReplyTagsAdditionalProperty], Field(max_length=50)]
    aws_config: dict[str, Any] | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    gcp_config: dict[str, Any] | None = None
    azure_config: dict[str, Any] | None = None
    conditions: list[ForgetClusterReplyCondition] | None = None
    """
    Status conditions: NetworkReady, ControlPlaneReady, NodeGroupsReady, Drifted.
    """
    step: StrictStr | None = None
    """
    The saga step running now (network, control-plane, node-groups, compensating, upgrade-
    control-plane, upgrade-node-groups, delete-node-groups, delete-control-plane, release-
    network).
    """
    progress: Annotated[StrictInt | None, Field(ge=0, le=100)] = None
    network: dict[str, Any] | None = None
    """
    The network the cluster is in: vpc_id, generated, and cloud ids.
    """
    managed: StrictBool | None = None
    """
    False for a cluster adopted read-only.
    """
    target_version: StrictStr | None = None
    drift: list[ForgetClusterReplyDriftItem] | None = None
    """
    Managed fields whose cloud value differs from the desired one, as of the last check.
    """
    drift_checked_at: DateTime | None = None


class ForgetClusterReplyCondition(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["True", "False", "Unknown"]
    reason: Annotated[StrictStr, Field(max_length=128)]
    message: StrictStr | None
    last_transition_time: DateTime


class ForgetClusterReplyDriftItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    field: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    desired: Any
    actual: Any


ForgetClusterReplyTagsAdditionalProperty = TypeAliasType(
    "ForgetClusterReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class ForgetClusterRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "ForgetCluster", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    actor_id: Annotated[StrictStr, Field(max_length=64)]
    cluster_id: Uuid


class GetBudgetReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["status"],
            "skyclust-contract": {"name": "GetBudget", "version": 1},
        },
    )
    budget_id: Uuid
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    amount: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    currency: Annotated[StrictStr, Field(pattern="^[A-Z]{3}$")]
    period: Literal["monthly", "quarterly", "yearly"]
    scope: GetBudgetReplyScope
    thresholds: list[
        Annotated[str, StringConstraints(pattern=r"^-?[0-9]+(\.[0-9]+)?$", strict=True)]
    ]
    mode: Literal["warn", "enforce"]
    fail_closed: StrictBool
    created_at: DateTime
    updated_at: DateTime
    status: dict[str, Any] | None = None
    """
    with GetBudget only: period_key, period_start, period_end, actual, forecast,
    forecast_interval_95, crossed
    """


class GetBudgetReplyScope(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    kind: Literal["workspace", "provider", "cluster", "tag"]
    value: StrictStr | None


class GetBudgetRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetBudget", "version": 1}},
    )
    workspace_id: Uuid
    budget_id: Uuid


class GetClusterReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["conditions", "progress", "managed", "drift"],
            "skyclust-contract": {"name": "GetCluster", "version": 1},
        },
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    version: Annotated[StrictStr, Field(max_length=20, min_length=1)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    credential_id: Uuid
    status: Literal["PENDING", "PROVISIONING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    endpoint: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[dict[str, GetClusterReplyTagsAdditionalProperty], Field(max_length=50)]
    aws_config: dict[str, Any] | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    gcp_config: dict[str, Any] | None = None
    azure_config: dict[str, Any] | None = None
    conditions: list[GetClusterReplyCondition] | None = None
    """
    Status conditions: NetworkReady, ControlPlaneReady, NodeGroupsReady, Drifted.
    """
    step: StrictStr | None = None
    """
    The saga step running now (network, control-plane, node-groups, compensating, upgrade-
    control-plane, upgrade-node-groups, delete-node-groups, delete-control-plane, release-
    network).
    """
    progress: Annotated[StrictInt | None, Field(ge=0, le=100)] = None
    network: dict[str, Any] | None = None
    """
    The network the cluster is in: vpc_id, generated, and cloud ids.
    """
    managed: StrictBool | None = None
    """
    False for a cluster adopted read-only.
    """
    target_version: StrictStr | None = None
    drift: list[GetClusterReplyDriftItem] | None = None
    """
    Managed fields whose cloud value differs from the desired one, as of the last check.
    """
    drift_checked_at: DateTime | None = None


class GetClusterReplyCondition(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["True", "False", "Unknown"]
    reason: Annotated[StrictStr, Field(max_length=128)]
    message: StrictStr | None
    last_transition_time: DateTime


class GetClusterReplyDriftItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    field: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    desired: Any
    actual: Any


GetClusterReplyTagsAdditionalProperty = TypeAliasType(
    "GetClusterReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class GetClusterRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider", "include_deleted"],
            "skyclust-contract": {"name": "GetCluster", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    cluster_id: Uuid
    include_deleted: StrictBool | None = None
    """
    answer a deleted cluster too, in its last state (status DELETED); without it a deleted
    cluster is not found
    """


class GetClusterTokenReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetClusterToken", "version": 1}},
    )
    cluster_id: Uuid
    expires_at: DateTime | None
    status: GetClusterTokenReplyStatus
    """
    the ExecCredential status: token, or clientCertificateData and clientKeyData
    """


class GetClusterTokenReplyStatus(Part):
    """
    the ExecCredential status: token, or clientCertificateData and clientKeyData
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["token", "clientCertificateData", "clientKeyData"]
        },
    )
    token: Annotated[StrictStr | None, Field(min_length=1)] = None
    clientCertificateData: Annotated[StrictStr | None, Field(min_length=1)] = None
    clientKeyData: Annotated[StrictStr | None, Field(min_length=1)] = None


class GetClusterTokenRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider", "actor_type"],
            "skyclust-contract": {"name": "GetClusterToken", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    cluster_id: Uuid
    actor_id: Annotated[StrictStr, Field(max_length=64)]
    actor_type: Literal["user", "api_key"] | None = "user"


class GetCostBreakdownReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetCostBreakdown", "version": 1}},
    )
    period: Literal["7d", "1m", "3m", "6m", "1y"]
    start: date_aliased
    end: date_aliased
    currency: Annotated[StrictStr, Field(max_length=3, min_length=3)]
    warnings: list[GetCostBreakdownReplyWarning]
    by: StrictStr
    total: StrictFloat
    items: list[GetCostBreakdownReplyItem]


class GetCostBreakdownReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    key: StrictStr
    amount: StrictFloat
    share: StrictFloat


class GetCostBreakdownReplyWarning(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    code: Literal[
        "API_PERMISSION_DENIED",
        "API_NOT_ENABLED",
        "API_THROTTLED",
        "VM_COST_CALCULATION_FAILED",
        "KUBERNETES_COST_CALCULATION_FAILED",
        "CREDENTIAL_ERROR",
        "DEFAULT_PRICES",
    ]
    message: StrictStr
    provider: Literal["aws", "gcp", "azure"]
    resource_type: StrictStr


class GetCostBreakdownRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["period", "resource_types", "provider"],
            "skyclust-contract": {"name": "GetCostBreakdown", "version": 1},
        },
    )
    workspace_id: Uuid
    period: Annotated[StrictStr | None, Field(max_length=16, min_length=1)] = None
    """
    7d, 1m, 3m, 6m or 1y (default 1m); checked by the service, which names a bad value
    """
    resource_types: Annotated[StrictStr | None, Field(max_length=32, min_length=1)] = None
    """
    all (default), vm, cluster or vm,cluster
    """
    provider: Annotated[StrictStr | None, Field(max_length=16, min_length=1)] = None
    by: Annotated[StrictStr, Field(max_length=140, min_length=1)]
    """
    service, provider, region, cluster, node_group or tag:<key>
    """


class GetCostComparisonReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetCostComparison", "version": 1}},
    )
    period: Literal["7d", "1m", "3m", "6m", "1y"]
    start: date_aliased
    end: date_aliased
    currency: Annotated[StrictStr, Field(max_length=3, min_length=3)]
    warnings: list[GetCostComparisonReplyWarning]
    current: StrictFloat
    previous: StrictFloat
    previous_start: date_aliased
    previous_end: date_aliased
    change: StrictFloat
    change_percent: StrictFloat | None
    by_provider: dict[str, GetCostComparisonReplyByProvider]


class GetCostComparisonReplyByProvider(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    current: StrictFloat
    previous: StrictFloat


class GetCostComparisonReplyWarning(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    code: Literal[
        "API_PERMISSION_DENIED",
        "API_NOT_ENABLED",
        "API_THROTTLED",
        "VM_COST_CALCULATION_FAILED",
        "KUBERNETES_COST_CALCULATION_FAILED",
        "CREDENTIAL_ERROR",
        "DEFAULT_PRICES",
    ]
    message: StrictStr
    provider: Literal["aws", "gcp", "azure"]
    resource_type: StrictStr


class GetCostComparisonRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["period", "resource_types", "provider"],
            "skyclust-contract": {"name": "GetCostComparison", "version": 1},
        },
    )
    workspace_id: Uuid
    period: Annotated[StrictStr | None, Field(max_length=16, min_length=1)] = None
    """
    7d, 1m, 3m, 6m or 1y (default 1m); checked by the service, which names a bad value
    """
    resource_types: Annotated[StrictStr | None, Field(max_length=32, min_length=1)] = None
    """
    all (default), vm, cluster or vm,cluster
    """
    provider: Annotated[StrictStr | None, Field(max_length=16, min_length=1)] = None


class GetCostForecastReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetCostForecast", "version": 1}},
    )
    horizon: Literal["7d", "1m", "3m", "6m", "1y"]
    method: Literal["seasonal_steps", "linear"]
    start: date_aliased
    """
    the first day forecast (tomorrow)
    """
    end: date_aliased
    """
    the last day forecast
    """
    history_start: date_aliased | None
    """
    the first day of cost learnt from (null: none yet)
    """
    history_end: date_aliased
    currency: Annotated[StrictStr, Field(max_length=3, min_length=3)]
    warnings: list[GetCostForecastReplyWarning]
    total: StrictFloat
    intervals: GetCostForecastReplyIntervals
    daily: list[GetCostForecastReplyDailyItem]
    steps: list[GetCostForecastReplyStep]
    """
    the run-rate changes the forecast was told of: clusters and node groups created, scaled
    or deleted since the history's start, per day (signed)
    """
    cloud_forecasts: list[GetCostForecastReplyCloudForecast]
    """
    the clouds' own forecasts of the same days, one per credential of a cloud that has one
    (AWS Cost Explorer, Azure Cost Management; GCP has none), for the credential's whole
    account; given when resource_types is all, else empty. A cloud that refused is left out
    with its warning
    """


class GetCostForecastReplyCloudForecast(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    provider: Literal["aws", "azure"]
    credential_id: Uuid
    total: StrictFloat
    lower_80: StrictFloat | None
    """
    the 80% interval's bounds of the total (AWS: the days' bounds summed); null where the
    cloud gives none (Azure)
    """
    upper_80: StrictFloat | None
    currency: Annotated[StrictStr, Field(max_length=3, min_length=3)]
    source: Literal["aws_cost_explorer", "azure_cost_management"]


class GetCostForecastReplyDailyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    date: date_aliased
    mean: StrictFloat
    lower_80: StrictFloat
    upper_80: StrictFloat
    lower_95: StrictFloat
    upper_95: StrictFloat


class GetCostForecastReplyIntervals(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    field_80: Annotated[list[StrictFloat], Field(alias="80", max_length=2, min_length=2)]
    field_95: Annotated[list[StrictFloat], Field(alias="95", max_length=2, min_length=2)]


class GetCostForecastReplyStep(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    date: date_aliased
    delta_per_day: StrictFloat


class GetCostForecastReplyWarning(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    code: Literal[
        "API_PERMISSION_DENIED",
        "API_NOT_ENABLED",
        "API_THROTTLED",
        "VM_COST_CALCULATION_FAILED",
        "KUBERNETES_COST_CALCULATION_FAILED",
        "CREDENTIAL_ERROR",
        "DEFAULT_PRICES",
    ]
    message: StrictStr
    provider: Literal["aws", "gcp", "azure"]
    resource_type: StrictStr


class GetCostForecastRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["horizon", "method", "resource_types", "provider"],
            "skyclust-contract": {"name": "GetCostForecast", "version": 1},
        },
    )
    workspace_id: Uuid
    horizon: Annotated[StrictStr | None, Field(max_length=16, min_length=1)] = None
    """
    how far ahead: 7d, 1m, 3m, 6m or 1y (default 1m); checked by the service, which names a
    bad value
    """
    method: Literal["seasonal_steps", "linear"] | None = None
    """
    seasonal_steps (default): weekly seasonality, a trend and the run-rate steps; linear:
    the seed's straight line, to compare
    """
    resource_types: Annotated[StrictStr | None, Field(max_length=32, min_length=1)] = None
    """
    all (default), vm, cluster or vm,cluster
    """
    provider: Annotated[StrictStr | None, Field(max_length=16, min_length=1)] = None


class GetCostSummaryReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetCostSummary", "version": 1}},
    )
    period: Literal["7d", "1m", "3m", "6m", "1y"]
    start: date_aliased
    end: date_aliased
    currency: Annotated[StrictStr, Field(max_length=3, min_length=3)]
    warnings: list[GetCostSummaryReplyWarning]
    total: StrictFloat
    by_provider: dict[str, StrictFloat]
    daily: list[GetCostSummaryReplyDailyItem]


class GetCostSummaryReplyDailyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    date: date_aliased
    amount: StrictFloat


class GetCostSummaryReplyWarning(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    code: Literal[
        "API_PERMISSION_DENIED",
        "API_NOT_ENABLED",
        "API_THROTTLED",
        "VM_COST_CALCULATION_FAILED",
        "KUBERNETES_COST_CALCULATION_FAILED",
        "CREDENTIAL_ERROR",
        "DEFAULT_PRICES",
    ]
    message: StrictStr
    provider: Literal["aws", "gcp", "azure"]
    resource_type: StrictStr


class GetCostSummaryRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["period", "resource_types", "provider"],
            "skyclust-contract": {"name": "GetCostSummary", "version": 1},
        },
    )
    workspace_id: Uuid
    period: Annotated[StrictStr | None, Field(max_length=16, min_length=1)] = None
    """
    7d, 1m, 3m, 6m or 1y (default 1m); checked by the service, which names a bad value
    """
    resource_types: Annotated[StrictStr | None, Field(max_length=32, min_length=1)] = None
    """
    all (default), vm, cluster or vm,cluster
    """
    provider: Annotated[StrictStr | None, Field(max_length=16, min_length=1)] = None


class GetCostTrendReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetCostTrend", "version": 1}},
    )
    period: Literal["7d", "1m", "3m", "6m", "1y"]
    start: date_aliased
    end: date_aliased
    currency: Annotated[StrictStr, Field(max_length=3, min_length=3)]
    warnings: list[GetCostTrendReplyWarning]
    first_half: StrictFloat
    second_half: StrictFloat
    change: StrictFloat
    change_percent: StrictFloat | None
    direction: Literal["increasing", "decreasing", "stable"]
    daily: list[GetCostTrendReplyDailyItem]


class GetCostTrendReplyDailyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    date: date_aliased
    amount: StrictFloat


class GetCostTrendReplyWarning(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    code: Literal[
        "API_PERMISSION_DENIED",
        "API_NOT_ENABLED",
        "API_THROTTLED",
        "VM_COST_CALCULATION_FAILED",
        "KUBERNETES_COST_CALCULATION_FAILED",
        "CREDENTIAL_ERROR",
        "DEFAULT_PRICES",
    ]
    message: StrictStr
    provider: Literal["aws", "gcp", "azure"]
    resource_type: StrictStr


class GetCostTrendRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["period", "resource_types", "provider"],
            "skyclust-contract": {"name": "GetCostTrend", "version": 1},
        },
    )
    workspace_id: Uuid
    period: Annotated[StrictStr | None, Field(max_length=16, min_length=1)] = None
    """
    7d, 1m, 3m, 6m or 1y (default 1m); checked by the service, which names a bad value
    """
    resource_types: Annotated[StrictStr | None, Field(max_length=32, min_length=1)] = None
    """
    all (default), vm, cluster or vm,cluster
    """
    provider: Annotated[StrictStr | None, Field(max_length=16, min_length=1)] = None


class GetCredentialReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetCredential", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    masked: dict[str, StrictStr]
    status: Literal["unverified", "valid", "invalid"]
    status_reason: Annotated[StrictStr | None, Field(max_length=64)]
    status_message: Annotated[StrictStr | None, Field(max_length=300)]
    account_id: Annotated[StrictStr | None, Field(max_length=128)]
    in_use: list[GetCredentialReplyInUseItem]
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    last_used_at: DateTime | None
    last_validated_at: DateTime | None


class GetCredentialReplyInUseItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    kind: Literal["cluster", "network"]
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class GetCredentialRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["actor_id"],
            "skyclust-contract": {"name": "GetCredential", "version": 1},
        },
    )
    workspace_id: Uuid
    actor_id: StrictStr | None = None
    credential_id: Uuid


class GetJwksReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetJwks", "version": 1}},
    )
    keys: list[GetJwksReplyKey]


class GetJwksReplyKey(Part):
    kty: StrictStr
    kid: StrictStr


class GetJwksRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetJwks", "version": 1}},
    )


class GetKubeconfigReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetKubeconfig", "version": 1}},
    )
    cluster_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    """
    the cluster's name (for the file name)
    """
    kubeconfig: Annotated[StrictStr, Field(min_length=1)]
    expires_at: DateTime | None


class GetKubeconfigRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider", "mode", "actor_type"],
            "skyclust-contract": {"name": "GetKubeconfig", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    cluster_id: Uuid
    actor_id: Annotated[StrictStr, Field(max_length=64)]
    mode: Literal["exec", "static"] | None = "static"
    """
    exec: users[].user.exec runs the SkyClust CLI for a fresh token; static: the short-lived
    credential itself
    """
    actor_type: Literal["user", "api_key"] | None = "user"
    """
    who the actor is, for the audit record
    """


class GetMeReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetMe", "version": 1}},
    )
    user: GetMeReplyUser
    workspace: GetMeReplyWorkspace


class GetMeReplyUser(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["email_verified", "mfa_enabled"]},
    )
    id: Uuid
    email: Annotated[StrictStr, Field(max_length=320, min_length=3)]
    name: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    created_at: DateTime
    email_verified: StrictBool | None = None
    mfa_enabled: StrictBool | None = None


class GetMeReplyWorkspace(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    role: Literal["admin", "user", "viewer"]


class GetMeRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetMe", "version": 1}},
    )
    user_id: Uuid
    workspace_id: Uuid


class GetNodeGroupReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetNodeGroup", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    cluster_id: Uuid
    name: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    instance_type: StrictStr | None
    min_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    max_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    desired_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    labels: Annotated[dict[str, GetNodeGroupReplyLabelsAdditionalProperty], Field(max_length=50)]
    taints: Annotated[list[GetNodeGroupReplyTaint], Field(max_length=50)]
    status: Literal["PENDING", "PROVISIONING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    version: StrictStr | None = None
    """
    The nodes' Kubernetes version as last seen (null: the cluster's).
    """


GetNodeGroupReplyLabelsAdditionalProperty = TypeAliasType(
    "GetNodeGroupReplyLabelsAdditionalProperty", Annotated[StrictStr, Field(max_length=63)]
)


class GetNodeGroupReplyTaint(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["value"]},
    )
    key: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    value: Annotated[StrictStr | None, Field(max_length=63)] = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class GetNodeGroupRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetNodeGroup", "version": 1}},
    )
    workspace_id: Uuid
    cluster_id: Uuid
    node_group_id: Uuid


class GetNotificationChannelReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetNotificationChannel", "version": 1}},
    )
    channel: GetNotificationChannelReplyChannel


class GetNotificationChannelReplyChannel(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    type: Literal["webhook", "email"]
    url: Annotated[StrictStr | None, Field(max_length=2000, min_length=1)]
    recipients: Annotated[
        list[Annotated[str, StringConstraints(min_length=3, max_length=320, strict=True)]],
        Field(max_length=50),
    ]
    recipient_roles: Annotated[list[Literal["admin", "user", "viewer"]], Field(max_length=3)]
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]],
        Field(max_length=50, min_length=0),
    ]
    enabled: StrictBool
    disabled_reason: Annotated[StrictStr | None, Field(max_length=200)]
    previous_secret_until: DateTime | None
    created_at: DateTime


class GetNotificationChannelRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetNotificationChannel", "version": 1}},
    )
    workspace_id: Uuid
    channel_id: Uuid


class GetNotificationMutesReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetNotificationMutes", "version": 1}},
    )
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]],
        Field(max_length=50),
    ]


class GetNotificationMutesRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetNotificationMutes", "version": 1}},
    )
    workspace_id: Uuid
    user_id: Uuid


class GetNotificationRuleReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetNotificationRule", "version": 1}},
    )
    rule: GetNotificationRuleReplyRule


class GetNotificationRuleReplyRule(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]],
        Field(max_length=50, min_length=1),
    ]
    min_severity: Literal["info", "warning", "critical"]
    resource_ids: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)]],
        Field(max_length=100),
    ]
    tags: dict[str, StrictStr]
    channel_ids: Annotated[list[Uuid], Field(max_length=50)]
    in_app_roles: Annotated[list[Literal["admin", "user", "viewer"]], Field(max_length=3)]
    in_app_user_ids: Annotated[list[Uuid], Field(max_length=100)]
    enabled: StrictBool
    created_at: DateTime


class GetNotificationRuleRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetNotificationRule", "version": 1}},
    )
    workspace_id: Uuid
    rule_id: Uuid


class GetSecurityGroupReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetSecurityGroup", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    vpc_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    description: Annotated[StrictStr, Field(max_length=255)]
    rules: Annotated[list[GetSecurityGroupReplyRule], Field(max_length=50)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            GetSecurityGroupReplyTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


class GetSecurityGroupReplyRule(Part):
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


GetSecurityGroupReplyTagsAdditionalProperty = TypeAliasType(
    "GetSecurityGroupReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class GetSecurityGroupRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "GetSecurityGroup", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    security_group_id: Uuid


class GetSubnetReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetSubnet", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    vpc_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cidr_block: Annotated[StrictStr, Field(max_length=18, min_length=9)]
    availability_zone: StrictStr | None
    is_public: StrictBool
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            GetSubnetReplyTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


GetSubnetReplyTagsAdditionalProperty = TypeAliasType(
    "GetSubnetReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class GetSubnetRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "GetSubnet", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    subnet_id: Uuid


class GetVpcReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetVpc", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cidr_block: Annotated[StrictStr | None, Field(max_length=18)]
    address_space: list[Annotated[str, StringConstraints(min_length=9, max_length=18, strict=True)]]
    is_default: StrictBool
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    resource_group: StrictStr | None
    managed: StrictBool
    allow_overlap: StrictBool
    network_mode: StrictStr | None
    routing_mode: StrictStr | None
    mtu: StrictInt | None
    auto_subnets: StrictBool | None
    firewall_rule_count: StrictInt | None
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            GetVpcReplyTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


GetVpcReplyTagsAdditionalProperty = TypeAliasType(
    "GetVpcReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class GetVpcRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "GetVpc", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    vpc_id: Uuid


class GetWorkspaceReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["member_count"],
            "skyclust-contract": {"name": "GetWorkspace", "version": 1},
        },
    )
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    role: Literal["admin", "user", "viewer"]
    member_count: StrictInt | None = None


class GetWorkspaceRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "GetWorkspace", "version": 1}},
    )
    user_id: Uuid
    workspace_id: Uuid


class ImportClusterReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["conditions", "progress", "managed", "drift"],
            "skyclust-contract": {"name": "ImportCluster", "version": 1},
        },
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    version: Annotated[StrictStr, Field(max_length=20, min_length=1)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    credential_id: Uuid
    status: Literal["PENDING", "PROVISIONING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    endpoint: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[dict[str, ImportClusterReplyTagsAdditionalProperty], Field(max_length=50)]
    aws_config: dict[str, Any] | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    gcp_config: dict[str, Any] | None = None
    azure_config: dict[str, Any] | None = None
    conditions: list[ImportClusterReplyCondition] | None = None
    """
    Status conditions: NetworkReady, ControlPlaneReady, NodeGroupsReady, Drifted.
    """
    step: StrictStr | None = None
    """
    The saga step running now (network, control-plane, node-groups, compensating, upgrade-
    control-plane, upgrade-node-groups, delete-node-groups, delete-control-plane, release-
    network).
    """
    progress: Annotated[StrictInt | None, Field(ge=0, le=100)] = None
    network: dict[str, Any] | None = None
    """
    The network the cluster is in: vpc_id, generated, and cloud ids.
    """
    managed: StrictBool | None = None
    """
    False for a cluster adopted read-only.
    """
    target_version: StrictStr | None = None
    drift: list[ImportClusterReplyDriftItem] | None = None
    """
    Managed fields whose cloud value differs from the desired one, as of the last check.
    """
    drift_checked_at: DateTime | None = None


class ImportClusterReplyCondition(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["True", "False", "Unknown"]
    reason: Annotated[StrictStr, Field(max_length=128)]
    message: StrictStr | None
    last_transition_time: DateTime


class ImportClusterReplyDriftItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    field: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    desired: Any
    actual: Any


ImportClusterReplyTagsAdditionalProperty = TypeAliasType(
    "ImportClusterReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class ImportClusterRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["resource_group", "tags"],
            "skyclust-contract": {"name": "ImportCluster", "version": 1},
        },
    )
    workspace_id: Uuid
    actor_id: Annotated[StrictStr, Field(max_length=64)]
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    region: Annotated[StrictStr, Field(pattern="^[a-z][a-z0-9-]{1,63}$")]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    resource_group: Annotated[StrictStr | None, Field(pattern="^[A-Za-z0-9._()-]{1,90}$")] = None
    tags: Annotated[
        dict[str, ImportClusterRequestTagsAdditionalProperty] | None, Field(max_length=50)
    ] = None


ImportClusterRequestTagsAdditionalProperty = TypeAliasType(
    "ImportClusterRequestTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class IssueStreamTicketReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "IssueStreamTicket", "version": 1}},
    )
    ticket: Annotated[StrictStr, Field(max_length=8192, min_length=1)]
    expires_in: StrictInt


class IssueStreamTicketRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "IssueStreamTicket", "version": 1}},
    )
    user_id: Uuid
    workspace_id: Uuid
    role: Literal["admin", "user", "viewer"]
    session_id: StrictStr | None = None


class ListApiKeysReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListApiKeys", "version": 1}},
    )
    items: list[ListApiKeysReplyItem]


class ListApiKeysReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["key"]},
    )
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    prefix: Annotated[StrictStr, Field(max_length=32, min_length=1)]
    role: Literal["admin", "user", "viewer"]
    created_by: StrictStr | None = None
    created_at: DateTime
    expires_at: StrictStr | None = None
    last_used_at: StrictStr | None = None
    revoked_at: StrictStr | None = None
    key: Annotated[StrictStr | None, Field(max_length=128, min_length=1)] = None


class ListApiKeysRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListApiKeys", "version": 1}},
    )
    workspace_id: Uuid


class ListAuditLogsReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListAuditLogs", "version": 1}},
    )
    items: list[ListAuditLogsReplyItem]
    next_cursor: StrictStr | None


class ListAuditLogsReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["details"]},
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
    id: Uuid


class ListAuditLogsRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": [
                "since",
                "until",
                "actor_id",
                "action",
                "resource_type",
                "resource_id",
                "outcome",
                "limit",
                "cursor",
            ],
            "skyclust-contract": {"name": "ListAuditLogs", "version": 1},
        },
    )
    workspace_id: Uuid
    since: DateTime | None = None
    until: DateTime | None = None
    actor_id: Annotated[StrictStr | None, Field(max_length=128, min_length=1)] = None
    action: Annotated[StrictStr | None, Field(max_length=128, min_length=1)] = None
    resource_type: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    resource_id: Annotated[StrictStr | None, Field(max_length=128, min_length=1)] = None
    outcome: Literal["success", "failure", "denied"] | None = None
    limit: Annotated[StrictInt | None, Field(ge=1, le=100)] = None
    cursor: Annotated[StrictStr | None, Field(pattern="^[0-9]+$")] = None


class ListBudgetsReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListBudgets", "version": 1}},
    )
    items: list[ListBudgetsReplyItem]


class ListBudgetsReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["status"]},
    )
    budget_id: Uuid
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    amount: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    currency: Annotated[StrictStr, Field(pattern="^[A-Z]{3}$")]
    period: Literal["monthly", "quarterly", "yearly"]
    scope: ListBudgetsReplyItemScope
    thresholds: list[
        Annotated[str, StringConstraints(pattern=r"^-?[0-9]+(\.[0-9]+)?$", strict=True)]
    ]
    mode: Literal["warn", "enforce"]
    fail_closed: StrictBool
    created_at: DateTime
    updated_at: DateTime
    status: dict[str, Any] | None = None
    """
    with GetBudget only: period_key, period_start, period_end, actual, forecast,
    forecast_interval_95, crossed
    """


class ListBudgetsReplyItemScope(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    kind: Literal["workspace", "provider", "cluster", "tag"]
    value: StrictStr | None


class ListBudgetsRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListBudgets", "version": 1}},
    )
    workspace_id: Uuid


class ListClustersReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListClusters", "version": 1}},
    )
    items: list[ListClustersReplyItem]


class ListClustersReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["conditions", "progress", "managed", "drift"]},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    version: Annotated[StrictStr, Field(max_length=20, min_length=1)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    credential_id: Uuid
    status: Literal["PENDING", "PROVISIONING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    endpoint: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[dict[str, ListClustersReplyItemTagsAdditionalProperty], Field(max_length=50)]
    aws_config: dict[str, Any] | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    gcp_config: dict[str, Any] | None = None
    azure_config: dict[str, Any] | None = None
    conditions: list[ListClustersReplyItemCondition] | None = None
    """
    Status conditions: NetworkReady, ControlPlaneReady, NodeGroupsReady, Drifted.
    """
    step: StrictStr | None = None
    """
    The saga step running now (network, control-plane, node-groups, compensating, upgrade-
    control-plane, upgrade-node-groups, delete-node-groups, delete-control-plane, release-
    network).
    """
    progress: Annotated[StrictInt | None, Field(ge=0, le=100)] = None
    network: dict[str, Any] | None = None
    """
    The network the cluster is in: vpc_id, generated, and cloud ids.
    """
    managed: StrictBool | None = None
    """
    False for a cluster adopted read-only.
    """
    target_version: StrictStr | None = None
    drift: list[ListClustersReplyItemDriftItem] | None = None
    """
    Managed fields whose cloud value differs from the desired one, as of the last check.
    """
    drift_checked_at: DateTime | None = None


class ListClustersReplyItemCondition(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["True", "False", "Unknown"]
    reason: Annotated[StrictStr, Field(max_length=128)]
    message: StrictStr | None
    last_transition_time: DateTime


class ListClustersReplyItemDriftItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    field: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    desired: Any
    actual: Any


ListClustersReplyItemTagsAdditionalProperty = TypeAliasType(
    "ListClustersReplyItemTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class ListClustersRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "ListClusters", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None


class ListCredentialsReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListCredentials", "version": 1}},
    )
    items: list[ListCredentialsReplyItem]


class ListCredentialsReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    masked: dict[str, StrictStr]
    status: Literal["unverified", "valid", "invalid"]
    status_reason: Annotated[StrictStr | None, Field(max_length=64)]
    status_message: Annotated[StrictStr | None, Field(max_length=300)]
    account_id: Annotated[StrictStr | None, Field(max_length=128)]
    in_use: list[ListCredentialsReplyItemInUseItem]
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    last_used_at: DateTime | None
    last_validated_at: DateTime | None


class ListCredentialsReplyItemInUseItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    kind: Literal["cluster", "network"]
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class ListCredentialsRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["actor_id"],
            "skyclust-contract": {"name": "ListCredentials", "version": 1},
        },
    )
    workspace_id: Uuid
    actor_id: StrictStr | None = None


class ListMembersReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListMembers", "version": 1}},
    )
    items: list[ListMembersReplyItem]
    total: StrictInt


class ListMembersReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    user_id: Uuid
    email: Annotated[StrictStr, Field(max_length=320, min_length=3)]
    name: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    role: Literal["admin", "user", "viewer"]
    joined_at: DateTime


class ListMembersRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["limit", "offset"],
            "skyclust-contract": {"name": "ListMembers", "version": 1},
        },
    )
    workspace_id: Uuid
    limit: Annotated[StrictInt | None, Field(ge=1, le=100)] = None
    offset: Annotated[StrictInt | None, Field(ge=0)] = None


class ListNodeGroupsReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListNodeGroups", "version": 1}},
    )
    items: list[ListNodeGroupsReplyItem]


class ListNodeGroupsReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    workspace_id: Uuid
    cluster_id: Uuid
    name: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    instance_type: StrictStr | None
    min_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    max_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    desired_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    labels: Annotated[
        dict[str, ListNodeGroupsReplyItemLabelsAdditionalProperty], Field(max_length=50)
    ]
    taints: Annotated[list[ListNodeGroupsReplyItemTaint], Field(max_length=50)]
    status: Literal["PENDING", "PROVISIONING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    version: StrictStr | None = None
    """
    The nodes' Kubernetes version as last seen (null: the cluster's).
    """


ListNodeGroupsReplyItemLabelsAdditionalProperty = TypeAliasType(
    "ListNodeGroupsReplyItemLabelsAdditionalProperty", Annotated[StrictStr, Field(max_length=63)]
)


class ListNodeGroupsReplyItemTaint(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["value"]},
    )
    key: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    value: Annotated[StrictStr | None, Field(max_length=63)] = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class ListNodeGroupsRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "ListNodeGroups", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    cluster_id: Uuid


class ListNotificationChannelsReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListNotificationChannels", "version": 1}},
    )
    items: list[ListNotificationChannelsReplyItem]


class ListNotificationChannelsReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    type: Literal["webhook", "email"]
    url: Annotated[StrictStr | None, Field(max_length=2000, min_length=1)]
    recipients: Annotated[
        list[Annotated[str, StringConstraints(min_length=3, max_length=320, strict=True)]],
        Field(max_length=50),
    ]
    recipient_roles: Annotated[list[Literal["admin", "user", "viewer"]], Field(max_length=3)]
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]],
        Field(max_length=50, min_length=0),
    ]
    enabled: StrictBool
    disabled_reason: Annotated[StrictStr | None, Field(max_length=200)]
    previous_secret_until: DateTime | None
    created_at: DateTime


class ListNotificationChannelsRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListNotificationChannels", "version": 1}},
    )
    workspace_id: Uuid


class ListNotificationRulesReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListNotificationRules", "version": 1}},
    )
    items: list[ListNotificationRulesReplyItem]


class ListNotificationRulesReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]],
        Field(max_length=50, min_length=1),
    ]
    min_severity: Literal["info", "warning", "critical"]
    resource_ids: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)]],
        Field(max_length=100),
    ]
    tags: dict[str, StrictStr]
    channel_ids: Annotated[list[Uuid], Field(max_length=50)]
    in_app_roles: Annotated[list[Literal["admin", "user", "viewer"]], Field(max_length=3)]
    in_app_user_ids: Annotated[list[Uuid], Field(max_length=100)]
    enabled: StrictBool
    created_at: DateTime


class ListNotificationRulesRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListNotificationRules", "version": 1}},
    )
    workspace_id: Uuid


class ListNotificationsReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListNotifications", "version": 1}},
    )
    items: list[ListNotificationsReplyItem]
    next_cursor: StrictStr | None
    unread_count: Annotated[StrictInt, Field(ge=0)]


class ListNotificationsReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["resource_type", "resource_id"]},
    )
    id: Uuid
    workspace_id: Uuid
    user_id: Uuid
    event_type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    event_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    severity: Literal["info", "warning", "critical"]
    title: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    body: Annotated[StrictStr, Field(max_length=2000, min_length=0)]
    resource_type: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    resource_id: Annotated[StrictStr | None, Field(max_length=128, min_length=1)] = None
    link: Annotated[StrictStr, Field(max_length=500, min_length=1)]
    created_at: DateTime
    read_at: DateTime | None


class ListNotificationsRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["unread", "limit", "cursor"],
            "skyclust-contract": {"name": "ListNotifications", "version": 1},
        },
    )
    workspace_id: Uuid
    user_id: Uuid
    unread: StrictBool | None = None
    limit: Annotated[StrictInt | None, Field(ge=1, le=100)] = None
    cursor: Annotated[StrictStr | None, Field(max_length=200, min_length=1)] = None


class ListOidcProvidersReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListOidcProviders", "version": 1}},
    )
    providers: list[ListOidcProvidersReplyProvider]


class ListOidcProvidersReplyProvider(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    name: Annotated[StrictStr, Field(pattern="^[a-z0-9][a-z0-9_-]{0,63}$")]
    issuer: Annotated[Uri, Field(max_length=1024)]


class ListOidcProvidersRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListOidcProviders", "version": 1}},
    )


class ListSecurityGroupsReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListSecurityGroups", "version": 1}},
    )
    items: list[ListSecurityGroupsReplyItem]


class ListSecurityGroupsReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    vpc_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    description: Annotated[StrictStr, Field(max_length=255)]
    rules: Annotated[list[ListSecurityGroupsReplyItemRule], Field(max_length=50)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            ListSecurityGroupsReplyItemTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


class ListSecurityGroupsReplyItemRule(Part):
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


ListSecurityGroupsReplyItemTagsAdditionalProperty = TypeAliasType(
    "ListSecurityGroupsReplyItemTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class ListSecurityGroupsRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider", "vpc_id", "region", "credential_id", "tag"],
            "skyclust-contract": {"name": "ListSecurityGroups", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    vpc_id: Uuid | None = None
    region: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    credential_id: Uuid | None = None
    tag: Annotated[StrictStr | None, Field(max_length=400, min_length=1)] = None


class ListSubnetsReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListSubnets", "version": 1}},
    )
    items: list[ListSubnetsReplyItem]


class ListSubnetsReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    vpc_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cidr_block: Annotated[StrictStr, Field(max_length=18, min_length=9)]
    availability_zone: StrictStr | None
    is_public: StrictBool
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            ListSubnetsReplyItemTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


ListSubnetsReplyItemTagsAdditionalProperty = TypeAliasType(
    "ListSubnetsReplyItemTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class ListSubnetsRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider", "vpc_id", "region", "credential_id", "tag"],
            "skyclust-contract": {"name": "ListSubnets", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    vpc_id: Uuid | None = None
    region: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    credential_id: Uuid | None = None
    tag: Annotated[StrictStr | None, Field(max_length=400, min_length=1)] = None


class ListVpcsReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListVpcs", "version": 1}},
    )
    items: list[ListVpcsReplyItem]


class ListVpcsReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cidr_block: Annotated[StrictStr | None, Field(max_length=18)]
    address_space: list[Annotated[str, StringConstraints(min_length=9, max_length=18, strict=True)]]
    is_default: StrictBool
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    resource_group: StrictStr | None
    managed: StrictBool
    allow_overlap: StrictBool
    network_mode: StrictStr | None
    routing_mode: StrictStr | None
    mtu: StrictInt | None
    auto_subnets: StrictBool | None
    firewall_rule_count: StrictInt | None
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            ListVpcsReplyItemTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


ListVpcsReplyItemTagsAdditionalProperty = TypeAliasType(
    "ListVpcsReplyItemTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class ListVpcsRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider", "region", "credential_id", "tag", "managed"],
            "skyclust-contract": {"name": "ListVpcs", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    region: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    credential_id: Uuid | None = None
    tag: Annotated[StrictStr | None, Field(max_length=400, min_length=1)] = None
    managed: StrictBool | None = None


class ListWebhookDeliveriesReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListWebhookDeliveries", "version": 1}},
    )
    items: list[ListWebhookDeliveriesReplyItem]


class ListWebhookDeliveriesReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    channel_id: Uuid
    event_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    event_type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    recipient: Annotated[StrictStr | None, Field(max_length=320)]
    status: Literal["pending", "succeeded", "failed"]
    attempts: Annotated[StrictInt, Field(ge=0)]
    response_code: StrictInt | None
    latency_ms: Annotated[StrictInt | None, Field(ge=0)]
    error: StrictStr | None
    created_at: DateTime
    next_attempt_at: DateTime | None


class ListWebhookDeliveriesRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["limit"],
            "skyclust-contract": {"name": "ListWebhookDeliveries", "version": 1},
        },
    )
    workspace_id: Uuid
    channel_id: Uuid
    limit: Annotated[StrictInt | None, Field(ge=1, le=200)] = None


class ListWorkspacesReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListWorkspaces", "version": 1}},
    )
    items: list[ListWorkspacesReplyItem]


class ListWorkspacesReplyItem(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["member_count"]},
    )
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    role: Literal["admin", "user", "viewer"]
    member_count: StrictInt | None = None


class ListWorkspacesRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ListWorkspaces", "version": 1}},
    )
    user_id: Uuid


class LoginReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": [
                "access_token",
                "refresh_token",
                "token_type",
                "mfa_required",
                "mfa_token",
            ],
            "skyclust-contract": {"name": "Login", "version": 1},
        },
    )
    access_token: Annotated[StrictStr | None, Field(max_length=8192, min_length=1)] = None
    refresh_token: Annotated[StrictStr | None, Field(max_length=512, min_length=1)] = None
    token_type: Literal["Bearer"] | None = None
    expires_in: StrictInt
    mfa_required: Literal[True] | None = None
    mfa_token: Annotated[StrictStr | None, Field(max_length=256, min_length=16)] = None


class LoginRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "Login", "version": 1}},
    )
    email: Annotated[StrictStr, Field(max_length=320, min_length=1)]
    password: Annotated[StrictStr, Field(max_length=1024, min_length=1)]
    client_address: StrictStr | None = None


class LogoutReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "Logout", "version": 1}},
    )
    session_ids: list[Uuid]


class LogoutRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "Logout", "version": 1}},
    )
    user_id: Uuid
    session_id: Uuid


class MarkAllNotificationsReadReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "MarkAllNotificationsRead", "version": 1}},
    )
    marked: Annotated[StrictInt, Field(ge=0)]
    unread_count: Annotated[StrictInt, Field(ge=0)]


class MarkAllNotificationsReadRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "MarkAllNotificationsRead", "version": 1}},
    )
    workspace_id: Uuid
    user_id: Uuid


class MarkNotificationReadReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "MarkNotificationRead", "version": 1}},
    )
    notification: MarkNotificationReadReplyNotification
    unread_count: Annotated[StrictInt, Field(ge=0)]


class MarkNotificationReadReplyNotification(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["resource_type", "resource_id"]},
    )
    id: Uuid
    workspace_id: Uuid
    user_id: Uuid
    event_type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    event_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    severity: Literal["info", "warning", "critical"]
    title: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    body: Annotated[StrictStr, Field(max_length=2000, min_length=0)]
    resource_type: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    resource_id: Annotated[StrictStr | None, Field(max_length=128, min_length=1)] = None
    link: Annotated[StrictStr, Field(max_length=500, min_length=1)]
    created_at: DateTime
    read_at: DateTime | None


class MarkNotificationReadRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "MarkNotificationRead", "version": 1}},
    )
    workspace_id: Uuid
    user_id: Uuid
    notification_id: Uuid


class PromoteClusterReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["conditions", "progress", "managed", "drift"],
            "skyclust-contract": {"name": "PromoteCluster", "version": 1},
        },
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    version: Annotated[StrictStr, Field(max_length=20, min_length=1)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    credential_id: Uuid
    status: Literal["PENDING", "PROVISIONING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    endpoint: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[dict[str, PromoteClusterReplyTagsAdditionalProperty], Field(max_length=50)]
    aws_config: dict[str, Any] | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    gcp_config: dict[str, Any] | None = None
    azure_config: dict[str, Any] | None = None
    conditions: list[PromoteClusterReplyCondition] | None = None
    """
    Status conditions: NetworkReady, ControlPlaneReady, NodeGroupsReady, Drifted.
    """
    step: StrictStr | None = None
    """
    The saga step running now (network, control-plane, node-groups, compensating, upgrade-
    control-plane, upgrade-node-groups, delete-node-groups, delete-control-plane, release-
    network).
    """
    progress: Annotated[StrictInt | None, Field(ge=0, le=100)] = None
    network: dict[str, Any] | None = None
    """
    The network the cluster is in: vpc_id, generated, and cloud ids.
    """
    managed: StrictBool | None = None
    """
    False for a cluster adopted read-only.
    """
    target_version: StrictStr | None = None
    drift: list[PromoteClusterReplyDriftItem] | None = None
    """
    Managed fields whose cloud value differs from the desired one, as of the last check.
    """
    drift_checked_at: DateTime | None = None


class PromoteClusterReplyCondition(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["True", "False", "Unknown"]
    reason: Annotated[StrictStr, Field(max_length=128)]
    message: StrictStr | None
    last_transition_time: DateTime


class PromoteClusterReplyDriftItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    field: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    desired: Any
    actual: Any


PromoteClusterReplyTagsAdditionalProperty = TypeAliasType(
    "PromoteClusterReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class PromoteClusterRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "PromoteCluster", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    actor_id: Annotated[StrictStr, Field(max_length=64)]
    cluster_id: Uuid


class ReconcileClusterReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ReconcileCluster", "version": 1}},
    )
    cluster: ReconcileClusterReplyCluster
    actions: list[ReconcileClusterReplyAction]


class ReconcileClusterReplyAction(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    field: StrictStr
    action: StrictStr


class ReconcileClusterReplyCluster(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["conditions", "progress", "managed", "drift"]},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    version: Annotated[StrictStr, Field(max_length=20, min_length=1)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    credential_id: Uuid
    status: Literal["PENDING", "PROVISIONING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    endpoint: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[str, ReconcileClusterReplyClusterTagsAdditionalProperty], Field(max_length=50)
    ]
    aws_config: dict[str, Any] | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    gcp_config: dict[str, Any] | None = None
    azure_config: dict[str, Any] | None = None
    conditions: list[ReconcileClusterReplyClusterCondition] | None = None
    """
    Status conditions: NetworkReady, ControlPlaneReady, NodeGroupsReady, Drifted.
    """
    step: StrictStr | None = None
    """
    The saga step running now (network, control-plane, node-groups, compensating, upgrade-
    control-plane, upgrade-node-groups, delete-node-groups, delete-control-plane, release-
    network).
    """
    progress: Annotated[StrictInt | None, Field(ge=0, le=100)] = None
    network: dict[str, Any] | None = None
    """
    The network the cluster is in: vpc_id, generated, and cloud ids.
    """
    managed: StrictBool | None = None
    """
    False for a cluster adopted read-only.
    """
    target_version: StrictStr | None = None
    drift: list[ReconcileClusterReplyClusterDriftItem] | None = None
    """
    Managed fields whose cloud value differs from the desired one, as of the last check.
    """
    drift_checked_at: DateTime | None = None


class ReconcileClusterReplyClusterCondition(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["True", "False", "Unknown"]
    reason: Annotated[StrictStr, Field(max_length=128)]
    message: StrictStr | None
    last_transition_time: DateTime


class ReconcileClusterReplyClusterDriftItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    field: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    desired: Any
    actual: Any


ReconcileClusterReplyClusterTagsAdditionalProperty = TypeAliasType(
    "ReconcileClusterReplyClusterTagsAdditionalProperty",
    Annotated[StrictStr, Field(max_length=256)],
)


class ReconcileClusterRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "ReconcileCluster", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    actor_id: Annotated[StrictStr, Field(max_length=64)]
    cluster_id: Uuid


class RecordAuditReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RecordAudit", "version": 1}},
    )
    id: Uuid


class RecordAuditRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["details"],
            "skyclust-contract": {"name": "RecordAudit", "version": 1},
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


class RefreshTokensReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RefreshTokens", "version": 1}},
    )
    access_token: Annotated[StrictStr, Field(max_length=8192, min_length=1)]
    refresh_token: Annotated[StrictStr, Field(max_length=512, min_length=1)]
    token_type: Literal["Bearer"]
    expires_in: StrictInt


class RefreshTokensRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RefreshTokens", "version": 1}},
    )
    refresh_token: Annotated[StrictStr, Field(max_length=512, min_length=1)]


class RegisterUserReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RegisterUser", "version": 1}},
    )
    user: RegisterUserReplyUser
    workspace: RegisterUserReplyWorkspace


class RegisterUserReplyUser(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["email_verified", "mfa_enabled"]},
    )
    id: Uuid
    email: Annotated[StrictStr, Field(max_length=320, min_length=3)]
    name: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    created_at: DateTime
    email_verified: StrictBool | None = None
    mfa_enabled: StrictBool | None = None


class RegisterUserReplyWorkspace(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    role: Literal["admin", "user", "viewer"]


class RegisterUserRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RegisterUser", "version": 1}},
    )
    email: Annotated[StrictStr, Field(max_length=320, min_length=3)]
    password: Annotated[StrictStr, Field(max_length=1024, min_length=1)]
    name: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    workspace_name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class RemoveMemberReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RemoveMember", "version": 1}},
    )
    removed: Literal[True]


class RemoveMemberRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RemoveMember", "version": 1}},
    )
    workspace_id: Uuid
    actor_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    actor_role: Literal["admin", "user", "viewer"]
    user_id: Uuid


class RequestEmailChangeReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RequestEmailChange", "version": 1}},
    )
    email: Annotated[StrictStr, Field(max_length=320, min_length=3)]
    pending_email: Annotated[StrictStr, Field(max_length=320, min_length=3)]


class RequestEmailChangeRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["password", "code", "recovery_code", "client_address"],
            "skyclust-contract": {"name": "RequestEmailChange", "version": 1},
        },
    )
    user_id: Uuid
    email: Annotated[StrictStr, Field(max_length=320, min_length=3)]
    password: Annotated[StrictStr | None, Field(max_length=1024, min_length=1)] = None
    code: Annotated[StrictStr | None, Field(max_length=16, min_length=1)] = None
    recovery_code: Annotated[StrictStr | None, Field(max_length=32, min_length=1)] = None
    client_address: Annotated[StrictStr | None, Field(max_length=64)] = None


class RequestPasswordResetReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RequestPasswordReset", "version": 1}},
    )
    accepted: Literal[True]


class RequestPasswordResetRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["client_address"],
            "skyclust-contract": {"name": "RequestPasswordReset", "version": 1},
        },
    )
    email: Annotated[StrictStr, Field(max_length=320, min_length=1)]
    client_address: Annotated[StrictStr | None, Field(max_length=64)] = None


class ResendVerificationReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ResendVerification", "version": 1}},
    )
    email: Annotated[StrictStr, Field(max_length=320, min_length=3)]
    verified: StrictBool


class ResendVerificationRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["client_address"],
            "skyclust-contract": {"name": "ResendVerification", "version": 1},
        },
    )
    user_id: Uuid
    client_address: Annotated[StrictStr | None, Field(max_length=64)] = None


class RetryWebhookDeliveryReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RetryWebhookDelivery", "version": 1}},
    )
    delivery: RetryWebhookDeliveryReplyDelivery


class RetryWebhookDeliveryReplyDelivery(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    channel_id: Uuid
    event_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    event_type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    recipient: Annotated[StrictStr | None, Field(max_length=320)]
    status: Literal["pending", "succeeded", "failed"]
    attempts: Annotated[StrictInt, Field(ge=0)]
    response_code: StrictInt | None
    latency_ms: Annotated[StrictInt | None, Field(ge=0)]
    error: StrictStr | None
    created_at: DateTime
    next_attempt_at: DateTime | None


class RetryWebhookDeliveryRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RetryWebhookDelivery", "version": 1}},
    )
    workspace_id: Uuid
    delivery_id: Uuid


class RevokeApiKeyReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["key"],
            "skyclust-contract": {"name": "RevokeApiKey", "version": 1},
        },
    )
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    prefix: Annotated[StrictStr, Field(max_length=32, min_length=1)]
    role: Literal["admin", "user", "viewer"]
    created_by: StrictStr | None = None
    created_at: DateTime
    expires_at: StrictStr | None = None
    last_used_at: StrictStr | None = None
    revoked_at: StrictStr | None = None
    key: Annotated[StrictStr | None, Field(max_length=128, min_length=1)] = None


class RevokeApiKeyRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RevokeApiKey", "version": 1}},
    )
    workspace_id: Uuid
    actor_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    api_key_id: Uuid


class RotateCredentialReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RotateCredential", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    masked: dict[str, StrictStr]
    status: Literal["unverified", "valid", "invalid"]
    status_reason: Annotated[StrictStr | None, Field(max_length=64)]
    status_message: Annotated[StrictStr | None, Field(max_length=300)]
    account_id: Annotated[StrictStr | None, Field(max_length=128)]
    in_use: list[RotateCredentialReplyInUseItem]
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    last_used_at: DateTime | None
    last_validated_at: DateTime | None


class RotateCredentialReplyInUseItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    kind: Literal["cluster", "network"]
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class RotateCredentialRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RotateCredential", "version": 1}},
    )
    workspace_id: Uuid
    actor_id: StrictStr
    credential_id: Uuid
    data: dict[str, Any]


class RotateNotificationChannelSecretReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-contract": {"name": "RotateNotificationChannelSecret", "version": 1}
        },
    )
    channel: RotateNotificationChannelSecretReplyChannel
    secret: Annotated[StrictStr, Field(max_length=200, pattern="^whsec_")]


class RotateNotificationChannelSecretReplyChannel(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    type: Literal["webhook", "email"]
    url: Annotated[StrictStr | None, Field(max_length=2000, min_length=1)]
    recipients: Annotated[
        list[Annotated[str, StringConstraints(min_length=3, max_length=320, strict=True)]],
        Field(max_length=50),
    ]
    recipient_roles: Annotated[list[Literal["admin", "user", "viewer"]], Field(max_length=3)]
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]],
        Field(max_length=50, min_length=0),
    ]
    enabled: StrictBool
    disabled_reason: Annotated[StrictStr | None, Field(max_length=200)]
    previous_secret_until: DateTime | None
    created_at: DateTime


class RotateNotificationChannelSecretRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-contract": {"name": "RotateNotificationChannelSecret", "version": 1}
        },
    )
    workspace_id: Uuid
    channel_id: Uuid


class RotateSigningKeyReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RotateSigningKey", "version": 1}},
    )
    kid: Annotated[StrictStr, Field(max_length=64, min_length=1)]


class RotateSigningKeyRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "RotateSigningKey", "version": 1}},
    )


class SetNotificationMutesReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SetNotificationMutes", "version": 1}},
    )
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]],
        Field(max_length=50),
    ]


class SetNotificationMutesRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SetNotificationMutes", "version": 1}},
    )
    workspace_id: Uuid
    user_id: Uuid
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]],
        Field(max_length=50),
    ]


class SetWorkspaceMfaPolicyReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SetWorkspaceMfaPolicy", "version": 1}},
    )
    workspace_id: Uuid
    require_mfa: StrictBool


class SetWorkspaceMfaPolicyRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SetWorkspaceMfaPolicy", "version": 1}},
    )
    user_id: Uuid
    workspace_id: Uuid
    require_mfa: StrictBool


class StartMfaEnrolmentReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "StartMfaEnrolment", "version": 1}},
    )
    secret: Annotated[StrictStr, Field(max_length=64, min_length=16)]
    otpauth_uri: Annotated[StrictStr, Field(max_length=2000, min_length=1)]


class StartMfaEnrolmentRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "StartMfaEnrolment", "version": 1}},
    )
    user_id: Uuid


class StartOidcLoginReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "StartOidcLogin", "version": 1}},
    )
    authorization_url: Annotated[Uri, Field(max_length=4096, min_length=1)]
    state: Annotated[StrictStr, Field(max_length=128, min_length=1)]


class StartOidcLoginRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "StartOidcLogin", "version": 1}},
    )
    provider: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    redirect_uri: Annotated[Uri, Field(max_length=1024, min_length=1)]


class SuggestCidrReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SuggestCidr", "version": 1}},
    )
    cidr_block: Annotated[StrictStr, Field(max_length=18, min_length=9)]
    prefix_length: StrictInt
    region: StrictStr | None
    provider: StrictStr | None
    networks_considered: StrictInt
    networks_in_region: list[SuggestCidrReplyNetworksInRegionItem]


class SuggestCidrReplyNetworksInRegionItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: StrictStr
    name: StrictStr
    provider: StrictStr
    cidr_blocks: list[Annotated[str, StringConstraints(min_length=9, max_length=18, strict=True)]]


class SuggestCidrRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["region", "provider"],
            "skyclust-contract": {"name": "SuggestCidr", "version": 1},
        },
    )
    workspace_id: Uuid
    prefix_length: Annotated[StrictInt, Field(ge=8, le=29)]
    region: Annotated[StrictStr | None, Field(max_length=64, min_length=1)] = None
    provider: Literal["aws", "gcp", "azure"] | None = None


class SwitchWorkspaceReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SwitchWorkspace", "version": 1}},
    )
    access_token: Annotated[StrictStr, Field(max_length=8192, min_length=1)]
    refresh_token: Annotated[StrictStr, Field(max_length=512, min_length=1)]
    token_type: Literal["Bearer"]
    expires_in: StrictInt


class SwitchWorkspaceRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "SwitchWorkspace", "version": 1}},
    )
    user_id: Uuid
    workspace_id: Uuid


class TestNotificationChannelReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "TestNotificationChannel", "version": 1}},
    )
    delivery: TestNotificationChannelReplyDelivery


class TestNotificationChannelReplyDelivery(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    channel_id: Uuid
    event_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    event_type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    recipient: Annotated[StrictStr | None, Field(max_length=320)]
    status: Literal["pending", "succeeded", "failed"]
    attempts: Annotated[StrictInt, Field(ge=0)]
    response_code: StrictInt | None
    latency_ms: Annotated[StrictInt | None, Field(ge=0)]
    error: StrictStr | None
    created_at: DateTime
    next_attempt_at: DateTime | None


class TestNotificationChannelRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "TestNotificationChannel", "version": 1}},
    )
    workspace_id: Uuid
    channel_id: Uuid


class UpdateBudgetReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["status"],
            "skyclust-contract": {"name": "UpdateBudget", "version": 1},
        },
    )
    budget_id: Uuid
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    amount: Annotated[StrictStr, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")]
    """
    a decimal amount
    """
    currency: Annotated[StrictStr, Field(pattern="^[A-Z]{3}$")]
    period: Literal["monthly", "quarterly", "yearly"]
    scope: UpdateBudgetReplyScope
    thresholds: list[
        Annotated[str, StringConstraints(pattern=r"^-?[0-9]+(\.[0-9]+)?$", strict=True)]
    ]
    mode: Literal["warn", "enforce"]
    fail_closed: StrictBool
    created_at: DateTime
    updated_at: DateTime
    status: dict[str, Any] | None = None
    """
    with GetBudget only: period_key, period_start, period_end, actual, forecast,
    forecast_interval_95, crossed
    """


class UpdateBudgetReplyScope(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    kind: Literal["workspace", "provider", "cluster", "tag"]
    value: StrictStr | None


class UpdateBudgetRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["currency", "scope", "thresholds", "mode", "fail_closed"],
            "skyclust-contract": {"name": "UpdateBudget", "version": 1},
        },
    )
    workspace_id: Uuid
    actor_id: StrictStr
    budget_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    amount: Annotated[StrictStr, Field(max_length=32, min_length=1)]
    """
    a positive decimal; checked by the service, which names a bad value
    """
    currency: Annotated[StrictStr | None, Field(max_length=8, min_length=1)] = None
    """
    ISO 4217, default USD
    """
    period: Annotated[StrictStr, Field(max_length=16, min_length=1)]
    """
    monthly, quarterly or yearly
    """
    scope: UpdateBudgetRequestScope | None = None
    thresholds: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=16, strict=True)]] | None,
        Field(max_length=10),
    ] = None
    """
    percentages of the amount (default 80 and 100)
    """
    mode: Annotated[StrictStr | None, Field(max_length=16, min_length=1)] = None
    """
    warn (default) or enforce
    """
    fail_closed: StrictBool | None = None
    """
    refuse covered requests while the cost service cannot be asked
    """


class UpdateBudgetRequestScope(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    kind: Annotated[StrictStr, Field(max_length=16, min_length=1)]
    """
    workspace, provider, cluster or tag; checked by the service
    """
    value: Annotated[StrictStr | None, Field(max_length=400)] = None
    """
    the provider, the cluster id, or key=value for a tag
    """


class UpdateMemberReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "UpdateMember", "version": 1}},
    )
    user_id: Uuid
    email: Annotated[StrictStr, Field(max_length=320, min_length=3)]
    name: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    role: Literal["admin", "user", "viewer"]
    joined_at: DateTime


class UpdateMemberRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "UpdateMember", "version": 1}},
    )
    workspace_id: Uuid
    actor_id: Annotated[StrictStr, Field(max_length=128, min_length=1)]
    user_id: Uuid
    role: Literal["admin", "user", "viewer"]


class UpdateNodeGroupReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["warnings"],
            "skyclust-contract": {"name": "UpdateNodeGroup", "version": 1},
        },
    )
    id: Uuid
    workspace_id: Uuid
    cluster_id: Uuid
    name: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    instance_type: StrictStr | None
    min_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    max_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    desired_size: Annotated[StrictInt, Field(ge=0, le=1000)]
    labels: Annotated[dict[str, UpdateNodeGroupReplyLabelsAdditionalProperty], Field(max_length=50)]
    taints: Annotated[list[UpdateNodeGroupReplyTaint], Field(max_length=50)]
    status: Literal["PENDING", "PROVISIONING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    version: StrictStr | None = None
    """
    The nodes' Kubernetes version as last seen (null: the cluster's).
    """
    warnings: list[UpdateNodeGroupReplyWarning] | None = None
    """
    the budget guardrail's warnings: BUDGET_WOULD_BE_EXCEEDED (a warn budget, or an enforce
    budget an admin overrode), BUDGET_CHECK_SKIPPED (the cost service did not answer), and
    the estimate's own
    """


UpdateNodeGroupReplyLabelsAdditionalProperty = TypeAliasType(
    "UpdateNodeGroupReplyLabelsAdditionalProperty", Annotated[StrictStr, Field(max_length=63)]
)


class UpdateNodeGroupReplyTaint(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["value"]},
    )
    key: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    value: Annotated[StrictStr | None, Field(max_length=63)] = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class UpdateNodeGroupReplyWarning(Part):
    code: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    message: StrictStr


class UpdateNodeGroupRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": [
                "provider",
                "min_size",
                "max_size",
                "desired_size",
                "labels",
                "taints",
                "actor_is_admin",
                "budget_override",
            ],
            "skyclust-contract": {"name": "UpdateNodeGroup", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    cluster_id: Uuid
    node_group_id: Uuid
    actor_id: Annotated[StrictStr, Field(max_length=64)]
    min_size: Annotated[StrictInt | None, Field(ge=0, le=1000)] = None
    max_size: Annotated[StrictInt | None, Field(ge=0, le=1000)] = None
    desired_size: Annotated[StrictInt | None, Field(ge=0, le=1000)] = None
    labels: Annotated[
        dict[str, UpdateNodeGroupRequestLabelsAdditionalProperty] | None, Field(max_length=50)
    ] = None
    taints: Annotated[list[UpdateNodeGroupRequestTaint] | None, Field(max_length=50)] = None
    actor_is_admin: StrictBool | None = None
    """
    whether the caller is a workspace admin, as the gateway checked it (only an admin may
    override a budget)
    """
    budget_override: StrictBool | None = None
    """
    go ahead past an enforce budget (admins only; audited)
    """


UpdateNodeGroupRequestLabelsAdditionalProperty = TypeAliasType(
    "UpdateNodeGroupRequestLabelsAdditionalProperty", Annotated[StrictStr, Field(max_length=63)]
)


class UpdateNodeGroupRequestTaint(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["value"]},
    )
    key: Annotated[StrictStr, Field(max_length=63, min_length=1)]
    value: Annotated[StrictStr | None, Field(max_length=63)] = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class UpdateNotificationChannelReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-contract": {"name": "UpdateNotificationChannel", "version": 1}
        },
    )
    channel: UpdateNotificationChannelReplyChannel


class UpdateNotificationChannelReplyChannel(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    type: Literal["webhook", "email"]
    url: Annotated[StrictStr | None, Field(max_length=2000, min_length=1)]
    recipients: Annotated[
        list[Annotated[str, StringConstraints(min_length=3, max_length=320, strict=True)]],
        Field(max_length=50),
    ]
    recipient_roles: Annotated[list[Literal["admin", "user", "viewer"]], Field(max_length=3)]
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]],
        Field(max_length=50, min_length=0),
    ]
    enabled: StrictBool
    disabled_reason: Annotated[StrictStr | None, Field(max_length=200)]
    previous_secret_until: DateTime | None
    created_at: DateTime


class UpdateNotificationChannelRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": [
                "name",
                "url",
                "recipients",
                "recipient_roles",
                "event_types",
                "enabled",
            ],
            "skyclust-contract": {"name": "UpdateNotificationChannel", "version": 1},
        },
    )
    workspace_id: Uuid
    channel_id: Uuid
    name: Annotated[StrictStr | None, Field(max_length=100, min_length=1)] = None
    url: Annotated[StrictStr | None, Field(max_length=2000, min_length=1)] = None
    recipients: Annotated[
        list[Annotated[str, StringConstraints(min_length=3, max_length=320, strict=True)]] | None,
        Field(max_length=50, min_length=0),
    ] = None
    recipient_roles: Annotated[
        list[Literal["admin", "user", "viewer"]] | None, Field(max_length=3)
    ] = None
    """
    An email channel's recipients by role: the workspace's members with one of these roles,
    resolved from identity when each event is handled.
    """
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]] | None,
        Field(max_length=50, min_length=0),
    ] = None
    enabled: StrictBool | None = None


class UpdateNotificationRuleReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "UpdateNotificationRule", "version": 1}},
    )
    rule: UpdateNotificationRuleReplyRule


class UpdateNotificationRuleReplyRule(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: Uuid
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]],
        Field(max_length=50, min_length=1),
    ]
    min_severity: Literal["info", "warning", "critical"]
    resource_ids: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)]],
        Field(max_length=100),
    ]
    tags: dict[str, StrictStr]
    channel_ids: Annotated[list[Uuid], Field(max_length=50)]
    in_app_roles: Annotated[list[Literal["admin", "user", "viewer"]], Field(max_length=3)]
    in_app_user_ids: Annotated[list[Uuid], Field(max_length=100)]
    enabled: StrictBool
    created_at: DateTime


class UpdateNotificationRuleRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": [
                "name",
                "event_types",
                "min_severity",
                "resource_ids",
                "tags",
                "channel_ids",
                "in_app_roles",
                "in_app_user_ids",
                "enabled",
            ],
            "skyclust-contract": {"name": "UpdateNotificationRule", "version": 1},
        },
    )
    workspace_id: Uuid
    rule_id: Uuid
    name: Annotated[StrictStr | None, Field(max_length=100, min_length=1)] = None
    event_types: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64, strict=True)]] | None,
        Field(max_length=50, min_length=1),
    ] = None
    min_severity: Literal["info", "warning", "critical"] | None = None
    resource_ids: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)]] | None,
        Field(max_length=100),
    ] = None
    tags: Annotated[dict[str, StrictStr] | None, Field(max_length=50)] = None
    """
    Only events about resources carrying each of these tags (key: value); empty: any.
    """
    channel_ids: Annotated[list[Uuid] | None, Field(max_length=50)] = None
    in_app_roles: Annotated[
        list[Literal["admin", "user", "viewer"]] | None, Field(max_length=3)
    ] = None
    in_app_user_ids: Annotated[list[Uuid] | None, Field(max_length=100)] = None
    enabled: StrictBool | None = None


class UpdateSecurityGroupReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "UpdateSecurityGroup", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    vpc_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    description: Annotated[StrictStr, Field(max_length=255)]
    rules: Annotated[list[UpdateSecurityGroupReplyRule], Field(max_length=50)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            UpdateSecurityGroupReplyTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


class UpdateSecurityGroupReplyRule(Part):
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


UpdateSecurityGroupReplyTagsAdditionalProperty = TypeAliasType(
    "UpdateSecurityGroupReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class UpdateSecurityGroupRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider", "rules", "tags"],
            "skyclust-any-required": [["rules"], ["tags"]],
            "skyclust-contract": {"name": "UpdateSecurityGroup", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    actor_id: StrictStr
    security_group_id: Uuid
    rules: Annotated[list[UpdateSecurityGroupRequestRule] | None, Field(max_length=50)] = None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            UpdateSecurityGroupRequestTagsAdditionalProperty,
        ]
        | None,
        Field(max_length=50),
    ] = None


class UpdateSecurityGroupRequestRule(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["action", "description"]},
    )
    direction: Literal["ingress", "egress"]
    protocol: Literal["tcp", "udp", "icmp", "all"]
    cidr: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    from_port: Annotated[StrictInt | None, Field(ge=0, le=65535)] = None
    to_port: Annotated[StrictInt | None, Field(ge=0, le=65535)] = None
    action: Literal["allow", "deny"] | None = None
    priority: Annotated[StrictInt | None, Field(ge=0, le=65535)] = None
    description: Annotated[StrictStr | None, Field(max_length=200)] = None


UpdateSecurityGroupRequestTagsAdditionalProperty = TypeAliasType(
    "UpdateSecurityGroupRequestTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class UpdateSubnetReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "UpdateSubnet", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    vpc_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cidr_block: Annotated[StrictStr, Field(max_length=18, min_length=9)]
    availability_zone: StrictStr | None
    is_public: StrictBool
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            UpdateSubnetReplyTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


UpdateSubnetReplyTagsAdditionalProperty = TypeAliasType(
    "UpdateSubnetReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class UpdateSubnetRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "UpdateSubnet", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    actor_id: StrictStr
    subnet_id: Uuid
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            UpdateSubnetRequestTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]


UpdateSubnetRequestTagsAdditionalProperty = TypeAliasType(
    "UpdateSubnetRequestTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class UpdateVpcReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "UpdateVpc", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    credential_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    cidr_block: Annotated[StrictStr | None, Field(max_length=18)]
    address_space: list[Annotated[str, StringConstraints(min_length=9, max_length=18, strict=True)]]
    is_default: StrictBool
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    resource_group: StrictStr | None
    managed: StrictBool
    allow_overlap: StrictBool
    network_mode: StrictStr | None
    routing_mode: StrictStr | None
    mtu: StrictInt | None
    auto_subnets: StrictBool | None
    firewall_rule_count: StrictInt | None
    status: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    state: Literal["PENDING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            UpdateVpcReplyTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]
    cluster_id: Uuid | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime


UpdateVpcReplyTagsAdditionalProperty = TypeAliasType(
    "UpdateVpcReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class UpdateVpcRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "UpdateVpc", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    actor_id: StrictStr
    vpc_id: Uuid
    tags: Annotated[
        dict[
            Annotated[str, StringConstraints(min_length=1, max_length=128, strict=True)],
            UpdateVpcRequestTagsAdditionalProperty,
        ],
        Field(max_length=50),
    ]


UpdateVpcRequestTagsAdditionalProperty = TypeAliasType(
    "UpdateVpcRequestTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class UpdateWorkspaceReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["member_count"],
            "skyclust-contract": {"name": "UpdateWorkspace", "version": 1},
        },
    )
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    role: Literal["admin", "user", "viewer"]
    member_count: StrictInt | None = None


class UpdateWorkspaceRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "UpdateWorkspace", "version": 1}},
    )
    user_id: Uuid
    workspace_id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class UpgradeClusterReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["conditions", "progress", "managed", "drift"],
            "skyclust-contract": {"name": "UpgradeCluster", "version": 1},
        },
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    version: Annotated[StrictStr, Field(max_length=20, min_length=1)]
    region: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    credential_id: Uuid
    status: Literal["PENDING", "PROVISIONING", "READY", "UPDATING", "DELETING", "DELETED", "FAILED"]
    status_reason: StrictStr | None
    status_message: StrictStr | None
    endpoint: StrictStr | None
    cloud_id: StrictStr | None
    tags: Annotated[dict[str, UpgradeClusterReplyTagsAdditionalProperty], Field(max_length=50)]
    aws_config: dict[str, Any] | None
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    gcp_config: dict[str, Any] | None = None
    azure_config: dict[str, Any] | None = None
    conditions: list[UpgradeClusterReplyCondition] | None = None
    """
    Status conditions: NetworkReady, ControlPlaneReady, NodeGroupsReady, Drifted.
    """
    step: StrictStr | None = None
    """
    The saga step running now (network, control-plane, node-groups, compensating, upgrade-
    control-plane, upgrade-node-groups, delete-node-groups, delete-control-plane, release-
    network).
    """
    progress: Annotated[StrictInt | None, Field(ge=0, le=100)] = None
    network: dict[str, Any] | None = None
    """
    The network the cluster is in: vpc_id, generated, and cloud ids.
    """
    managed: StrictBool | None = None
    """
    False for a cluster adopted read-only.
    """
    target_version: StrictStr | None = None
    drift: list[UpgradeClusterReplyDriftItem] | None = None
    """
    Managed fields whose cloud value differs from the desired one, as of the last check.
    """
    drift_checked_at: DateTime | None = None


class UpgradeClusterReplyCondition(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    type: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    status: Literal["True", "False", "Unknown"]
    reason: Annotated[StrictStr, Field(max_length=128)]
    message: StrictStr | None
    last_transition_time: DateTime


class UpgradeClusterReplyDriftItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    field: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    desired: Any
    actual: Any


UpgradeClusterReplyTagsAdditionalProperty = TypeAliasType(
    "UpgradeClusterReplyTagsAdditionalProperty", Annotated[StrictStr, Field(max_length=256)]
)


class UpgradeClusterRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "skyclust-not-null": ["provider"],
            "skyclust-contract": {"name": "UpgradeCluster", "version": 1},
        },
    )
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"] | None = None
    """
    the provider of the API path: a resource of another provider is not found
    """
    actor_id: Annotated[StrictStr, Field(max_length=64)]
    cluster_id: Uuid
    version: Annotated[StrictStr, Field(pattern="^[0-9]+\\.[0-9]+$")]


class ValidateCredentialReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ValidateCredential", "version": 1}},
    )
    id: Uuid
    workspace_id: Uuid
    provider: Literal["aws", "gcp", "azure"]
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]
    masked: dict[str, StrictStr]
    status: Literal["unverified", "valid", "invalid"]
    status_reason: Annotated[StrictStr | None, Field(max_length=64)]
    status_message: Annotated[StrictStr | None, Field(max_length=300)]
    account_id: Annotated[StrictStr | None, Field(max_length=128)]
    in_use: list[ValidateCredentialReplyInUseItem]
    created_by: StrictStr | None
    created_at: DateTime
    updated_at: DateTime
    last_used_at: DateTime | None
    last_validated_at: DateTime | None


class ValidateCredentialReplyInUseItem(Part):
    model_config = ConfigDict(
        extra="forbid",
    )
    kind: Literal["cluster", "network"]
    id: Uuid
    name: Annotated[StrictStr, Field(max_length=100, min_length=1)]


class ValidateCredentialRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "ValidateCredential", "version": 1}},
    )
    workspace_id: Uuid
    actor_id: StrictStr
    credential_id: Uuid


class VerifyApiKeyReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "VerifyApiKey", "version": 1}},
    )
    api_key_id: Uuid
    workspace_id: Uuid
    role: Literal["admin", "user", "viewer"]


class VerifyApiKeyRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "VerifyApiKey", "version": 1}},
    )
    key: Annotated[StrictStr, Field(max_length=256, min_length=1)]


class VerifyEmailReply(RpcReply):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "VerifyEmail", "version": 1}},
    )
    user: VerifyEmailReplyUser
    verified: Literal[True]


class VerifyEmailReplyUser(Part):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-not-null": ["email_verified", "mfa_enabled"]},
    )
    id: Uuid
    email: Annotated[StrictStr, Field(max_length=320, min_length=3)]
    name: Annotated[StrictStr, Field(max_length=200, min_length=1)]
    created_at: DateTime
    email_verified: StrictBool | None = None
    mfa_enabled: StrictBool | None = None


class VerifyEmailRequest(RpcRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"skyclust-contract": {"name": "VerifyEmail", "version": 1}},
    )
    token: Annotated[StrictStr, Field(max_length=256, min_length=16)]


class AddMember(Rpc[AddMemberRequest, AddMemberReply]):
    """Add an existing user by email with a role."""

    CONTRACT = "AddMember"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = AddMemberRequest
    Reply: TypeAlias = AddMemberReply


class AdoptVpc(Rpc[AdoptVpcRequest, AdoptVpcReply]):
    """Make a discovered (unmanaged) network managed by SkyClust."""

    CONTRACT = "AdoptVpc"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = AdoptVpcRequest
    Reply: TypeAlias = AdoptVpcReply


class CheckBudgetGuardrail(Rpc[CheckBudgetGuardrailRequest, CheckBudgetGuardrailReply]):
    """Before a cluster, a node group or a scale-up is made: its monthly estimate against the
    budgets covering it. Refused with BUDGET_EXCEEDED (409) when an enforce budget would
    pass 100% and no admin override is asked; BUDGET_OVERRIDE_FORBIDDEN (403) when a non-
    admin asks for one."""

    CONTRACT = "CheckBudgetGuardrail"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = CheckBudgetGuardrailRequest
    Reply: TypeAlias = CheckBudgetGuardrailReply


class CheckCidrPlan(Rpc[CheckCidrPlanRequest, CheckCidrPlanReply]):
    """Check a proposed layout of networks and subnets against the workspace without creating
    anything."""

    CONTRACT = "CheckCidrPlan"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = CheckCidrPlanRequest
    Reply: TypeAlias = CheckCidrPlanReply


class CheckSession(Rpc[CheckSessionRequest, CheckSessionReply]):
    """Whether a session is still live."""

    CONTRACT = "CheckSession"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = CheckSessionRequest
    Reply: TypeAlias = CheckSessionReply


class CollectCosts(Rpc[CollectCostsRequest, CollectCostsReply]):
    """Read the clouds' billing APIs now for the workspace's known credentials and store the
    daily rows; answers what each cloud gave."""

    CONTRACT = "CollectCosts"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = CollectCostsRequest
    Reply: TypeAlias = CollectCostsReply


class CompleteMfaLogin(Rpc[CompleteMfaLoginRequest, CompleteMfaLoginReply]):
    """Finish a password login that answered with an MFA challenge, with a TOTP code or a
    recovery code."""

    CONTRACT = "CompleteMfaLogin"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = CompleteMfaLoginRequest
    Reply: TypeAlias = CompleteMfaLoginReply


class CompleteOidcLogin(Rpc[CompleteOidcLoginRequest, CompleteOidcLoginReply]):
    """Finish an OpenID Connect login with the provider's callback parameters; returns tokens,
    or an MFA challenge (completed by CompleteMfaLogin) for an account with MFA on."""

    CONTRACT = "CompleteOidcLogin"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = CompleteOidcLoginRequest
    Reply: TypeAlias = CompleteOidcLoginReply


class CompletePasswordReset(Rpc[CompletePasswordResetRequest, CompletePasswordResetReply]):
    """Set a new password with the token of a reset link (single use); every session of the
    account ends."""

    CONTRACT = "CompletePasswordReset"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = CompletePasswordResetRequest
    Reply: TypeAlias = CompletePasswordResetReply


class ConfirmMfaEnrolment(Rpc[ConfirmMfaEnrolmentRequest, ConfirmMfaEnrolmentReply]):
    """Confirm TOTP enrolment with a first code; answers the recovery codes, shown once."""

    CONTRACT = "ConfirmMfaEnrolment"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = ConfirmMfaEnrolmentRequest
    Reply: TypeAlias = ConfirmMfaEnrolmentReply


class ConfirmOidcLink(Rpc[ConfirmOidcLinkRequest, ConfirmOidcLinkReply]):
    """Link the provider account of an OIDC_LINK_REQUIRED login to the caller's own account."""

    CONTRACT = "ConfirmOidcLink"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = ConfirmOidcLinkRequest
    Reply: TypeAlias = ConfirmOidcLinkReply


class CreateApiKey(Rpc[CreateApiKeyRequest, CreateApiKeyReply]):
    """A new API key; the key itself is in this reply only."""

    CONTRACT = "CreateApiKey"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = CreateApiKeyRequest
    Reply: TypeAlias = CreateApiKeyReply


class CreateBudget(Rpc[CreateBudgetRequest, CreateBudgetReply]):
    """A budget over a workspace, provider, cluster or tag scope for a monthly, quarterly or
    yearly period. A bad field is INVALID_BUDGET (422) with the fields named in details."""

    CONTRACT = "CreateBudget"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = CreateBudgetRequest
    Reply: TypeAlias = CreateBudgetReply


class CreateCluster(Rpc[CreateClusterRequest, CreateClusterReply]):
    """Request a cluster; it starts PENDING."""

    CONTRACT = "CreateCluster"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = CreateClusterRequest
    Reply: TypeAlias = CreateClusterReply


class CreateCredential(Rpc[CreateCredentialRequest, CreateCredentialReply]):
    """Store a cloud credential, encrypted."""

    CONTRACT = "CreateCredential"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = CreateCredentialRequest
    Reply: TypeAlias = CreateCredentialReply


class CreateNodeGroup(Rpc[CreateNodeGroupRequest, CreateNodeGroupReply]):
    """Add a node group to a READY cluster (EKS managed node group, GKE node pool, AKS agent
    pool); the reply is the PENDING node group, creation goes on in the saga."""

    CONTRACT = "CreateNodeGroup"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = CreateNodeGroupRequest
    Reply: TypeAlias = CreateNodeGroupReply


class CreateNotificationChannel(
    Rpc[CreateNotificationChannelRequest, CreateNotificationChannelReply]
):
    """Add a webhook or email channel to the workspace; a webhook's signing secret is in this
    reply only."""

    CONTRACT = "CreateNotificationChannel"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = CreateNotificationChannelRequest
    Reply: TypeAlias = CreateNotificationChannelReply


class CreateNotificationRule(Rpc[CreateNotificationRuleRequest, CreateNotificationRuleReply]):
    """Add a rule to the workspace: which events (name patterns, minimum severity, resources,
    tags) go to which channels, and in-app to which roles or members."""

    CONTRACT = "CreateNotificationRule"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = CreateNotificationRuleRequest
    Reply: TypeAlias = CreateNotificationRuleReply


class CreateSecurityGroup(Rpc[CreateSecurityGroupRequest, CreateSecurityGroupReply]):
    """Request a security group (AWS security group, GCP firewall rules, Azure NSG) with its
    rules; it starts PENDING."""

    CONTRACT = "CreateSecurityGroup"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = CreateSecurityGroupRequest
    Reply: TypeAlias = CreateSecurityGroupReply


class CreateSubnet(Rpc[CreateSubnetRequest, CreateSubnetReply]):
    """Request a subnet inside a READY network; it starts PENDING."""

    CONTRACT = "CreateSubnet"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = CreateSubnetRequest
    Reply: TypeAlias = CreateSubnetReply


class CreateVpc(Rpc[CreateVpcRequest, CreateVpcReply]):
    """Request a network (AWS VPC, GCP VPC network, Azure VNet); it starts PENDING. Without
    cidr_block the planner picks a free block of prefix_length."""

    CONTRACT = "CreateVpc"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = CreateVpcRequest
    Reply: TypeAlias = CreateVpcReply


class CreateWorkspace(Rpc[CreateWorkspaceRequest, CreateWorkspaceReply]):
    """A new workspace; the caller is its admin."""

    CONTRACT = "CreateWorkspace"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = CreateWorkspaceRequest
    Reply: TypeAlias = CreateWorkspaceReply


class DecryptCredential(Rpc[DecryptCredentialRequest, DecryptCredentialReply]):
    """The secret of a credential, for provisioning, network and cost only."""

    CONTRACT = "DecryptCredential"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = DecryptCredentialRequest
    Reply: TypeAlias = DecryptCredentialReply


class DeleteBudget(Rpc[DeleteBudgetRequest, DeleteBudgetReply]):
    """Delete a budget and its recorded crossings."""

    CONTRACT = "DeleteBudget"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = DeleteBudgetRequest
    Reply: TypeAlias = DeleteBudgetReply


class DeleteCluster(Rpc[DeleteClusterRequest, DeleteClusterReply]):
    """Request a cluster's deletion; it goes DELETING."""

    CONTRACT = "DeleteCluster"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = DeleteClusterRequest
    Reply: TypeAlias = DeleteClusterReply


class DeleteCredential(Rpc[DeleteCredentialRequest, DeleteCredentialReply]):
    """Delete a credential."""

    CONTRACT = "DeleteCredential"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = DeleteCredentialRequest
    Reply: TypeAlias = DeleteCredentialReply


class DeleteNodeGroup(Rpc[DeleteNodeGroupRequest, DeleteNodeGroupReply]):
    """Start deleting a node group; the reply is the node group, DELETING."""

    CONTRACT = "DeleteNodeGroup"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = DeleteNodeGroupRequest
    Reply: TypeAlias = DeleteNodeGroupReply


class DeleteNotificationChannel(
    Rpc[DeleteNotificationChannelRequest, DeleteNotificationChannelReply]
):
    """Remove a channel and its delivery log."""

    CONTRACT = "DeleteNotificationChannel"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = DeleteNotificationChannelRequest
    Reply: TypeAlias = DeleteNotificationChannelReply


class DeleteNotificationRule(Rpc[DeleteNotificationRuleRequest, DeleteNotificationRuleReply]):
    """Remove a notification rule."""

    CONTRACT = "DeleteNotificationRule"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = DeleteNotificationRuleRequest
    Reply: TypeAlias = DeleteNotificationRuleReply


class DeleteSecurityGroup(Rpc[DeleteSecurityGroupRequest, DeleteSecurityGroupReply]):
    """Delete a security group."""

    CONTRACT = "DeleteSecurityGroup"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = DeleteSecurityGroupRequest
    Reply: TypeAlias = DeleteSecurityGroupReply


class DeleteSubnet(Rpc[DeleteSubnetRequest, DeleteSubnetReply]):
    """Delete a subnet."""

    CONTRACT = "DeleteSubnet"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = DeleteSubnetRequest
    Reply: TypeAlias = DeleteSubnetReply


class DeleteVpc(Rpc[DeleteVpcRequest, DeleteVpcReply]):
    """Delete a managed network; refused while subnets, security groups, clusters or instances
    use it."""

    CONTRACT = "DeleteVpc"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = DeleteVpcRequest
    Reply: TypeAlias = DeleteVpcReply


class DisableMfa(Rpc[DisableMfaRequest, DisableMfaReply]):
    """Turn MFA off, with a current code or a recovery code."""

    CONTRACT = "DisableMfa"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = DisableMfaRequest
    Reply: TypeAlias = DisableMfaReply


class DiscoverClusters(Rpc[DiscoverClustersRequest, DiscoverClustersReply]):
    """The clusters a credential can see in a region; tracked_by names the SkyClust cluster
    already tracking one."""

    CONTRACT = "DiscoverClusters"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = DiscoverClustersRequest
    Reply: TypeAlias = DiscoverClustersReply


class DiscoverNetworks(Rpc[DiscoverNetworksRequest, DiscoverNetworksReply]):
    """List a credential's networks in the cloud now; those SkyClust did not create are
    recorded as unmanaged."""

    CONTRACT = "DiscoverNetworks"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = DiscoverNetworksRequest
    Reply: TypeAlias = DiscoverNetworksReply


class EstimateClusterCost(Rpc[EstimateClusterCostRequest, EstimateClusterCostReply]):
    """A would-be cluster's monthly cost (730 hours): the control plane, the nodes by instance
    type at their desired size (min and max as a range), the pool GKE or AKS makes, and the
    network pieces named; each line with its price source."""

    CONTRACT = "EstimateClusterCost"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = EstimateClusterCostRequest
    Reply: TypeAlias = EstimateClusterCostReply


class ForgetCluster(Rpc[ForgetClusterRequest, ForgetClusterReply]):
    """Stop tracking a cluster adopted read-only: SkyClust drops it and leaves the cloud
    cluster as it is. The reply is the cluster as it was last shown, status DELETED."""

    CONTRACT = "ForgetCluster"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = ForgetClusterRequest
    Reply: TypeAlias = ForgetClusterReply


class GetBudget(Rpc[GetBudgetRequest, GetBudgetReply]):
    """A budget with its standing in the current period: actual spend, the forecast for the
    whole period with its 95% interval, and the thresholds crossed."""

    CONTRACT = "GetBudget"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetBudgetRequest
    Reply: TypeAlias = GetBudgetReply


class GetCluster(Rpc[GetClusterRequest, GetClusterReply]):
    """One cluster."""

    CONTRACT = "GetCluster"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetClusterRequest
    Reply: TypeAlias = GetClusterReply


class GetClusterToken(Rpc[GetClusterTokenRequest, GetClusterTokenReply]):
    """A fresh short-lived credential for a READY cluster, as the status of a
    client.authentication.k8s.io/v1 ExecCredential (what `skyclust kubeconfig token` prints
    for kubectl). Each call emits KubeconfigIssued (mode token) and an AuditRecorded."""

    CONTRACT = "GetClusterToken"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetClusterTokenRequest
    Reply: TypeAlias = GetClusterTokenReply


class GetCostBreakdown(Rpc[GetCostBreakdownRequest, GetCostBreakdownReply]):
    """A workspace's cost over a period, grouped by one dimension: service, provider, region,
    cluster, node_group or tag:<key> (rows without the dimension are under the empty key)."""

    CONTRACT = "GetCostBreakdown"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetCostBreakdownRequest
    Reply: TypeAlias = GetCostBreakdownReply


class GetCostComparison(Rpc[GetCostComparisonRequest, GetCostComparisonReply]):
    """This period against the one before it, of the same length."""

    CONTRACT = "GetCostComparison"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetCostComparisonRequest
    Reply: TypeAlias = GetCostComparisonReply


class GetCostForecast(Rpc[GetCostForecastRequest, GetCostForecastReply]):
    """The next horizon's daily cost with 80% and 95% prediction intervals, learnt from the
    last 120 days of the scope's cost and told of the run-rate steps of clusters created,
    scaled or deleted; next to it, the clouds' own forecasts (AWS Cost Explorer, Azure Cost
    Management)."""

    CONTRACT = "GetCostForecast"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetCostForecastRequest
    Reply: TypeAlias = GetCostForecastReply


class GetCostSummary(Rpc[GetCostSummaryRequest, GetCostSummaryReply]):
    """A workspace's cost over a period: total, per provider and per day, from the stored
    billing rows (and estimates where a cloud's billing API could not be read)."""

    CONTRACT = "GetCostSummary"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetCostSummaryRequest
    Reply: TypeAlias = GetCostSummaryReply


class GetCostTrend(Rpc[GetCostTrendRequest, GetCostTrendReply]):
    """The period's second half against its first half (the seed's trend): the change in amount
    and percent, and its direction."""

    CONTRACT = "GetCostTrend"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetCostTrendRequest
    Reply: TypeAlias = GetCostTrendReply


class GetCredential(Rpc[GetCredentialRequest, GetCredentialReply]):
    """One credential, masked."""

    CONTRACT = "GetCredential"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetCredentialRequest
    Reply: TypeAlias = GetCredentialReply


class GetJwks(Rpc[GetJwksRequest, GetJwksReply]):
    """The public keys that verify access tokens."""

    CONTRACT = "GetJwks"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetJwksRequest
    Reply: TypeAlias = GetJwksReply


class GetKubeconfig(Rpc[GetKubeconfigRequest, GetKubeconfigReply]):
    """A kubeconfig for a READY cluster: the cloud's endpoint and CA with a short-lived
    credential (EKS: a presigned STS token; GKE: a service-account access token; AKS: the
    cloud's user kubeconfig). In mode exec (what the gateway asks for unless told otherwise)
    the user entry runs `skyclust kubeconfig token` instead of holding the credential; in
    mode static (the default here) the credential is in the file. Each call emits
    KubeconfigIssued and an AuditRecorded."""

    CONTRACT = "GetKubeconfig"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetKubeconfigRequest
    Reply: TypeAlias = GetKubeconfigReply


class GetMe(Rpc[GetMeRequest, GetMeReply]):
    """The calling user and their workspace."""

    CONTRACT = "GetMe"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetMeRequest
    Reply: TypeAlias = GetMeReply


class GetNodeGroup(Rpc[GetNodeGroupRequest, GetNodeGroupReply]):
    """One node group."""

    CONTRACT = "GetNodeGroup"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetNodeGroupRequest
    Reply: TypeAlias = GetNodeGroupReply


class GetNotificationChannel(Rpc[GetNotificationChannelRequest, GetNotificationChannelReply]):
    """One channel of the workspace."""

    CONTRACT = "GetNotificationChannel"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetNotificationChannelRequest
    Reply: TypeAlias = GetNotificationChannelReply


class GetNotificationMutes(Rpc[GetNotificationMutesRequest, GetNotificationMutesReply]):
    """The event types one user has muted in-app in a workspace."""

    CONTRACT = "GetNotificationMutes"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetNotificationMutesRequest
    Reply: TypeAlias = GetNotificationMutesReply


class GetNotificationRule(Rpc[GetNotificationRuleRequest, GetNotificationRuleReply]):
    """One of the workspace's notification rules."""

    CONTRACT = "GetNotificationRule"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetNotificationRuleRequest
    Reply: TypeAlias = GetNotificationRuleReply


class GetSecurityGroup(Rpc[GetSecurityGroupRequest, GetSecurityGroupReply]):
    """One security group with its rules."""

    CONTRACT = "GetSecurityGroup"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetSecurityGroupRequest
    Reply: TypeAlias = GetSecurityGroupReply


class GetSubnet(Rpc[GetSubnetRequest, GetSubnetReply]):
    """One subnet."""

    CONTRACT = "GetSubnet"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetSubnetRequest
    Reply: TypeAlias = GetSubnetReply


class GetVpc(Rpc[GetVpcRequest, GetVpcReply]):
    """One network."""

    CONTRACT = "GetVpc"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetVpcRequest
    Reply: TypeAlias = GetVpcReply


class GetWorkspace(Rpc[GetWorkspaceRequest, GetWorkspaceReply]):
    """One workspace the user belongs to."""

    CONTRACT = "GetWorkspace"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = GetWorkspaceRequest
    Reply: TypeAlias = GetWorkspaceReply


class ImportCluster(Rpc[ImportClusterRequest, ImportClusterReply]):
    """Adopt an existing cloud cluster, read-only: SkyClust shows it and watches it for drift
    but changes nothing until it is promoted."""

    CONTRACT = "ImportCluster"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = ImportClusterRequest
    Reply: TypeAlias = ImportClusterReply


class IssueStreamTicket(Rpc[IssueStreamTicketRequest, IssueStreamTicketReply]):
    """A short-lived ticket for an EventSource that cannot send headers."""

    CONTRACT = "IssueStreamTicket"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = IssueStreamTicketRequest
    Reply: TypeAlias = IssueStreamTicketReply


class ListApiKeys(Rpc[ListApiKeysRequest, ListApiKeysReply]):
    """A workspace's API keys, by prefix."""

    CONTRACT = "ListApiKeys"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListApiKeysRequest
    Reply: TypeAlias = ListApiKeysReply


class ListAuditLogs(Rpc[ListAuditLogsRequest, ListAuditLogsReply]):
    """A workspace's audit trail, newest first."""

    CONTRACT = "ListAuditLogs"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListAuditLogsRequest
    Reply: TypeAlias = ListAuditLogsReply


class ListBudgets(Rpc[ListBudgetsRequest, ListBudgetsReply]):
    """A workspace's budgets, by name."""

    CONTRACT = "ListBudgets"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListBudgetsRequest
    Reply: TypeAlias = ListBudgetsReply


class ListClusters(Rpc[ListClustersRequest, ListClustersReply]):
    """A workspace's clusters."""

    CONTRACT = "ListClusters"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListClustersRequest
    Reply: TypeAlias = ListClustersReply


class ListCredentials(Rpc[ListCredentialsRequest, ListCredentialsReply]):
    """A workspace's credentials, masked."""

    CONTRACT = "ListCredentials"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListCredentialsRequest
    Reply: TypeAlias = ListCredentialsReply


class ListMembers(Rpc[ListMembersRequest, ListMembersReply]):
    """A workspace's members."""

    CONTRACT = "ListMembers"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListMembersRequest
    Reply: TypeAlias = ListMembersReply


class ListNodeGroups(Rpc[ListNodeGroupsRequest, ListNodeGroupsReply]):
    """A cluster's node groups, DELETED ones left out."""

    CONTRACT = "ListNodeGroups"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListNodeGroupsRequest
    Reply: TypeAlias = ListNodeGroupsReply


class ListNotificationChannels(Rpc[ListNotificationChannelsRequest, ListNotificationChannelsReply]):
    """The workspace's channels, oldest first (never their secrets)."""

    CONTRACT = "ListNotificationChannels"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListNotificationChannelsRequest
    Reply: TypeAlias = ListNotificationChannelsReply


class ListNotificationRules(Rpc[ListNotificationRulesRequest, ListNotificationRulesReply]):
    """The workspace's notification rules, oldest first."""

    CONTRACT = "ListNotificationRules"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListNotificationRulesRequest
    Reply: TypeAlias = ListNotificationRulesReply


class ListNotifications(Rpc[ListNotificationsRequest, ListNotificationsReply]):
    """One user's inbox in a workspace, newest first, with the unread count."""

    CONTRACT = "ListNotifications"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListNotificationsRequest
    Reply: TypeAlias = ListNotificationsReply


class ListOidcProviders(Rpc[ListOidcProvidersRequest, ListOidcProvidersReply]):
    """The OpenID Connect providers users can log in with."""

    CONTRACT = "ListOidcProviders"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListOidcProvidersRequest
    Reply: TypeAlias = ListOidcProvidersReply


class ListSecurityGroups(Rpc[ListSecurityGroupsRequest, ListSecurityGroupsReply]):
    """A workspace's security groups; filters by provider, network, region, credential and tag."""

    CONTRACT = "ListSecurityGroups"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListSecurityGroupsRequest
    Reply: TypeAlias = ListSecurityGroupsReply


class ListSubnets(Rpc[ListSubnetsRequest, ListSubnetsReply]):
    """A workspace's subnets; filters by provider, network, region, credential and tag."""

    CONTRACT = "ListSubnets"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListSubnetsRequest
    Reply: TypeAlias = ListSubnetsReply


class ListVpcs(Rpc[ListVpcsRequest, ListVpcsReply]):
    """A workspace's networks, managed and discovered; filters by provider, region, credential,
    tag (key or key=value) and managed."""

    CONTRACT = "ListVpcs"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListVpcsRequest
    Reply: TypeAlias = ListVpcsReply


class ListWebhookDeliveries(Rpc[ListWebhookDeliveriesRequest, ListWebhookDeliveriesReply]):
    """A channel's deliveries, newest first."""

    CONTRACT = "ListWebhookDeliveries"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListWebhookDeliveriesRequest
    Reply: TypeAlias = ListWebhookDeliveriesReply


class ListWorkspaces(Rpc[ListWorkspacesRequest, ListWorkspacesReply]):
    """The workspaces a user belongs to."""

    CONTRACT = "ListWorkspaces"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = ListWorkspacesRequest
    Reply: TypeAlias = ListWorkspacesReply


class Login(Rpc[LoginRequest, LoginReply]):
    """Password login; returns tokens. An account with MFA is answered with a challenge instead
    of tokens, completed by CompleteMfaLogin."""

    CONTRACT = "Login"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = LoginRequest
    Reply: TypeAlias = LoginReply


class Logout(Rpc[LogoutRequest, LogoutReply]):
    """End a session: its refresh and access tokens stop working."""

    CONTRACT = "Logout"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = LogoutRequest
    Reply: TypeAlias = LogoutReply


class MarkAllNotificationsRead(Rpc[MarkAllNotificationsReadRequest, MarkAllNotificationsReadReply]):
    """Mark every unread notification of the user in the workspace read."""

    CONTRACT = "MarkAllNotificationsRead"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = MarkAllNotificationsReadRequest
    Reply: TypeAlias = MarkAllNotificationsReadReply


class MarkNotificationRead(Rpc[MarkNotificationReadRequest, MarkNotificationReadReply]):
    """Mark one of the user's notifications read (again: no change)."""

    CONTRACT = "MarkNotificationRead"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = MarkNotificationReadRequest
    Reply: TypeAlias = MarkNotificationReadReply


class PromoteCluster(Rpc[PromoteClusterRequest, PromoteClusterReply]):
    """Make an adopted cluster managed: SkyClust tags it and from then on may change it."""

    CONTRACT = "PromoteCluster"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = PromoteClusterRequest
    Reply: TypeAlias = PromoteClusterReply


class ReconcileCluster(Rpc[ReconcileClusterRequest, ReconcileClusterReply]):
    """Apply the desired state to the fields that drifted."""

    CONTRACT = "ReconcileCluster"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = ReconcileClusterRequest
    Reply: TypeAlias = ReconcileClusterReply


class RecordAudit(Rpc[RecordAuditRequest, RecordAuditReply]):
    """Write an audit record now and confirm it (for actions that must not happen unrecorded,
    such as decryption)."""

    CONTRACT = "RecordAudit"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = RecordAuditRequest
    Reply: TypeAlias = RecordAuditReply


class RefreshTokens(Rpc[RefreshTokensRequest, RefreshTokensReply]):
    """Exchange a refresh token (single use) for new tokens."""

    CONTRACT = "RefreshTokens"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = RefreshTokensRequest
    Reply: TypeAlias = RefreshTokensReply


class RegisterUser(Rpc[RegisterUserRequest, RegisterUserReply]):
    """Sign up: a new user and a new workspace they administer."""

    CONTRACT = "RegisterUser"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = RegisterUserRequest
    Reply: TypeAlias = RegisterUserReply


class RemoveMember(Rpc[RemoveMemberRequest, RemoveMemberReply]):
    """Remove a member, or leave."""

    CONTRACT = "RemoveMember"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = RemoveMemberRequest
    Reply: TypeAlias = RemoveMemberReply


class RequestEmailChange(Rpc[RequestEmailChangeRequest, RequestEmailChangeReply]):
    """Mail a confirmation link to a new address for the caller's account; the address changes
    only when the link is used. The password (and the second factor, with MFA on) proves it
    is the owner asking; throttled."""

    CONTRACT = "RequestEmailChange"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = RequestEmailChangeRequest
    Reply: TypeAlias = RequestEmailChangeReply


class RequestPasswordReset(Rpc[RequestPasswordResetRequest, RequestPasswordResetReply]):
    """Mail a password-reset link if the address has an account; the same answer either way;
    throttled per address and per client."""

    CONTRACT = "RequestPasswordReset"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = RequestPasswordResetRequest
    Reply: TypeAlias = RequestPasswordResetReply


class ResendVerification(Rpc[ResendVerificationRequest, ResendVerificationReply]):
    """Mail a new verification link to the caller's address (earlier links stop working);
    throttled."""

    CONTRACT = "ResendVerification"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = ResendVerificationRequest
    Reply: TypeAlias = ResendVerificationReply


class RetryWebhookDelivery(Rpc[RetryWebhookDeliveryRequest, RetryWebhookDeliveryReply]):
    """Send a delivery again now, with the same webhook-id."""

    CONTRACT = "RetryWebhookDelivery"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = RetryWebhookDeliveryRequest
    Reply: TypeAlias = RetryWebhookDeliveryReply


class RevokeApiKey(Rpc[RevokeApiKeyRequest, RevokeApiKeyReply]):
    """Revoke an API key."""

    CONTRACT = "RevokeApiKey"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = RevokeApiKeyRequest
    Reply: TypeAlias = RevokeApiKeyReply


class RotateCredential(Rpc[RotateCredentialRequest, RotateCredentialReply]):
    """Replace a credential's cloud secret with a new one of the same provider and account,
    after the cloud accepted it."""

    CONTRACT = "RotateCredential"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = RotateCredentialRequest
    Reply: TypeAlias = RotateCredentialReply


class RotateNotificationChannelSecret(
    Rpc[RotateNotificationChannelSecretRequest, RotateNotificationChannelSecretReply]
):
    """A new signing secret (in this reply only); the old one still signs during the overlap."""

    CONTRACT = "RotateNotificationChannelSecret"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = RotateNotificationChannelSecretRequest
    Reply: TypeAlias = RotateNotificationChannelSecretReply


class RotateSigningKey(Rpc[RotateSigningKeyRequest, RotateSigningKeyReply]):
    """A new token-signing key; older ones stay published until their tokens expire."""

    CONTRACT = "RotateSigningKey"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = RotateSigningKeyRequest
    Reply: TypeAlias = RotateSigningKeyReply


class SetNotificationMutes(Rpc[SetNotificationMutesRequest, SetNotificationMutesReply]):
    """Replace the event types (names or patterns with *) one user mutes in-app in a workspace;
    empty unmutes all."""

    CONTRACT = "SetNotificationMutes"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = SetNotificationMutesRequest
    Reply: TypeAlias = SetNotificationMutesReply


class SetWorkspaceMfaPolicy(Rpc[SetWorkspaceMfaPolicyRequest, SetWorkspaceMfaPolicyReply]):
    """Require MFA of a workspace's members, or stop requiring it (admins only, checked by the
    gateway)."""

    CONTRACT = "SetWorkspaceMfaPolicy"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = SetWorkspaceMfaPolicyRequest
    Reply: TypeAlias = SetWorkspaceMfaPolicyReply


class StartMfaEnrolment(Rpc[StartMfaEnrolmentRequest, StartMfaEnrolmentReply]):
    """Begin TOTP enrolment: a new secret and its otpauth URI, pending until confirmed by a
    code."""

    CONTRACT = "StartMfaEnrolment"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = StartMfaEnrolmentRequest
    Reply: TypeAlias = StartMfaEnrolmentReply


class StartOidcLogin(Rpc[StartOidcLoginRequest, StartOidcLoginReply]):
    """Begin an OpenID Connect login: the provider's authorization URL (code flow with PKCE,
    state and nonce) to send the browser to."""

    CONTRACT = "StartOidcLogin"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = StartOidcLoginRequest
    Reply: TypeAlias = StartOidcLoginReply


class SuggestCidr(Rpc[SuggestCidrRequest, SuggestCidrReply]):
    """The next free private block of a prefix length, free across every network of the
    workspace in every cloud and region."""

    CONTRACT = "SuggestCidr"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = SuggestCidrRequest
    Reply: TypeAlias = SuggestCidrReply


class SwitchWorkspace(Rpc[SwitchWorkspaceRequest, SwitchWorkspaceReply]):
    """Tokens for another workspace the user belongs to."""

    CONTRACT = "SwitchWorkspace"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = SwitchWorkspaceRequest
    Reply: TypeAlias = SwitchWorkspaceReply


class TestNotificationChannel(Rpc[TestNotificationChannelRequest, TestNotificationChannelReply]):
    """Send a signed WebhookTest event to the channel now."""

    CONTRACT = "TestNotificationChannel"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = TestNotificationChannelRequest
    Reply: TypeAlias = TestNotificationChannelReply


class UpdateBudget(Rpc[UpdateBudgetRequest, UpdateBudgetReply]):
    """Replace a budget's fields (its crossings already recorded stay: a threshold already
    crossed this period is not announced again)."""

    CONTRACT = "UpdateBudget"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = UpdateBudgetRequest
    Reply: TypeAlias = UpdateBudgetReply


class UpdateMember(Rpc[UpdateMemberRequest, UpdateMemberReply]):
    """Change a member's role."""

    CONTRACT = "UpdateMember"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = UpdateMemberRequest
    Reply: TypeAlias = UpdateMemberReply


class UpdateNodeGroup(Rpc[UpdateNodeGroupRequest, UpdateNodeGroupReply]):
    """Scale a node group (min/max/desired) or change its labels and taints; fields left out
    keep their value. The reply is the node group, UPDATING when anything changed."""

    CONTRACT = "UpdateNodeGroup"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = UpdateNodeGroupRequest
    Reply: TypeAlias = UpdateNodeGroupReply


class UpdateNotificationChannel(
    Rpc[UpdateNotificationChannelRequest, UpdateNotificationChannelReply]
):
    """Change a channel's name, URL (webhook), recipients (email), event types or whether it is
    enabled."""

    CONTRACT = "UpdateNotificationChannel"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = UpdateNotificationChannelRequest
    Reply: TypeAlias = UpdateNotificationChannelReply


class UpdateNotificationRule(Rpc[UpdateNotificationRuleRequest, UpdateNotificationRuleReply]):
    """Change what a notification rule matches, where it sends, or whether it is enabled."""

    CONTRACT = "UpdateNotificationRule"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = UpdateNotificationRuleRequest
    Reply: TypeAlias = UpdateNotificationRuleReply


class UpdateSecurityGroup(Rpc[UpdateSecurityGroupRequest, UpdateSecurityGroupReply]):
    """Replace a security group's rules and/or tags; it turns UPDATING until the cloud has
    them."""

    CONTRACT = "UpdateSecurityGroup"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = UpdateSecurityGroupRequest
    Reply: TypeAlias = UpdateSecurityGroupReply


class UpdateSubnet(Rpc[UpdateSubnetRequest, UpdateSubnetReply]):
    """Replace a subnet's tags."""

    CONTRACT = "UpdateSubnet"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = UpdateSubnetRequest
    Reply: TypeAlias = UpdateSubnetReply


class UpdateVpc(Rpc[UpdateVpcRequest, UpdateVpcReply]):
    """Replace a managed network's tags; it turns UPDATING until the cloud has them."""

    CONTRACT = "UpdateVpc"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = UpdateVpcRequest
    Reply: TypeAlias = UpdateVpcReply


class UpdateWorkspace(Rpc[UpdateWorkspaceRequest, UpdateWorkspaceReply]):
    """Rename a workspace."""

    CONTRACT = "UpdateWorkspace"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = UpdateWorkspaceRequest
    Reply: TypeAlias = UpdateWorkspaceReply


class UpgradeCluster(Rpc[UpgradeClusterRequest, UpgradeClusterReply]):
    """Move a cluster to a Kubernetes version the cloud offers: control plane, then node
    groups."""

    CONTRACT = "UpgradeCluster"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = UpgradeClusterRequest
    Reply: TypeAlias = UpgradeClusterReply


class ValidateCredential(Rpc[ValidateCredentialRequest, ValidateCredentialReply]):
    """Check a stored credential with its cloud now; the result is stored and returned with the
    masked credential."""

    CONTRACT = "ValidateCredential"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = ValidateCredentialRequest
    Reply: TypeAlias = ValidateCredentialReply


class VerifyApiKey(Rpc[VerifyApiKeyRequest, VerifyApiKeyReply]):
    """Who an API key acts as."""

    CONTRACT = "VerifyApiKey"
    VERSION = 1
    KIND = "query"
    Request: TypeAlias = VerifyApiKeyRequest
    Reply: TypeAlias = VerifyApiKeyReply


class VerifyEmail(Rpc[VerifyEmailRequest, VerifyEmailReply]):
    """Verify an account's email address with the token of the link mailed to it (single use)."""

    CONTRACT = "VerifyEmail"
    VERSION = 1
    KIND = "command"
    Request: TypeAlias = VerifyEmailRequest
    Reply: TypeAlias = VerifyEmailReply


BY_CONTRACT: dict[tuple[str, int], type[Rpc[Any, Any]]] = {
    (AddMember.CONTRACT, AddMember.VERSION): AddMember,
    (AdoptVpc.CONTRACT, AdoptVpc.VERSION): AdoptVpc,
    (CheckBudgetGuardrail.CONTRACT, CheckBudgetGuardrail.VERSION): CheckBudgetGuardrail,
    (CheckCidrPlan.CONTRACT, CheckCidrPlan.VERSION): CheckCidrPlan,
    (CheckSession.CONTRACT, CheckSession.VERSION): CheckSession,
    (CollectCosts.CONTRACT, CollectCosts.VERSION): CollectCosts,
    (CompleteMfaLogin.CONTRACT, CompleteMfaLogin.VERSION): CompleteMfaLogin,
    (CompleteOidcLogin.CONTRACT, CompleteOidcLogin.VERSION): CompleteOidcLogin,
    (CompletePasswordReset.CONTRACT, CompletePasswordReset.VERSION): CompletePasswordReset,
    (ConfirmMfaEnrolment.CONTRACT, ConfirmMfaEnrolment.VERSION): ConfirmMfaEnrolment,
    (ConfirmOidcLink.CONTRACT, ConfirmOidcLink.VERSION): ConfirmOidcLink,
    (CreateApiKey.CONTRACT, CreateApiKey.VERSION): CreateApiKey,
    (CreateBudget.CONTRACT, CreateBudget.VERSION): CreateBudget,
    (CreateCluster.CONTRACT, CreateCluster.VERSION): CreateCluster,
    (CreateCredential.CONTRACT, CreateCredential.VERSION): CreateCredential,
    (CreateNodeGroup.CONTRACT, CreateNodeGroup.VERSION): CreateNodeGroup,
    (
        CreateNotificationChannel.CONTRACT,
        CreateNotificationChannel.VERSION,
    ): CreateNotificationChannel,
    (CreateNotificationRule.CONTRACT, CreateNotificationRule.VERSION): CreateNotificationRule,
    (CreateSecurityGroup.CONTRACT, CreateSecurityGroup.VERSION): CreateSecurityGroup,
    (CreateSubnet.CONTRACT, CreateSubnet.VERSION): CreateSubnet,
    (CreateVpc.CONTRACT, CreateVpc.VERSION): CreateVpc,
    (CreateWorkspace.CONTRACT, CreateWorkspace.VERSION): CreateWorkspace,
    (DecryptCredential.CONTRACT, DecryptCredential.VERSION): DecryptCredential,
    (DeleteBudget.CONTRACT, DeleteBudget.VERSION): DeleteBudget,
    (DeleteCluster.CONTRACT, DeleteCluster.VERSION): DeleteCluster,
    (DeleteCredential.CONTRACT, DeleteCredential.VERSION): DeleteCredential,
    (DeleteNodeGroup.CONTRACT, DeleteNodeGroup.VERSION): DeleteNodeGroup,
    (
        DeleteNotificationChannel.CONTRACT,
        DeleteNotificationChannel.VERSION,
    ): DeleteNotificationChannel,
    (DeleteNotificationRule.CONTRACT, DeleteNotificationRule.VERSION): DeleteNotificationRule,
    (DeleteSecurityGroup.CONTRACT, DeleteSecurityGroup.VERSION): DeleteSecurityGroup,
    (DeleteSubnet.CONTRACT, DeleteSubnet.VERSION): DeleteSubnet,
    (DeleteVpc.CONTRACT, DeleteVpc.VERSION): DeleteVpc,
    (DisableMfa.CONTRACT, DisableMfa.VERSION): DisableMfa,
    (DiscoverClusters.CONTRACT, DiscoverClusters.VERSION): DiscoverClusters,
    (DiscoverNetworks.CONTRACT, DiscoverNetworks.VERSION): DiscoverNetworks,
    (EstimateClusterCost.CONTRACT, EstimateClusterCost.VERSION): EstimateClusterCost,
    (ForgetCluster.CONTRACT, ForgetCluster.VERSION): ForgetCluster,
    (GetBudget.CONTRACT, GetBudget.VERSION): GetBudget,
    (GetCluster.CONTRACT, GetCluster.VERSION): GetCluster,
    (GetClusterToken.CONTRACT, GetClusterToken.VERSION): GetClusterToken,
    (GetCostBreakdown.CONTRACT, GetCostBreakdown.VERSION): GetCostBreakdown,
    (GetCostComparison.CONTRACT, GetCostComparison.VERSION): GetCostComparison,
    (GetCostForecast.CONTRACT, GetCostForecast.VERSION): GetCostForecast,
    (GetCostSummary.CONTRACT, GetCostSummary.VERSION): GetCostSummary,
    (GetCostTrend.CONTRACT, GetCostTrend.VERSION): GetCostTrend,
    (GetCredential.CONTRACT, GetCredential.VERSION): GetCredential,
    (GetJwks.CONTRACT, GetJwks.VERSION): GetJwks,
    (GetKubeconfig.CONTRACT, GetKubeconfig.VERSION): GetKubeconfig,
    (GetMe.CONTRACT, GetMe.VERSION): GetMe,
    (GetNodeGroup.CONTRACT, GetNodeGroup.VERSION): GetNodeGroup,
    (GetNotificationChannel.CONTRACT, GetNotificationChannel.VERSION): GetNotificationChannel,
    (GetNotificationMutes.CONTRACT, GetNotificationMutes.VERSION): GetNotificationMutes,
    (GetNotificationRule.CONTRACT, GetNotificationRule.VERSION): GetNotificationRule,
    (GetSecurityGroup.CONTRACT, GetSecurityGroup.VERSION): GetSecurityGroup,
    (GetSubnet.CONTRACT, GetSubnet.VERSION): GetSubnet,
    (GetVpc.CONTRACT, GetVpc.VERSION): GetVpc,
    (GetWorkspace.CONTRACT, GetWorkspace.VERSION): GetWorkspace,
    (ImportCluster.CONTRACT, ImportCluster.VERSION): ImportCluster,
    (IssueStreamTicket.CONTRACT, IssueStreamTicket.VERSION): IssueStreamTicket,
    (ListApiKeys.CONTRACT, ListApiKeys.VERSION): ListApiKeys,
    (ListAuditLogs.CONTRACT, ListAuditLogs.VERSION): ListAuditLogs,
    (ListBudgets.CONTRACT, ListBudgets.VERSION): ListBudgets,
    (ListClusters.CONTRACT, ListClusters.VERSION): ListClusters,
    (ListCredentials.CONTRACT, ListCredentials.VERSION): ListCredentials,
    (ListMembers.CONTRACT, ListMembers.VERSION): ListMembers,
    (ListNodeGroups.CONTRACT, ListNodeGroups.VERSION): ListNodeGroups,
    (ListNotificationChannels.CONTRACT, ListNotificationChannels.VERSION): ListNotificationChannels,
    (ListNotificationRules.CONTRACT, ListNotificationRules.VERSION): ListNotificationRules,
    (ListNotifications.CONTRACT, ListNotifications.VERSION): ListNotifications,
    (ListOidcProviders.CONTRACT, ListOidcProviders.VERSION): ListOidcProviders,
    (ListSecurityGroups.CONTRACT, ListSecurityGroups.VERSION): ListSecurityGroups,
    (ListSubnets.CONTRACT, ListSubnets.VERSION): ListSubnets,
    (ListVpcs.CONTRACT, ListVpcs.VERSION): ListVpcs,
    (ListWebhookDeliveries.CONTRACT, ListWebhookDeliveries.VERSION): ListWebhookDeliveries,
    (ListWorkspaces.CONTRACT, ListWorkspaces.VERSION): ListWorkspaces,
    (Login.CONTRACT, Login.VERSION): Login,
    (Logout.CONTRACT, Logout.VERSION): Logout,
    (MarkAllNotificationsRead.CONTRACT, MarkAllNotificationsRead.VERSION): MarkAllNotificationsRead,
    (MarkNotificationRead.CONTRACT, MarkNotificationRead.VERSION): MarkNotificationRead,
    (PromoteCluster.CONTRACT, PromoteCluster.VERSION): PromoteCluster,
    (ReconcileCluster.CONTRACT, ReconcileCluster.VERSION): ReconcileCluster,
    (RecordAudit.CONTRACT, RecordAudit.VERSION): RecordAudit,
    (RefreshTokens.CONTRACT, RefreshTokens.VERSION): RefreshTokens,
    (RegisterUser.CONTRACT, RegisterUser.VERSION): RegisterUser,
    (RemoveMember.CONTRACT, RemoveMember.VERSION): RemoveMember,
    (RequestEmailChange.CONTRACT, RequestEmailChange.VERSION): RequestEmailChange,
    (RequestPasswordReset.CONTRACT, RequestPasswordReset.VERSION): RequestPasswordReset,
    (ResendVerification.CONTRACT, ResendVerification.VERSION): ResendVerification,
    (RetryWebhookDelivery.CONTRACT, RetryWebhookDelivery.VERSION): RetryWebhookDelivery,
    (RevokeApiKey.CONTRACT, RevokeApiKey.VERSION): RevokeApiKey,
    (RotateCredential.CONTRACT, RotateCredential.VERSION): RotateCredential,
    (
        RotateNotificationChannelSecret.CONTRACT,
        RotateNotificationChannelSecret.VERSION,
    ): RotateNotificationChannelSecret,
    (RotateSigningKey.CONTRACT, RotateSigningKey.VERSION): RotateSigningKey,
    (SetNotificationMutes.CONTRACT, SetNotificationMutes.VERSION): SetNotificationMutes,
    (SetWorkspaceMfaPolicy.CONTRACT, SetWorkspaceMfaPolicy.VERSION): SetWorkspaceMfaPolicy,
    (StartMfaEnrolment.CONTRACT, StartMfaEnrolment.VERSION): StartMfaEnrolment,
    (StartOidcLogin.CONTRACT, StartOidcLogin.VERSION): StartOidcLogin,
    (SuggestCidr.CONTRACT, SuggestCidr.VERSION): SuggestCidr,
    (SwitchWorkspace.CONTRACT, SwitchWorkspace.VERSION): SwitchWorkspace,
    (TestNotificationChannel.CONTRACT, TestNotificationChannel.VERSION): TestNotificationChannel,
    (UpdateBudget.CONTRACT, UpdateBudget.VERSION): UpdateBudget,
    (UpdateMember.CONTRACT, UpdateMember.VERSION): UpdateMember,
    (UpdateNodeGroup.CONTRACT, UpdateNodeGroup.VERSION): UpdateNodeGroup,
    (
        UpdateNotificationChannel.CONTRACT,
        UpdateNotificationChannel.VERSION,
    ): UpdateNotificationChannel,
    (UpdateNotificationRule.CONTRACT, UpdateNotificationRule.VERSION): UpdateNotificationRule,
    (UpdateSecurityGroup.CONTRACT, UpdateSecurityGroup.VERSION): UpdateSecurityGroup,
    (UpdateSubnet.CONTRACT, UpdateSubnet.VERSION): UpdateSubnet,
    (UpdateVpc.CONTRACT, UpdateVpc.VERSION): UpdateVpc,
    (UpdateWorkspace.CONTRACT, UpdateWorkspace.VERSION): UpdateWorkspace,
    (UpgradeCluster.CONTRACT, UpgradeCluster.VERSION): UpgradeCluster,
    (ValidateCredential.CONTRACT, ValidateCredential.VERSION): ValidateCredential,
    (VerifyApiKey.CONTRACT, VerifyApiKey.VERSION): VerifyApiKey,
    (VerifyEmail.CONTRACT, VerifyEmail.VERSION): VerifyEmail,
}
