"""The cost service's errors: one class per code it raises."""

from __future__ import annotations

from skyclust_common.errors import ValidationFailed


class InvalidPeriod(ValidationFailed):
    """The period is not one of 7d, 1m, 3m, 6m, 1y."""

    code = "INVALID_PERIOD"


class InvalidResourceTypes(ValidationFailed):
    """resource_types is not all, vm, cluster or vm,cluster."""

    code = "INVALID_RESOURCE_TYPES"


class InvalidBreakdown(ValidationFailed):
    """`by` is not service, provider, region, cluster, node_group or tag:<key>."""

    code = "INVALID_BREAKDOWN"


class InvalidProvider(ValidationFailed):
    """provider is not aws, gcp or azure."""

    code = "INVALID_PROVIDER"
