"""The cost service's errors: one class per code it raises. They cross the bus with their
status and code, so provisioning and the gateway render a guardrail refusal as cost meant it."""

from __future__ import annotations

from skyclust_common.errors import Conflict, Forbidden, NotFound, ValidationFailed


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


class InvalidHorizon(ValidationFailed):
    """A forecast's horizon is not one of 7d, 1m, 3m, 6m, 1y."""

    code = "INVALID_HORIZON"


class InvalidBudget(ValidationFailed):
    """A budget whose amount, period, scope, thresholds or mode cannot be used."""

    code = "INVALID_BUDGET"


class InsufficientCostHistory(ValidationFailed):
    """A forecast asked of an empty series or for a horizon that is not positive."""

    code = "INSUFFICIENT_COST_HISTORY"


class BudgetExceeded(Conflict):
    """The guardrail: an enforce budget covering the request would pass 100% of its
    amount by its forecast plus the request's estimate. Details name the budget, the
    estimate and the forecast."""

    code = "BUDGET_EXCEEDED"


class BudgetOverrideForbidden(Forbidden):
    """An override of the guardrail asked for by someone who is not a workspace admin."""

    code = "BUDGET_OVERRIDE_FORBIDDEN"


class BudgetNotFound(NotFound):
    """No budget of that id in the caller's workspace."""

    code = "BUDGET_NOT_FOUND"
