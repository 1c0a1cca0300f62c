"""Azure Resource Manager: auth, long-running operations, subscriptions, resource groups."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
from starlette.requests import Request
from starlette.responses import Response

from .._core import JSON, public
from ._common import (
    ARM_AUDIENCES,
    LOCATIONS,
    ArmError,
    Call,
    Principal,
    Subscription,
    bad_request,
    guid,
    json_response,
    normalize_location,
    now_iso,
)
from ._entra import describe_token

if TYPE_CHECKING:
    from ._app import AzureEmulator

API_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview|-beta|-alpha)?$")
GROUP_NAME_RE = re.compile(r"^[-\w._()]{1,90}$")
MAX_RETRY_AFTER = 10


def _unauthorized(emu: AzureEmulator, request: Request, code: str, message: str) -> ArmError:
    base = str(request.base_url).rstrip("/")
    return ArmError(
        401,
        code,
        message,
        headers={
            "WWW-Authenticate": (
                f'Bearer authorization_uri="{base}/common", error="invalid_token", '
                f'error_description="{message}"'
            )
        },
    )


def authenticate(emu: AzureEmulator, request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise _unauthorized(
            emu,
            request,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        )
    raw = raw.strip()
    try:
        claims: JSON = jwt.decode(
            raw,
            emu.signing_key.public_key(),
            algorithms=["RS256"],
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise _unauthorized(
            emu, request, "InvalidAuthenticationToken", "The access token is invalid."
        ) from exc
    audience = str(claims.get("aud", ""))
    if audience not in ARM_AUDIENCES:
        raise _unauthorized(
            emu,
            request,
            "InvalidAuthenticationTokenAudience",
            f"The access token has been obtained for wrong audience or resource '{audience}'. "
            "It should exactly match with one of the allowed audiences "
            "'https://management.core.windows.net/','https://management.core.windows.net',"
            "'https://management.azure.com/','https://management.azure.com'.",
        )
    now = emu.clock.now()
    if float(claims.get("exp", 0)) <= now:
        raise _unauthorized(
            emu,
            request,
            "ExpiredAuthenticationToken",
            f"The access token expiry UTC time '{now_iso(float(claims.get('exp', 0)))[:19]}' is "
            f"earlier than current UTC time '{now_iso(now)[:19]}'.",
        )
    client = emu.clients.get(str(claims.get("appid", "")))
    if client is None:
        raise _unauthorized(
            emu, request, "InvalidAuthenticationToken", "The access token is invalid."
        )
    return Principal(client.client_id, client.object_id, str(claims.get("tid", "")))


def authorize_subscription(
    emu: AzureEmulator, request: Request, principal: Principal, subscription_id: str, action: str
) -> Subscription:
    sub = emu.subscriptions.get(subscription_id.lower())
    if sub is None:
        raise ArmError(
            404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found."
        )
    if sub.tenant_id != principal.tenant_id:
        claims = describe_token(request.headers.get("authorization", " ").split(" ", 1)[1])
        raise _unauthorized(
            emu,
            request,
            "InvalidAuthenticationTokenTenant",
            f"The access token is from the wrong issuer '{claims.get('iss', '')}'. It must match "
            f"the tenant 'https://sts.windows.net/{sub.tenant_id}/' associated with this "
            f"subscription. Please use the authority (URL) "
            f"'https://login.windows.net/{sub.tenant_id}' to get the token.",
        )
    client = emu.clients[principal.client_id]
    if sub.subscription_id not in client.subscriptions:
        raise ArmError(
            403,
            "AuthorizationFailed",
            f"The client '{principal.client_id}' with object id '{principal.object_id}' does not "
            f"have authorization to perform action '{action}' over scope "
            f"'/subscriptions/{sub.subscription_id}' or the scope is invalid. If access was "
            "recently granted, please refresh your credentials.",
        )
    return sub


# Long-running operations


def _retry_after(emu: AzureEmulator, op: JSON) -> str:
    remaining = float(op["_done_at"]) - emu.clock.now()
    return str(max(1, min(MAX_RETRY_AFTER, math.ceil(remaining))))


def start_operation(
    call: Call,
    *,
    namespace: str,
    location: str,
    duration_kind: str,
    busy: JSON | None,
    apply: Callable[[], None],
    fail: Callable[[], None] | None = None,
    delete: bool = False,
    default_error: tuple[str, str] = ("InternalServerError", "An internal error occurred."),
) -> dict[str, str]:
    """Register an operation finishing after the configured duration; returns the LRO headers."""
    emu = call.emu
    sub = call.sub
    op_id = guid()
    now = emu.clock.now()
    op: JSON = {
        "id": f"/subscriptions/{sub.subscription_id}/providers/{namespace}/locations/{location}"
        f"/operations/{op_id}",
        "name": op_id,
        "status": "InProgress",
        "startTime": now_iso(now),
        "_delete": delete,
    }
    emu.operations[op_id] = op
    if busy is not None:
        busy["_busy"] = op_id
    fault = call.fault if call.fault is not None and call.fault.operation_error else None

    def finish() -> None:
        if op.get("_cancelled"):
            return
        if busy is not None and busy.get("_busy") == op_id:
            busy.pop("_busy", None)
        if fault is not None:
            code, message = default_error
            op["status"] = "Failed"
            op["error"] = {"code": fault.code or code, "message": fault.message or message}
            op["_http_status"] = fault.status or 400
            if fail is not None:
                fail()
        else:
            apply()
            op["status"] = "Succeeded"
        op["endTime"] = now_iso(emu.clock.now())

    op["_done_at"] = emu.scheduler.after(emu.durations[duration_kind], finish)
    emu.scheduler.run_due()
    query = f"?api-version={call.api_version}"
    prefix = f"{call.base_url}/subscriptions/{sub.subscription_id}/providers/{namespace}"
    headers = {
        "Azure-AsyncOperation": f"{prefix}/locations/{location}/operations/{op_id}{query}",
        "Retry-After": _retry_after(emu, op),
    }
    if delete:
        headers["Location"] = f"{prefix}/locations/{location}/operationresults/{op_id}{query}"
    return headers


def cancel_operation(emu: AzureEmulator, resource: JSON) -> None:
    op_id = resource.pop("_busy", None)
    op = emu.operations.get(op_id) if op_id else None
    if op is not None and op["status"] == "InProgress":
        op["_cancelled"] = True
        op["status"] = "Canceled"
        op["endTime"] = now_iso(emu.clock.now())


def _get_op(emu: AzureEmulator, op_id: str) -> JSON:
    op = emu.operations.get(op_id)
    if op is None:
        raise ArmError(404, "NotFound", f"Operation {op_id} was not found.")
    return op


def async_operation_status(call: Call, op_id: str) -> Response:
    op = _get_op(call.emu, op_id)
    headers = {"Retry-After": _retry_after(call.emu, op)} if op["status"] == "InProgress" else {}
    return json_response(op, headers=headers)


def operation_result(call: Call, op_id: str) -> Response:
    emu = call.emu
    op = _get_op(emu, op_id)
    if op["status"] == "InProgress":
        return Response(
            status_code=202,
            headers={"Location": str(call.request.url), "Retry-After": _retry_after(emu, op)},
        )
    if op["status"] in ("Failed", "Canceled"):
        error = op.get("error") or {"code": "Canceled", "message": "The operation was canceled."}
        raise ArmError(int(op.get("_http_status", 409)), error["code"], error["message"])
    return Response(status_code=204 if op["_delete"] else 200)


# Resource model


@dataclass
class Ref:
    """A resource addressed by URL, whether or not it exists."""

    sub: Subscription
    group: JSON
    kind: ResourceKind
    name: str
    parent: JSON | None

    @property
    def id(self) -> str:
        if self.parent is not None:
            return f"{self.parent['id']}/{self.kind.type_name}/{self.name}"
        return (
            f"/subscriptions/{self.sub.subscription_id}/resourceGroups/{self.group['name']}"
            f"/providers/{self.kind.namespace}/{self.kind.type_name}/{self.name}"
        )

    @property
    def key(self) -> str:
        return self.id.lower()

    @property
    def existing(self) -> JSON | None:
        return self.sub.resources.get(self.key)


class ResourceKind:
    """One ARM resource type; subclasses implement the mutating verbs."""

    namespace = ""
    type_name = ""
    parent: ResourceKind | None = None

    @property
    def arm_type(self) -> str:
        if self.parent is not None:
            return f"{self.parent.arm_type}/{self.type_name}"
        return f"{self.namespace}/{self.type_name}"

    @property
    def key(self) -> str:
        return self.arm_type.lower()

    def render(self, emu: AzureEmulator, resource: JSON) -> JSON:
        return resource

    def not_found(self, ref: Ref) -> ArmError:
        if ref.parent is not None:
            return ArmError(404, "NotFound", f"Resource {ref.id} not found.")
        return ArmError(
            404,
            "ResourceNotFound",
            f"The Resource '{self.arm_type}/{ref.name}' under resource group "
            f"'{ref.group['name']}' was not found. For more details please go to "
            "https://aka.ms/ARMResourceNotFoundFix",
        )

    def new_resource(self, ref: Ref, **fields: Any) -> JSON:
        return {
            "id": ref.id,
            "name": ref.name,
            "type": self.arm_type,
            **fields,
            "_kind": self.key,
            "_group": ref.group["name"].lower(),
        }

    async def put(self, call: Call, ref: Ref) -> Response:
        raise ArmError(405, "MethodNotAllowed", f"PUT is not supported for {self.arm_type}.")

    async def patch(self, call: Call, ref: Ref) -> Response:
        raise ArmError(405, "MethodNotAllowed", f"PATCH is not supported for {self.arm_type}.")

    async def delete(self, call: Call, ref: Ref) -> Response:
        raise ArmError(405, "MethodNotAllowed", f"DELETE is not supported for {self.arm_type}.")


def require_location(call: Call, body: JSON) -> str:
    if not body.get("location"):
        raise bad_request(
            "LocationRequired", "The location property is required for this definition."
        )
    location = normalize_location(body["location"])
    if location not in LOCATIONS:
        raise bad_request(
            "LocationNotAvailableForResourceType",
            f"The provided location '{body['location']}' is not available for resource type. "
            f"List of available regions is '{','.join(sorted(LOCATIONS))}'.",
        )
    return location


def check_location_unchanged(existing: JSON, location: str, ref: Ref) -> None:
    if existing.get("location") and existing["location"] != location:
        raise bad_request(
            "InvalidResourceLocation",
            f"The resource '{ref.name}' already exists in location '{existing['location']}' in "
            f"resource group '{ref.group['name']}'. A resource with the same name cannot be "
            f"created in location '{location}'. Please select a new resource name.",
        )


def check_preconditions(call: Call, existing: JSON | None) -> None:
    if_none_match = call.request.headers.get("if-none-match")
    if_match = call.request.headers.get("if-match")
    if if_none_match == "*" and existing is not None:
        raise ArmError(412, "PreconditionFailed", "The resource already exists.")
    if if_match and (existing is None or (if_match != "*" and if_match != existing.get("etag"))):
        raise ArmError(
            412, "PreconditionFailed", "The specified precondition 'If-Match' was not met."
        )


def validate_tags(body: JSON) -> JSON:
    tags = body.get("tags") or {}
    if not isinstance(tags, dict) or len(tags) > 50:
        raise bad_request("InvalidTag", "Tags must be an object with at most 50 entries.")
    return {str(k): str(v) for k, v in tags.items()}


# Subscriptions and resource groups


def render_subscription(sub: Subscription) -> JSON:
    return {
        "id": f"/subscriptions/{sub.subscription_id}",
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": sub.subscription_id,
        "tenantId": sub.tenant_id,
        "displayName": sub.display_name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    }


def group_not_found(name: str) -> ArmError:
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def get_group(sub: Subscription, name: str) -> JSON:
    group = sub.groups.get(name.lower())
    if group is None:
        raise group_not_found(name)
    return group


def ensure_group_writable(group: JSON) -> None:
    if group["properties"]["provisioningState"] == "Deleting":
        raise ArmError(
            409,
            "ResourceGroupBeingDeleted",
            f"The resource group '{group['name']}' is in deprovisioning state and cannot perform "
            "this operation.",
        )


async def put_group(call: Call, name: str) -> Response:
    sub = call.sub
    if not GROUP_NAME_RE.match(name) or name.endswith("."):
        raise bad_request(
            "InvalidResourceGroup",
            f"The provided resource group name '{name}' has these invalid characters: "
            "'...'. The name can only be a letter, digit, '-', '.', '(', ')' or '_'.",
        )
    location = require_location(call, call.body)
    tags = validate_tags(call.body)
    existing = sub.groups.get(name.lower())
    if existing is not None:
        ensure_group_writable(existing)
        if existing["location"] != location:
            raise ArmError(
                409,
                "InvalidResourceGroupLocation",
                f"Invalid resource group location '{location}'. The Resource group already "
                f"exists in location '{existing['location']}'.",
            )
        existing["tags"] = tags
        if "managedBy" in call.body:
            existing["managedBy"] = call.body["managedBy"]
        return json_response(existing)
    group: JSON = {
        "id": f"/subscriptions/{sub.subscription_id}/resourceGroups/{name}",
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
        "tags": tags,
        "properties": {"provisioningState": "Succeeded"},
    }
    if call.body.get("managedBy"):
        group["managedBy"] = call.body["managedBy"]
    sub.groups[name.lower()] = group
    return json_response(group, status_code=201)


async def patch_group(call: Call, name: str) -> Response:
    group = get_group(call.sub, name)
    ensure_group_writable(group)
    if "tags" in call.body:
        group["tags"] = validate_tags(call.body)
    return json_response(group)


async def delete_group(call: Call, name: str) -> Response:
    emu = call.emu
    sub = call.sub
    group = get_group(sub, name)
    if group["properties"]["provisioningState"] == "Deleting":
        return Response(status_code=202, headers={"Retry-After": "1"})
    group["properties"]["provisioningState"] = "Deleting"
    lower = name.lower()

    def apply() -> None:
        for key, resource in list(sub.resources.items()):
            if resource["_group"] == lower:
                cancel_operation(emu, resource)
                del sub.resources[key]
        sub.groups.pop(lower, None)

    def fail() -> None:
        group["properties"]["provisioningState"] = "Succeeded"

    headers = start_operation(
        call,
        namespace="Microsoft.Resources",
        location=group["location"],
        duration_kind="resource_group_delete",
        busy=None,
        apply=apply,
        fail=fail,
        delete=True,
    )
    op_id = headers["Azure-AsyncOperation"].split("/operations/")[1].split("?")[0]
    location = (
        f"{call.base_url}/subscriptions/{sub.subscription_id}/operationresults/{op_id}"
        f"?api-version={call.api_version}"
    )
    return Response(
        status_code=202, headers={"Location": location, "Retry-After": headers["Retry-After"]}
    )


def list_value(items: list[JSON]) -> Response:
    return json_response({"value": [public(i) for i in items]})
