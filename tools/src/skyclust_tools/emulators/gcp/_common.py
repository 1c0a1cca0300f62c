"""GCP emulator state, request context and Google-shaped errors."""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from starlette.requests import Request
from starlette.responses import JSONResponse

from .._core import JSON, Fault, public

if TYPE_CHECKING:
    from ._app import GcpEmulator

COMPUTE_HOST = "https://www.googleapis.com/compute/v1"
CONTAINER_HOST = "https://container.googleapis.com/v1"

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
CLOUD_PLATFORM_RO = "https://www.googleapis.com/auth/cloud-platform.read-only"
COMPUTE = "https://www.googleapis.com/auth/compute"
COMPUTE_RO = "https://www.googleapis.com/auth/compute.readonly"

_STATUS_FOR_HTTP = {
    400: ("INVALID_ARGUMENT", "badRequest"),
    401: ("UNAUTHENTICATED", "authError"),
    403: ("PERMISSION_DENIED", "forbidden"),
    404: ("NOT_FOUND", "notFound"),
    409: ("ALREADY_EXISTS", "alreadyExists"),
    412: ("FAILED_PRECONDITION", "conditionNotMet"),
    429: ("RESOURCE_EXHAUSTED", "rateLimitExceeded"),
    500: ("INTERNAL", "backendError"),
    501: ("UNIMPLEMENTED", "notImplemented"),
    502: ("UNAVAILABLE", "backendError"),
    503: ("UNAVAILABLE", "backendError"),
    504: ("DEADLINE_EXCEEDED", "deadlineExceeded"),
}

# google.rpc.Code numbers, used in GKE Operation.error.
GRPC_CODES = {
    "OK": 0,
    "CANCELLED": 1,
    "UNKNOWN": 2,
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9,
    "ABORTED": 10,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "UNAUTHENTICATED": 16,
}

HTTP_REASON_PHRASES = {
    400: "BAD REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT FOUND",
    409: "CONFLICT",
    412: "PRECONDITION FAILED",
    429: "TOO MANY REQUESTS",
    500: "INTERNAL SERVER ERROR",
    503: "SERVICE UNAVAILABLE",
}

NAME_RE = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
CLUSTER_NAME_RE = re.compile(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")
REGION_RE = re.compile(r"^[a-z]+-[a-z]+\d+$")
ZONE_RE = re.compile(r"^[a-z]+-[a-z]+\d+-[a-z]$")


def status_for_http(http_status: int) -> tuple[str, str]:
    return _STATUS_FOR_HTTP.get(http_status, ("UNKNOWN", "backendError"))


class GoogleError(Exception):
    """An error rendered the way Google APIs render it (google.rpc.Status over JSON)."""

    def __init__(
        self,
        http_status: int,
        message: str,
        *,
        status: str | None = None,
        reason: str | None = None,
        info_reason: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        default_status, default_reason = status_for_http(http_status)
        self.http_status = http_status
        self.message = message
        self.status = status or default_status
        self.reason = reason or default_reason
        self.info_reason = info_reason or self.status
        self.headers = headers or {}

    def response(self, service: str) -> JSONResponse:
        body: JSON = {
            "code": self.http_status,
            "message": self.message,
            "errors": [{"message": self.message, "domain": "global", "reason": self.reason}],
        }
        if service != "compute.googleapis.com":
            body["status"] = self.status
            body["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": self.info_reason,
                    "domain": "googleapis.com",
                    "metadata": {"service": service},
                }
            ]
        return JSONResponse({"error": body}, status_code=self.http_status, headers=self.headers)


def not_found(message: str) -> GoogleError:
    return GoogleError(404, message)


def bad_request(message: str) -> GoogleError:
    return GoogleError(400, message)


def failed_precondition(message: str) -> GoogleError:
    return GoogleError(400, message, status="FAILED_PRECONDITION", reason="failedPrecondition")


@dataclass
class ServiceAccountKey:
    key_id: str
    project_id: str
    email: str
    client_id: str
    public_key: RSAPublicKey
    token_uri: str
    disabled: bool = False


@dataclass
class Principal:
    email: str
    project_id: str
    scopes: frozenset[str]
    audience: str | None = None

    def may_use(self, service: str, *, write: bool) -> bool:
        if self.audience:
            return service in self.audience
        wanted = {CLOUD_PLATFORM}
        if service == "compute.googleapis.com":
            wanted |= {COMPUTE} if write else {COMPUTE, COMPUTE_RO, CLOUD_PLATFORM_RO}
        elif not write:
            wanted.add(CLOUD_PLATFORM_RO)
        return bool(self.scopes & wanted)


@dataclass
class Project:
    project_id: str
    number: str
    created: float
    clusters: dict[tuple[str, str], JSON] = field(default_factory=dict)
    gke_operations: dict[str, JSON] = field(default_factory=dict)
    networks: dict[str, JSON] = field(default_factory=dict)
    subnetworks: dict[tuple[str, str], JSON] = field(default_factory=dict)
    firewalls: dict[str, JSON] = field(default_factory=dict)
    compute_operations: dict[tuple[str, str], JSON] = field(default_factory=dict)
    request_ids: dict[str, tuple[str, str]] = field(default_factory=dict)
    instance_group_managers: dict[tuple[str, str], JSON] = field(default_factory=dict)


@dataclass
class Call:
    """One API request after auth: what handlers get."""

    emu: GcpEmulator
    request: Request
    params: dict[str, str]
    body: JSON
    principal: Principal | None
    fault: Fault | None = None

    @property
    def project(self) -> Project:
        return self.emu.project(self.params["project"])

    def query(self, name: str, default: str | None = None) -> str | None:
        return self.request.query_params.get(name, default)


def json_response(value: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(public(value), status_code=status_code)


def new_id() -> str:
    return str(secrets.randbits(63))


def is_region(location: str) -> bool:
    return bool(REGION_RE.match(location))


def is_zone(location: str) -> bool:
    return bool(ZONE_RE.match(location))


def region_of(location: str) -> str:
    return location.rsplit("-", 1)[0] if is_zone(location) else location


def parse_cidr(value: Any, field_name: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(str(value), strict=True)
    except ValueError as exc:
        raise bad_request(
            f"Invalid value for field '{field_name}': '{value}'. Invalid IPv4 CIDR range."
        ) from exc


def resource_name(link: str | None, collection: str) -> str | None:
    """The short name from a full URL, partial path or bare name of a compute resource."""
    if not link:
        return None
    marker = f"/{collection}/"
    if marker in link:
        return link.rsplit(marker, 1)[1].split("/")[0]
    if link.startswith(f"{collection}/"):
        return link.split("/", 1)[1]
    return link if "/" not in link else None
