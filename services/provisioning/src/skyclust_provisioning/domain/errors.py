"""Provisioning's errors: one class per code it raises. The code, status and message
cross the bus and reach the API as before; the class says which failure it is.

A code has one status: where a code is also raised at another one (a cloud adapter's
CLUSTER_NAME_TAKEN is a 502 ProviderError, a request's a 409), the raiser takes the
code from its class here (`code=ClusterNameTaken.code`) and keeps its own base."""

from __future__ import annotations

from skyclust_common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ProviderError,
    SkyclustError,
    ValidationFailed,
)


class NameTaken(Exception):
    """A commit met a live cluster or node group of the same name (one made meanwhile):
    the use case turns it into its Conflict."""


# not found ---------------------------------------------------------------------------


class ClusterNotFound(NotFound):
    """No cluster of that id in the workspace (or it was deleted)."""

    code = "CLUSTER_NOT_FOUND"


class NodeGroupNotFound(NotFound):
    """No node group of that id in the cluster (or it was deleted)."""

    code = "NODE_GROUP_NOT_FOUND"


class CloudClusterNotFound(NotFound):
    """Import: the cloud has no cluster of that name in that region for the credential."""

    code = "CLOUD_CLUSTER_NOT_FOUND"


# conflicts -----------------------------------------------------------------------------


class ClusterNameTaken(Conflict):
    """A live cluster of that name exists in the workspace, provider and region."""

    code = "CLUSTER_NAME_TAKEN"


class NodeGroupNameTaken(Conflict):
    """A live node group of that name exists in the cluster."""

    code = "NODE_GROUP_NAME_TAKEN"


class ClusterBusy(Conflict):
    """The cluster (or the cloud's) is in a state that does not allow this now; try
    again once it is READY."""

    code = "CLUSTER_BUSY"


class NodeGroupBusy(Conflict):
    """The node group is in a state that does not allow this now."""

    code = "NODE_GROUP_BUSY"


class ClusterNotReady(Conflict):
    """The cluster is not READY yet (node groups are added, kubeconfigs issued, once
    it is)."""

    code = "CLUSTER_NOT_READY"


class ClusterReadOnly(Conflict):
    """The cluster was adopted read-only: promote it to let SkyClust change it."""

    code = "CLUSTER_READ_ONLY"


class ClusterAlreadyTracked(Conflict):
    """Import: SkyClust tracks this cloud cluster already."""

    code = "CLUSTER_ALREADY_TRACKED"


class ClusterAlreadyManaged(Conflict):
    """Promote: SkyClust manages this cluster already."""

    code = "CLUSTER_ALREADY_MANAGED"


class ClusterManaged(Conflict):
    """Forget: a managed cluster is deleted, not forgotten."""

    code = "CLUSTER_MANAGED"


class VersionUnchanged(Conflict):
    """Upgrade: the cluster runs that version already."""

    code = "VERSION_UNCHANGED"


# invalid requests ------------------------------------------------------------------------


class KubeconfigModeNotSupported(SkyclustError):
    """The cloud's kubeconfig for the cluster names no user (or holds no credential
    SkyClust can hand an exec plugin): only `mode=static` is offered for it."""

    code = "KUBECONFIG_MODE_NOT_SUPPORTED"
    status = 422


class ProviderNotSupported(ValidationFailed):
    """The request names a provider this deployment has no adapter for."""

    code = "PROVIDER_NOT_SUPPORTED"


class InvalidRegion(ValidationFailed):
    """The region is not a region name of the provider."""

    code = "INVALID_REGION"


class CredentialProviderMismatch(ValidationFailed):
    """The credential is for another provider than the request's."""

    code = "CREDENTIAL_PROVIDER_MISMATCH"


class InvalidNodeGroupSize(ValidationFailed):
    """Sizes must satisfy 0 <= min_size <= desired_size <= max_size."""

    code = "INVALID_NODE_GROUP_SIZE"


class InvalidNodeGroupName(ValidationFailed):
    """The name is not a valid node group name for the provider."""

    code = "INVALID_NODE_GROUP_NAME"


class VersionNotOffered(ValidationFailed):
    """Upgrade: the provider does not offer that Kubernetes version in the region."""

    code = "VERSION_NOT_OFFERED"


class VersionDowngrade(ValidationFailed):
    """Upgrade: Kubernetes cannot be downgraded."""

    code = "VERSION_DOWNGRADE"


class VersionSkip(ValidationFailed):
    """Upgrade: one minor version at a time."""

    code = "VERSION_SKIP"


# the cloud, as the saga meets it --------------------------------------------------------


class StepDeadlineExceeded(ProviderError):
    """A saga step did not finish by its deadline (or ran out of time retrying); a
    create is rolled back, an upgrade stops, a delete ends FAILED."""

    code = "STEP_DEADLINE_EXCEEDED"


class ResourceLost(ProviderError):
    """The cloud no longer has the cluster or node group the step was working on."""

    code = "PROVIDER_RESOURCE_LOST"


class CloudFailed(ProviderError):
    """The cloud reports the cluster, node group or upgrade failed."""

    code = "CLOUD_FAILED"


class ProviderTimeout(ProviderError):
    """A node group operation did not finish within its timeout."""

    code = "PROVIDER_TIMEOUT"


class ProviderAuthFailed(ProviderError):
    """The cloud refused the credential (wrong or expired keys)."""

    code = "PROVIDER_AUTH_FAILED"


class ProviderAccessDenied(ProviderError):
    """The credential is valid but lacks a permission the operation needs."""

    code = "PROVIDER_ACCESS_DENIED"


class ProviderThrottled(ProviderError):
    """The cloud throttled the call; it is retried with backoff."""

    code = "PROVIDER_THROTTLED"
    default_retryable = True


class ProviderUnavailable(ProviderError):
    """The cloud (or its endpoint) did not answer or answered 5xx; the adapters raise it
    retryable (the vault declares the code not retryable unless the raiser says so)."""

    code = "PROVIDER_UNAVAILABLE"


class ProviderBusy(ProviderError):
    """The cloud runs another operation on the resource; a later attempt gets through."""

    code = "PROVIDER_BUSY"
    default_retryable = True


class ProviderInvalidRequest(ProviderError):
    """The cloud rejected the request as invalid."""

    code = "PROVIDER_INVALID_REQUEST"


class NodeGroupAlreadyManaged(ProviderError):
    """Promote: another SkyClust node group owns the cloud node group."""

    code = "NODE_GROUP_ALREADY_MANAGED"


class NetworkRequired(ProviderError):
    """EKS needs subnets in two zones: the provider config names none and the default
    VPC has none to use."""

    code = "NETWORK_REQUIRED"


class BudgetCheckUnavailable(Conflict):
    """The cost service could not be asked and a budget covering the request fails
    closed: the request waits for cost to answer (or an admin's override); retrying once
    cost answers again goes through."""

    code = "BUDGET_CHECK_UNAVAILABLE"
    default_retryable = True


class BudgetOverrideForbidden(Forbidden):
    """An override of the guardrail asked for by someone who is not a workspace admin."""

    code = "BUDGET_OVERRIDE_FORBIDDEN"
