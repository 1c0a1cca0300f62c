"""Provisioning's errors: one class per code it raises. The code, status and message
cross the bus and reach the API as before; the class says which failure it is."""

from __future__ import annotations

from typing import Any

from skyclust_common.errors import Conflict, NotFound, ProviderError, ValidationFailed


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


class ProviderNotSupported(ValidationFailed):
    """The request names a provider this deployment has no adapter for."""

    code = "PROVIDER_NOT_SUPPORTED"


class InvalidRegion(ValidationFailed):
    """The region is not a region name of the provider."""

    code = "INVALID_REGION"


class CredentialProviderMismatch(ValidationFailed):
    """The credential is for another provider than the request's."""

    code = "CREDENTIAL_PROVIDER_MISMATCH"


class DuplicateNodeGroupNames(ValidationFailed):
    """A create names two node groups alike."""

    code = "NODE_GROUP_NAME_TAKEN"


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


class CloudError(ProviderError):
    """A ProviderError whose code is its class's (ProviderError's own constructor takes
    the code as an argument)."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        provider: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            message, code=type(self).code, retryable=retryable, provider=provider, details=details
        )


class StepDeadlineExceeded(CloudError):
    """A saga step did not finish by its deadline (or ran out of time retrying); a
    create is rolled back, an upgrade stops, a delete ends FAILED."""

    code = "STEP_DEADLINE_EXCEEDED"


class ResourceLost(CloudError):
    """The cloud no longer has the cluster or node group the step was working on."""

    code = "PROVIDER_RESOURCE_LOST"


class CloudFailed(CloudError):
    """The cloud reports the cluster, node group or upgrade failed."""

    code = "CLOUD_FAILED"


class ProviderTimeout(CloudError):
    """A node group operation did not finish within its timeout."""

    code = "PROVIDER_TIMEOUT"


class ProviderNotConfigured(CloudError):
    """A saga met a cluster of a provider this process has no adapter for."""

    code = "PROVIDER_NOT_SUPPORTED"


# the cloud, as the provider adapters translate it ------------------------------------------


class ProviderAuthFailed(CloudError):
    """The cloud refused the credential (wrong or expired keys)."""

    code = "PROVIDER_AUTH_FAILED"


class ProviderAccessDenied(CloudError):
    """The credential is valid but lacks a permission the operation needs."""

    code = "PROVIDER_ACCESS_DENIED"


class ProviderThrottled(CloudError):
    """The cloud throttled the call; it is retried with backoff."""

    code = "PROVIDER_THROTTLED"


class ProviderUnavailable(CloudError):
    """The cloud (or its endpoint) did not answer or answered 5xx; retried."""

    code = "PROVIDER_UNAVAILABLE"


class ProviderBusy(CloudError):
    """The cloud runs another operation on the resource; a later attempt gets through."""

    code = "PROVIDER_BUSY"


class ProviderInvalidRequest(CloudError):
    """The cloud rejected the request as invalid."""

    code = "PROVIDER_INVALID_REQUEST"


class CloudClusterNameTaken(CloudError):
    """A cluster of that name that SkyClust did not make exists in the cloud."""

    code = "CLUSTER_NAME_TAKEN"


class CloudNodeGroupNameTaken(CloudError):
    """A node group of that name that SkyClust did not make exists in the cloud."""

    code = "NODE_GROUP_NAME_TAKEN"


class CloudClusterAlreadyManaged(CloudError):
    """Promote: another SkyClust cluster owns the cloud cluster."""

    code = "CLUSTER_ALREADY_MANAGED"


class CloudNodeGroupAlreadyManaged(CloudError):
    """Promote: another SkyClust node group owns the cloud node group."""

    code = "NODE_GROUP_ALREADY_MANAGED"


class NetworkRequired(CloudError):
    """EKS needs subnets in two zones: the provider config names none and the default
    VPC has none to use."""

    code = "NETWORK_REQUIRED"
