"""GCP VPC networks, subnetworks and firewall rules through google-cloud-compute.

GCP networks are global and carry no labels: what SkyClust creates is marked in its
description (`skyclust:<id>`, with the planned range for networks), tags live in SkyClust
only, and inserts pass the resource id as `requestId`, so a retried insert is the same
operation. A SkyClust security group is the set of firewall rules named `<group>-<hash>`
that target instances with the network tag `<group>` (a cluster's group covers the whole
network instead)."""

from __future__ import annotations

import concurrent.futures
import json
import uuid
from typing import TYPE_CHECKING, Any

import requests
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.auth import exceptions as auth_exc

from skyclust_common.cloud import ComputeClients, compute_clients
from skyclust_common.errors import ProviderError
from skyclust_common.logs import register_secret

from ....domain.errors import (
    ProviderAccessDenied,
    ProviderAuthFailed,
    ProviderConflict,
    ProviderInvalidRequest,
    ProviderNameTaken,
    ProviderNotFound,
    ProviderQuotaExceeded,
    ProviderResourceInUse,
    ProviderThrottled,
    ProviderTimeout,
    ProviderUnavailable,
)
from ....domain.model import (
    GCP_GLOBAL,
    GCP_OWNER_PREFIX,
    Rule,
)
from ..base import Credential

if TYPE_CHECKING:
    # google-cloud-compute costs about 120 MB and 5 s to import: it is imported where a
    # request is built, on the worker thread, so a process with no GCP work never loads it.
    from google.cloud import compute_v1

from ..clients import ClientCache
from ..threaded import ThreadedProvider

PROVIDER = "gcp"


def translate(exc: Exception) -> ProviderError | None:
    def error(kind: type[ProviderError], retryable: bool = False) -> ProviderError:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return kind(str(message)[:2000], retryable=retryable, provider=PROVIDER)

    if isinstance(exc, gexc.Unauthorized | gexc.Unauthenticated | auth_exc.RefreshError):
        return error(ProviderAuthFailed)
    if isinstance(exc, gexc.TooManyRequests | gexc.ResourceExhausted):
        return error(ProviderThrottled, retryable=True)
    if isinstance(exc, gexc.Forbidden | gexc.PermissionDenied):
        quota = "quota" in str(exc).lower()
        return error(ProviderQuotaExceeded if quota else ProviderAccessDenied)
    if isinstance(exc, gexc.PreconditionFailed | gexc.Aborted):
        return error(ProviderConflict, retryable=True)
    if isinstance(exc, gexc.Conflict | gexc.AlreadyExists):
        return error(ProviderNameTaken)
    if isinstance(exc, gexc.BadRequest | gexc.InvalidArgument | gexc.FailedPrecondition):
        in_use = "already being used" in str(exc) or "resourceInUse" in str(exc)
        return error(ProviderResourceInUse if in_use else ProviderInvalidRequest)
    if isinstance(exc, gexc.NotFound):
        return error(ProviderNotFound)
    if isinstance(
        exc,
        gexc.ServerError
        | gexc.RetryError
        | gexc.DeadlineExceeded
        | auth_exc.TransportError
        | requests.exceptions.ConnectionError
        | requests.exceptions.Timeout,
    ):
        return error(ProviderUnavailable, retryable=True)
    if isinstance(exc, concurrent.futures.TimeoutError | TimeoutError):
        return error(ProviderTimeout, retryable=True)
    if isinstance(exc, gexc.GoogleAPICallError):
        return error(ProviderError)
    return None


def service_account_key(credential: Credential) -> dict[str, Any]:
    raw = credential.get("service_account_json", credential)
    try:
        key = json.loads(raw) if isinstance(raw, str) else dict(raw)
        if key.get("type") != "service_account" or not key.get("project_id"):
            raise ValueError
    except (ValueError, TypeError):
        raise ProviderAuthFailed(
            "the GCP credential is not a valid service-account key",
            provider=PROVIDER,
        ) from None
    register_secret(key.get("private_key"))
    return key


def name_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def region_of(link: str) -> str:
    parts = link.split("/")
    return parts[parts.index("regions") + 1] if "regions" in parts else GCP_GLOBAL


def owner_of(description: str | None) -> str | None:
    """`skyclust:<id>[;cidr=<range>]` -> id."""
    if not description or not description.startswith(GCP_OWNER_PREFIX):
        return None
    return description[len(GCP_OWNER_PREFIX) :].split(";", 1)[0].split(" ", 1)[0] or None


def planned_cidr(description: str | None) -> str | None:
    if not description:
        return None
    for part in description.split(";")[1:]:
        if part.startswith("cidr="):
            return part[len("cidr=") :]
    return None


def request_id_for(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "skyclust:" + ":".join(parts)))


def firewall_rules(firewall: compute_v1.Firewall) -> list[Rule]:
    direction = "egress" if firewall.direction == "EGRESS" else "ingress"
    ranges = list(firewall.destination_ranges if direction == "egress" else firewall.source_ranges)
    action, entries = ("deny", firewall.denied) if firewall.denied else ("allow", firewall.allowed)
    rules = []
    for entry in entries:
        protocol = entry.I_p_protocol.lower()
        ports: list[str | None] = list(entry.ports) or [None]
        for port in ports:
            from_port = to_port = None
            if port is not None:
                low, _, high = port.partition("-")
                from_port, to_port = int(low), int(high or low)
            for cidr in ranges:
                rules.append(
                    Rule(
                        direction=direction,
                        protocol=protocol,
                        cidr=cidr,
                        from_port=from_port,
                        to_port=to_port,
                        action=action,
                        priority=firewall.priority,
                    )
                )
    return rules


class ComputeClient(ThreadedProvider):
    name = PROVIDER
    translate = staticmethod(translate)

    def __init__(
        self,
        endpoint_url: str | None = None,
        *,
        operation_timeout: float = 600.0,
        retry_deadline: float = 30.0,
    ):
        self.endpoint_url = endpoint_url
        self.operation_timeout = operation_timeout
        # The SDK retries reads for up to ten minutes by default: far beyond what a
        # request or a saga step may wait before the error is reported.
        self._read: dict[str, Any] = {
            "retry": gretry.Retry(
                initial=0.2,
                maximum=5.0,
                multiplier=2.0,
                predicate=gretry.if_exception_type(gexc.ServiceUnavailable, gexc.DeadlineExceeded),
                timeout=retry_deadline,
            ),
            "timeout": min(60.0, max(retry_deadline, 5.0)),
        }
        self._clients: ClientCache[ComputeClients] = ClientCache(limit=64)

    def _compute(self, credential: Credential) -> tuple[ComputeClients, str]:
        key = service_account_key(credential)

        def build() -> ComputeClients:
            try:
                return compute_clients(key, self.endpoint_url)
            except (ValueError, KeyError):
                raise ProviderAuthFailed(
                    "the GCP credential is not a valid service-account key", provider=PROVIDER
                ) from None

        clients = self._clients.get(key, "", build)
        return clients, str(key["project_id"])

    def _wait(self, operation: Any) -> None:
        operation.result(timeout=self.operation_timeout)
