"""Azure emulator state, request context and ARM-shaped errors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .._core import JSON, Fault, public

if TYPE_CHECKING:
    from ._app import AzureEmulator

ARM_AUDIENCES = {
    "https://management.azure.com",
    "https://management.azure.com/",
    "https://management.core.windows.net",
    "https://management.core.windows.net/",
}

# Public regions accepted as resource locations (normalised: lower case, no spaces).
LOCATIONS = frozenset(
    [
        "eastus",
        "eastus2",
        "southcentralus",
        "westus2",
        "westus3",
        "australiaeast",
        "southeastasia",
        "northeurope",
        "swedencentral",
        "uksouth",
        "westeurope",
        "centralus",
        "southafricanorth",
        "centralindia",
        "eastasia",
        "japaneast",
        "koreacentral",
        "canadacentral",
        "francecentral",
        "germanywestcentral",
        "italynorth",
        "norwayeast",
        "polandcentral",
        "spaincentral",
        "switzerlandnorth",
        "mexicocentral",
        "uaenorth",
        "brazilsouth",
        "israelcentral",
        "qatarcentral",
        "northcentralus",
        "westus",
        "westcentralus",
        "australiasoutheast",
        "australiacentral",
        "japanwest",
        "koreasouth",
        "southindia",
        "westindia",
        "canadaeast",
        "ukwest",
        "francesouth",
        "germanynorth",
        "norwaywest",
        "switzerlandwest",
        "uaecentral",
        "brazilsoutheast",
        "southafricawest",
        "eastus2euap",
        "centraluseuap",
        "newzealandnorth",
    ]
)


def now_iso(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def normalize_location(value: Any) -> str:
    return str(value or "").replace(" ", "").lower()


class ArmError(Exception):
    """An error rendered as ARM does: ``{"error": {"code", "message"}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        target: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.target = target

    def response(self) -> JSONResponse:
        error: JSON = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        headers = {"x-ms-failure-cause": "gateway", **self.headers}
        return JSONResponse({"error": error}, status_code=self.status, headers=headers)


def bad_request(code: str, message: str, target: str | None = None) -> ArmError:
    return ArmError(400, code, message, target=target)


@dataclass
class ServicePrincipal:
    client_id: str
    tenant_id: str
    object_id: str
    secrets: list[str] = field(default_factory=list)
    subscriptions: set[str] = field(default_factory=set)


@dataclass
class Tenant:
    tenant_id: str
    domain: str


@dataclass
class Subscription:
    subscription_id: str
    tenant_id: str
    display_name: str
    groups: dict[str, JSON] = field(default_factory=dict)
    resources: dict[str, JSON] = field(default_factory=dict)


@dataclass
class Principal:
    client_id: str
    object_id: str
    tenant_id: str


@dataclass
class Call:
    """One authenticated ARM request."""

    emu: AzureEmulator
    request: Request
    body: JSON
    principal: Principal
    fault: Fault | None = None
    subscription: Subscription | None = None

    @property
    def sub(self) -> Subscription:
        assert self.subscription is not None
        return self.subscription

    @property
    def api_version(self) -> str:
        return self.request.query_params.get("api-version", "")

    @property
    def base_url(self) -> str:
        return str(self.request.base_url).rstrip("/")


def json_response(
    value: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(public(value), status_code=status_code, headers=headers)


def etag() -> str:
    return f'W/"{uuid.uuid4()}"'


def guid() -> str:
    return str(uuid.uuid4())
