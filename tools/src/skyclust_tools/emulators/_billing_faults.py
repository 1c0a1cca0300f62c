"""The billing APIs' real failure answers, as fault specs for the existing fault injection:
``inject_billing_fault(api, kind)`` on each cloud's admin client.

Kinds: ``permission_denied``, ``not_enabled`` (the API or the billing data is switched off),
``throttled``; AWS Cost Explorer also ``data_unavailable``, Azure Cost Management also
``rbac_denied`` and ``not_registered`` (the resource provider is not registered: azure-core's
auto-registration tries, and its register call meets the same fault).
"""

from __future__ import annotations

from typing import Any

Table = dict[str, tuple[str, dict[str, dict[str, Any]]]]

AWS: Table = {
    # Cost Explorer and Price List answer HTTP 400 with the error's type, as the real ones.
    "cost_explorer": (
        r"^/AWSInsightsIndexService\.",
        {
            "permission_denied": {
                "status": 400,
                "code": "AccessDeniedException",
                "message": "User: arn:aws:iam::123456789012:user/skyclust is not authorized "
                "to perform: ce:GetCostAndUsage",
            },
            "not_enabled": {
                "status": 400,
                "code": "AccessDeniedException",
                "message": "User not enabled for cost explorer access",
            },
            "data_unavailable": {
                "status": 400,
                "code": "DataUnavailableException",
                "message": "Data is not available. Please try to adjust the time period. If "
                "just enabled Cost Explorer, data might not be ingested yet",
            },
            "throttled": {
                "status": 400,
                "code": "LimitExceededException",
                "message": "Rate exceeded",
            },
        },
    ),
    "pricing": (
        r"^/AWSPriceListService\.",
        {
            "permission_denied": {
                "status": 400,
                "code": "AccessDeniedException",
                "message": "User: arn:aws:iam::123456789012:user/skyclust is not authorized "
                "to perform: pricing:GetProducts",
            },
            "throttled": {"status": 400, "code": "ThrottlingException", "message": "Rate exceeded"},
        },
    ),
}


def _gcp_kinds(api_title: str, service: str) -> dict[str, dict[str, Any]]:
    return {
        "permission_denied": {
            "status": 403,
            "code": "IAM_PERMISSION_DENIED",
            "message": "The caller does not have permission",
        },
        "not_enabled": {
            "status": 403,
            "code": "SERVICE_DISABLED",
            "message": f"{api_title} has not been used in project skyclust before or it is "
            f"disabled. Enable it by visiting https://console.developers.google.com/apis/api/"
            f"{service}/overview then retry. If you enabled this API recently, wait a few "
            "minutes for the action to propagate to our systems and retry.",
        },
        "throttled": {"status": 429, "code": "RATE_LIMIT_EXCEEDED"},
    }


GCP: Table = {
    "billing": (
        r"^/v1/projects/[^/]+/billingInfo$",
        _gcp_kinds("Cloud Billing API", "cloudbilling.googleapis.com"),
    ),
    "catalog": (r"^/v1/services", _gcp_kinds("Cloud Billing API", "cloudbilling.googleapis.com")),
    "bigquery": (r"^/bigquery/v2/", _gcp_kinds("BigQuery API", "bigquery.googleapis.com")),
}

AZURE: Table = {
    "cost_management": (
        r"(?i)/providers/Microsoft\.CostManagement/",
        {
            "permission_denied": {
                "status": 403,
                "code": "AuthorizationFailed",
                "message": "The client does not have authorization to perform action "
                "'Microsoft.CostManagement/query/action' over the scope or the scope is invalid.",
            },
            "rbac_denied": {
                "status": 401,
                "code": "RBACAccessDenied",
                "message": "The authorization to perform the action failed.",
            },
            "not_enabled": {
                "status": 403,
                "code": "BillingAccessDenied",
                "message": "Cost Management is not enabled for this scope: the billing account "
                "does not allow viewing charges.",
            },
            "not_registered": {
                "status": 409,
                "code": "MissingSubscriptionRegistration",
                "message": "The subscription is not registered to use namespace "
                "'Microsoft.CostManagement'. See https://aka.ms/rps-not-found for how to "
                "register subscriptions.",
            },
            "throttled": {
                "status": 429,
                "code": "429",
                "message": "Too many requests. Please retry.",
                "retry_after": 10,
            },
        },
    ),
    "retail_prices": (
        r"^/api/retail/prices",
        {"throttled": {"status": 429, "code": "TooManyRequests", "retry_after": 10}},
    ),
}


def billing_fault(table: Table, api: str, kind: str) -> dict[str, Any]:
    if api not in table:
        raise ValueError(f"unknown billing API {api!r}; known: {sorted(table)}")
    path_regex, kinds = table[api]
    if kind not in kinds:
        raise ValueError(f"unknown fault kind {kind!r} for {api}; known: {sorted(kinds)}")
    return {"path_regex": path_regex, **kinds[kind]}
