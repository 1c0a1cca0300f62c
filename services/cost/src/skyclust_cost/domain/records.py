"""The normalised daily cost row every source maps to, and the seed's CostWarning."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

# The seed's codes, and API_THROTTLED for a billing API that kept refusing for load
# (the seed has no code for it); DEFAULT_PRICES says estimates used the shipped table.
API_PERMISSION_DENIED = "API_PERMISSION_DENIED"
API_NOT_ENABLED = "API_NOT_ENABLED"
API_THROTTLED = "API_THROTTLED"
VM_COST_CALCULATION_FAILED = "VM_COST_CALCULATION_FAILED"
KUBERNETES_COST_CALCULATION_FAILED = "KUBERNETES_COST_CALCULATION_FAILED"
CREDENTIAL_ERROR = "CREDENTIAL_ERROR"
DEFAULT_PRICES = "DEFAULT_PRICES"

BILLING_API = "billing_api"
ESTIMATE = "estimate"

CLUSTER_TAG = "skyclust.io/cluster-id"
# GCP labels and Azure tags cannot hold a slash or a dot.
CLUSTER_LABEL = "skyclust-cluster-id"
NODE_GROUP_LABEL = "skyclust-node-group-id"


@dataclass(frozen=True)
class CostRow:
    day: date
    provider: str
    account: str
    service: str
    region: str
    amount: Decimal
    currency: str = "USD"
    cluster_id: str = ""
    node_group: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    source: str = BILLING_API

    @property
    def resource_type(self) -> str:
        return "cluster" if self.cluster_id else "vm"

    def key(self) -> tuple[Any, ...]:
        return (
            self.provider,
            self.account,
            self.day,
            self.service,
            self.region,
            self.cluster_id,
            self.node_group,
            self.resource_type,
            self.source,
        )


@dataclass(frozen=True)
class CostWarning:
    code: str
    message: str
    provider: str
    resource_type: str = "all"

    def view(self) -> dict[str, str]:
        return {
            "code": self.code,
            "message": self.message,
            "provider": self.provider,
            "resource_type": self.resource_type,
        }


AWS_COST_EXPLORER = "aws_cost_explorer"
AZURE_COST_MANAGEMENT = "azure_cost_management"


@dataclass(frozen=True)
class CloudForecast:
    """A cloud's own forecast of what the credential's account will cost over a window,
    next to SkyClust's. `lower_80`/`upper_80` are None where the cloud gives no interval
    (Azure's Forecast API has none)."""

    provider: str
    total: Decimal
    currency: str
    source: str
    lower_80: Decimal | None = None
    upper_80: Decimal | None = None
