"""The network service's errors: one class per code it raises. The code, status and
message cross the bus and reach the API as before; the class says which failure it is.

A code has one status across services: NETWORK_REQUIRED is provisioning's 502 (EKS finds
no network to use), so the 409 of a provided network without two READY subnets is
raised as a Conflict with that code; INVALID_FILTER is the gateway's 400, so the 422 of a
tag filter here is a ValidationFailed with that code."""

from __future__ import annotations

from skyclust_common.errors import (
    Conflict,
    NotFound,
    PermanentFailure,
    ProviderError,
    ValidationFailed,
)


class UniqueViolation(Exception):
    """The store refused a row: a live name or a cloud id it holds already. Not an error
    of the API: the handler that inserted says which name was taken."""


# not found -------------------------------------------------------------------------------


class VpcNotFound(NotFound):
    """No network of that id in the workspace (or it was deleted, or is of another
    provider than the request names)."""

    code = "VPC_NOT_FOUND"


class SubnetNotFound(NotFound):
    """No subnet of that id in the workspace (or it was deleted)."""

    code = "SUBNET_NOT_FOUND"


class SecurityGroupNotFound(NotFound):
    """No security group of that id in the workspace (or it was deleted)."""

    code = "SECURITY_GROUP_NOT_FOUND"


# conflicts -------------------------------------------------------------------------------


class VpcNameTaken(Conflict):
    """A live managed network of that name exists in the workspace, provider and region."""

    code = "VPC_NAME_TAKEN"


class SubnetNameTaken(Conflict):
    """The network has a live subnet of that name."""

    code = "SUBNET_NAME_TAKEN"


class SecurityGroupNameTaken(Conflict):
    """The network has a live security group of that name."""

    code = "SECURITY_GROUP_NAME_TAKEN"


class VpcBusy(Conflict):
    """The network is being created, changed or deleted, or was never created; try again
    once it is READY (or delete it)."""

    code = "VPC_BUSY"


class SubnetBusy(Conflict):
    """The subnet is being created, changed or deleted, or was never created."""

    code = "SUBNET_BUSY"


class SecurityGroupBusy(Conflict):
    """The security group is being created, changed or deleted, or was never created."""

    code = "SECURITY_GROUP_BUSY"


class VpcNotReady(Conflict):
    """The network is not READY in the cloud yet: subnets, groups and clusters can be
    added once it is."""

    code = "VPC_NOT_READY"


class VpcInUse(Conflict):
    """The network still holds subnets, security groups, clusters or instances;
    `details` names them."""

    code = "VPC_IN_USE"


class VpcAlreadyManaged(Conflict):
    """Adopt: the network is managed by SkyClust already."""

    code = "VPC_ALREADY_MANAGED"


class NetworkNotManaged(Conflict):
    """The network was discovered, not created by SkyClust: an admin can adopt it first."""

    code = "NETWORK_NOT_MANAGED"


class GeneratedForCluster(Conflict):
    """The resource belongs to a cluster's generated network: release the cluster's
    network instead (`details.cluster_id`)."""

    code = "GENERATED_FOR_CLUSTER"


class CidrOverlap(Conflict):
    """The range overlaps a network of the workspace, in any cloud or region, managed or
    discovered (`details.overlaps`); `allow_overlap` accepts it for a network."""

    code = "CIDR_OVERLAP"


class SubnetOverlap(Conflict):
    """The subnet's range overlaps a sibling subnet of the network."""

    code = "SUBNET_OVERLAP"


class NoFreeCidr(Conflict):
    """The planner found no free private block of that size."""

    code = "NO_FREE_CIDR"


# invalid requests ------------------------------------------------------------------------


class ProviderNotSupported(ValidationFailed):
    """The request names a provider this deployment has no network adapter for."""

    code = "PROVIDER_NOT_SUPPORTED"


class CredentialProviderMismatch(ValidationFailed):
    """The credential is for another provider than the request's."""

    code = "CREDENTIAL_PROVIDER_MISMATCH"


class InvalidName(ValidationFailed):
    """The name breaks the provider's naming rules (GCP: lowercase, digits, hyphens)."""

    code = "INVALID_NAME"


class InvalidRegion(ValidationFailed):
    """The region is not a region name of the provider, or not the network's."""

    code = "INVALID_REGION"


class InvalidZone(ValidationFailed):
    """The zone is not one of the region's, or the provider's subnets are regional."""

    code = "INVALID_ZONE"


class InvalidCidr(ValidationFailed):
    """The range is not an IPv4 CIDR block."""

    code = "INVALID_CIDR"


class CidrPrefixOutOfRange(ValidationFailed):
    """The prefix length is outside what the provider allows for a network or subnet."""

    code = "CIDR_PREFIX_OUT_OF_RANGE"


class CidrNotPrivate(ValidationFailed):
    """The range is not inside the private address space (RFC 1918)."""

    code = "CIDR_NOT_PRIVATE"


class SubnetOutsideVpc(ValidationFailed):
    """The subnet's range is not inside its network's."""

    code = "SUBNET_OUTSIDE_VPC"


class InvalidRule(ValidationFailed):
    """A security group rule is malformed (`details.index` says which)."""

    code = "INVALID_RULE"


class RuleNotSupported(ValidationFailed):
    """The provider cannot express the rule (e.g. a deny rule on AWS)."""

    code = "RULE_NOT_SUPPORTED"


class ReservedTag(ValidationFailed):
    """Tags under `skyclust.io/` are SkyClust's own."""

    code = "RESERVED_TAG"


class InvalidMessage(PermanentFailure):
    """(Dead letters) a cluster-network command that is malformed or names no workspace."""

    code = "INVALID_MESSAGE"


# the cloud -------------------------------------------------------------------------------


class ProviderAuthFailed(ProviderError):
    """The cloud refused the credential (wrong or expired keys, a malformed key)."""

    code = "PROVIDER_AUTH_FAILED"


class ProviderAccessDenied(ProviderError):
    """The credential is valid but lacks a permission the operation needs."""

    code = "PROVIDER_ACCESS_DENIED"


class ProviderQuotaExceeded(ProviderError):
    """The cloud account's quota for networks, subnets, groups or rules is used up."""

    code = "PROVIDER_QUOTA_EXCEEDED"


class ProviderThrottled(ProviderError):
    """The cloud throttled the call; it is retried with backoff."""

    code = "PROVIDER_THROTTLED"
    default_retryable = True


class ProviderUnavailable(ProviderError):
    """The cloud did not answer, answered 5xx, or still shows what was deleted; raised
    retryable."""

    code = "PROVIDER_UNAVAILABLE"


class ProviderTimeout(ProviderError):
    """A cloud operation did not finish within its timeout."""

    code = "PROVIDER_TIMEOUT"


class ProviderConflict(ProviderError):
    """The cloud refused a change that raced another (a precondition failed)."""

    code = "PROVIDER_CONFLICT"


class ProviderNameTaken(ProviderError):
    """The cloud holds a resource of that name already, not one SkyClust made for this
    spec."""

    code = "PROVIDER_NAME_TAKEN"


class ProviderInvalidRequest(ProviderError):
    """The cloud rejected the request as invalid."""

    code = "PROVIDER_INVALID_REQUEST"


class ProviderResourceInUse(ProviderError):
    """The cloud will not delete the resource: something still depends on it."""

    code = "PROVIDER_RESOURCE_IN_USE"


class ProviderResourceLost(ProviderError):
    """The cloud no longer has the network (or group) the resource belongs in."""

    code = "PROVIDER_RESOURCE_LOST"


class ProviderNotFound(ProviderError):
    """The cloud answered not found where SkyClust expected the resource."""

    code = "PROVIDER_NOT_FOUND"


class NotEnoughZones(ProviderError):
    """An AWS cluster needs subnets in two zones; the region has fewer available."""

    code = "NOT_ENOUGH_ZONES"
