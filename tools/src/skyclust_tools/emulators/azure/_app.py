"""The Azure emulator: Entra ID token issuance plus Azure Resource Manager, over HTTPS."""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Callable, Mapping

from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .._base import AdminProblem, EmulatorBase
from .._billing import Meter
from .._core import CLIENT_GONE, JSON, Fault, hang, merge_patch, public
from .._server import TlsFiles
from . import _aks, _cost, _entra, _network, _retail
from ._arm import (
    API_VERSION_RE,
    Ref,
    ResourceKind,
    async_operation_status,
    authenticate,
    authorize_subscription,
    cancel_operation,
    delete_group,
    get_group,
    list_value,
    operation_result,
    patch_group,
    put_group,
    render_subscription,
)
from ._common import ArmError, Call, ServicePrincipal, Subscription, Tenant, guid, json_response

DEFAULT_DURATIONS: dict[str, float] = {
    "managed_cluster_create": 5.0,
    "managed_cluster_update": 2.0,
    "managed_cluster_delete": 3.0,
    "agent_pool_create": 3.0,
    "agent_pool_update": 2.0,
    "agent_pool_delete": 2.0,
    "network": 1.0,
    "resource_group_delete": 2.0,
}

_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
_COST_QUERY = re.compile(r"/providers/microsoft\.costmanagement/query/?$", re.IGNORECASE)
_COST_FORECAST = re.compile(r"/providers/microsoft\.costmanagement/forecast/?$", re.IGNORECASE)
_ENTRA_ROUTES = [
    ("GET", re.compile(r"^/(?P<tenant>[^/]+)(/v2\.0)?/\.well-known/openid-configuration$")),
    ("GET", re.compile(r"^/common/discovery/instance$")),
    ("GET", re.compile(r"^/(?P<tenant>[^/]+)/discovery(/v2\.0)?/keys$")),
    ("POST", re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")),
]
_FAULT_CODES = {
    400: ("BadRequest", "The request is invalid."),
    401: ("AuthenticationFailed", "Authentication failed."),
    403: ("AuthorizationFailed", "The client does not have authorization to perform action."),
    404: ("ResourceNotFound", "The resource was not found."),
    409: ("Conflict", "The request conflicts with the current state of the resource."),
    429: (
        "TooManyRequests",
        "The request is being throttled as the limit has been reached for operation type - "
        "Write_ObservationWindow_1Minutes.",
    ),
    500: ("InternalServerError", "An internal server error occurred."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
}


class AzureEmulator(EmulatorBase):
    """All tenants, service principals and subscriptions, plus the ASGI ``app`` serving them."""

    def __init__(
        self,
        durations: Mapping[str, float] | None = None,
        *,
        token_lifetime: float = 3600,
        tls: TlsFiles | None = None,
        billing_speed: float = 1.0,
    ) -> None:
        super().__init__(
            DEFAULT_DURATIONS,
            durations,
            token_lifetime=token_lifetime,
            billing_speed=billing_speed,
        )
        self.tls = tls
        self.tenants: dict[str, Tenant] = {}
        self.clients: dict[str, ServicePrincipal] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.operations: dict[str, JSON] = {}
        self.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.signing_key_id = secrets.token_urlsafe(20)
        self.kinds: dict[str, ResourceKind] = {k.key: k for k in [*_aks.KINDS, *_network.KINDS]}
        a = "/_emulator"
        admin = self.admin_router
        admin.add(["POST"], f"{a}/accounts", self._admin_account)
        admin.add(["POST", "DELETE"], f"{a}/accounts/{{client_id}}/secrets", self._admin_secrets)
        admin.add(["GET"], f"{a}/ca.pem", self._admin_ca)
        admin.add(["GET", "PATCH", "DELETE"], f"{a}/resource/{{path:path}}", self._admin_resource)
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=_ALL_METHODS)])

    # lookups

    def find_tenant(self, tenant: str) -> Tenant | None:
        lowered = tenant.lower()
        for candidate in self.tenants.values():
            if lowered in (candidate.tenant_id, candidate.domain):
                return candidate
        return None

    def subscription_of(self, resource_id: str) -> Subscription:
        parts = resource_id.split("/")
        return self.subscriptions[parts[2].lower()]

    def find_resource(self, resource_id: str) -> JSON | None:
        parts = resource_id.split("/")
        if len(parts) < 3 or parts[1].lower() != "subscriptions":
            return None
        sub = self.subscriptions.get(parts[2].lower())
        return sub.resources.get(resource_id.lower()) if sub else None

    # request handling

    async def _handle(self, request: Request) -> Response:
        path = request.url.path
        if path.startswith("/_emulator/"):
            return await self.handle_admin(request)
        is_arm = path.lower().startswith("/subscriptions")
        try:
            self.scheduler.run_due()
            fault = self.faults.take(request.method, path)
            if fault is not None and fault.hang_seconds and await hang(request, fault.hang_seconds):
                return Response(status_code=CLIENT_GONE)
            if fault is not None and fault.status and not fault.operation_error:
                response = self._fault_response(fault, is_arm)
            elif path.lower().rstrip("/") == "/api/retail/prices":
                response = await _retail.prices(request)
            elif is_arm and _COST_QUERY.search(path):
                response = await _cost.query(self, request, [s for s in path.split("/") if s])
            elif is_arm and _COST_FORECAST.search(path):
                response = await _cost.forecast(self, request, [s for s in path.split("/") if s])
            elif is_arm:
                response = await self._arm(request, fault)
            else:
                response = await self._entra(request)
        except ArmError as exc:
            response = exc.response()
        except ClientDisconnect:
            response = Response(status_code=CLIENT_GONE)
        if is_arm:
            request_id = str(uuid.uuid4())
            response.headers["x-ms-request-id"] = request_id
            response.headers["x-ms-correlation-request-id"] = request.headers.get(
                "x-ms-client-request-id", request_id
            )
            response.headers["x-ms-ratelimit-remaining-subscription-reads"] = "11999"
        self.ledger.observe_safely(self.meters)
        self.log.record(request.method, path, request.url.query, response.status_code)
        return response

    def meters(self) -> list[Meter]:
        return _cost.meters(self)

    def _fault_response(self, fault: Fault, is_arm: bool) -> Response:
        assert fault.status is not None
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        code, message = _FAULT_CODES.get(fault.status, ("InternalServerError", "Injected fault."))
        if not is_arm:
            return JSONResponse(
                {
                    "error": fault.code or "temporarily_unavailable",
                    "error_description": fault.message or message,
                },
                status_code=fault.status,
                headers=headers,
            )
        return ArmError(
            fault.status, fault.code or code, fault.message or message, headers=headers
        ).response()

    async def _entra(self, request: Request) -> Response:
        path = request.url.path
        for method, pattern in _ENTRA_ROUTES:
            found = pattern.match(path)
            if found is None or method != request.method:
                continue
            tenant = found.groupdict().get("tenant") or "common"
            if path.endswith("/openid-configuration"):
                return await _entra.openid_configuration(self, request, tenant)
            if path.endswith("/discovery/instance"):
                return await _entra.instance_discovery(self, request)
            if path.endswith("/keys"):
                return await _entra.jwks(self, request)
            return await _entra.token(self, request, tenant)
        return JSONResponse(
            {"error": "invalid_request", "error_description": f"No endpoint at {path}."},
            status_code=404,
        )

    async def _arm(self, request: Request, fault: Fault | None) -> Response:
        api_version = request.query_params.get("api-version")
        if not api_version:
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if not API_VERSION_RE.match(api_version):
            raise ArmError(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{api_version}' is invalid. The supported versions are "
                "'2025-04-01,2024-11-01,2024-07-01'.",
            )
        principal = authenticate(self, request)
        body: JSON = {}
        if request.method in ("PUT", "PATCH", "POST"):
            raw = await request.body()
            if raw.strip():
                try:
                    parsed = json.loads(raw)
                except ValueError as exc:
                    raise ArmError(
                        400, "InvalidRequestContent", f"The request content was invalid: {exc}"
                    ) from exc
                if not isinstance(parsed, dict):
                    raise ArmError(400, "InvalidRequestContent", "The request content was invalid.")
                body = parsed
        call = Call(self, request, body, principal, fault)
        segs = request.url.path.strip("/").split("/")
        low = [s.lower() for s in segs]
        method = request.method
        if len(segs) == 1:
            subs = [
                render_subscription(self.subscriptions[s.lower()])
                for s in sorted(self.clients[principal.client_id].subscriptions)
            ]
            return json_response({"value": subs, "count": {"type": "Total", "value": len(subs)}})
        call.subscription = authorize_subscription(
            self, request, principal, segs[1], self._action(low, method)
        )
        n = len(segs)
        if n == 2 and method == "GET":
            return json_response(render_subscription(call.sub))
        if n >= 3 and low[2] == "resourcegroups":
            return await self._group_scope(call, segs, low)
        if n == 4 and low[2] == "operationresults" and method == "GET":
            return operation_result(call, segs[3])
        if n >= 4 and low[2] == "providers":
            if n == 4 and method == "GET":
                return json_response(
                    {
                        "id": f"/subscriptions/{call.sub.subscription_id}/providers/{segs[3]}",
                        "namespace": segs[3],
                        "registrationState": "Registered",
                    }
                )
            if n == 8 and low[4] == "locations" and method == "GET":
                if low[6] == "operations":
                    return async_operation_status(call, segs[7])
                if low[6] == "operationresults":
                    return operation_result(call, segs[7])
            if (
                n == 7
                and method == "GET"
                and low[3] == _aks.NAMESPACE.lower()
                and low[4] == "locations"
                and low[6] == "kubernetesversions"
            ):
                return _aks.kubernetes_versions(call, segs[5])
            if n == 5 and method == "GET":
                kind = self._kind(f"{segs[3]}/{segs[4]}", api_version)
                items = [
                    kind.render(self, r)
                    for r in call.sub.resources.values()
                    if r["_kind"] == kind.key
                ]
                return list_value(items)
        raise self._no_route(request)

    @staticmethod
    def _action(low: list[str], method: str) -> str:
        verb = {"GET": "read", "HEAD": "read", "DELETE": "delete"}.get(method, "write")
        if len(low) >= 7 and low[4] == "providers":
            parts = [low[5], *low[6::2]]
            return f"{'/'.join(parts)}/{verb}"
        if len(low) >= 4 and low[2] == "resourcegroups":
            return f"Microsoft.Resources/subscriptions/resourceGroups/{verb}"
        return f"Microsoft.Resources/subscriptions/{verb}"

    def _kind(self, arm_type: str, api_version: str) -> ResourceKind:
        kind = self.kinds.get(arm_type.lower())
        if kind is None:
            namespace, _, type_name = arm_type.partition("/")
            raise ArmError(
                400,
                "InvalidResourceType",
                f"The resource type '{type_name}' could not be found in the namespace "
                f"'{namespace}' for api version '{api_version}'.",
            )
        return kind

    @staticmethod
    def _no_route(request: Request) -> ArmError:
        return ArmError(
            404,
            "NotFound",
            f"The requested resource does not support http method '{request.method}' at "
            f"'{request.url.path}'.",
        )

    async def _group_scope(self, call: Call, segs: list[str], low: list[str]) -> Response:
        method = call.request.method
        sub = call.sub
        n = len(segs)
        if n == 3 and method == "GET":
            return list_value(sorted(sub.groups.values(), key=lambda g: g["name"].lower()))
        if n == 4:
            name = segs[3]
            if method == "PUT":
                return await put_group(call, name)
            if method == "GET":
                return json_response(get_group(sub, name))
            if method == "HEAD":
                return Response(status_code=204 if name.lower() in sub.groups else 404)
            if method == "PATCH":
                return await patch_group(call, name)
            if method == "DELETE":
                return await delete_group(call, name)
        if n < 7 or low[4] != "providers":
            raise self._no_route(call.request)
        group = get_group(sub, segs[3])
        kind = self._kind(f"{segs[5]}/{segs[6]}", call.api_version)
        if n == 7 and method == "GET":
            items = [
                kind.render(self, r)
                for r in sub.resources.values()
                if r["_kind"] == kind.key and r["_group"] == group["name"].lower()
            ]
            return list_value(items)
        ref = Ref(sub, group, kind, segs[7], None)
        if n == 8:
            return await self._resource_verb(call, ref)
        parent = ref.existing
        if n == 9 and method == "POST":
            if parent is None:
                raise kind.not_found(ref)
            action = getattr(kind, "action", None)
            if action is None:
                raise self._no_route(call.request)
            response: Response = await action(call, ref, segs[8])
            return response
        child_kind = self._kind(f"{kind.arm_type}/{segs[8]}", call.api_version)
        if parent is None:
            raise kind.not_found(ref)
        if n == 9 and method == "GET":
            prefix = f"{ref.key}/{low[8]}/"
            items = [
                child_kind.render(self, r)
                for key, r in sub.resources.items()
                if key.startswith(prefix) and "/" not in key[len(prefix) :]
            ]
            return list_value(items)
        if n == 10:
            return await self._resource_verb(call, Ref(sub, group, child_kind, segs[9], parent))
        raise self._no_route(call.request)

    async def _resource_verb(self, call: Call, ref: Ref) -> Response:
        method = call.request.method
        if method == "GET":
            existing = ref.existing
            if existing is None:
                raise ref.kind.not_found(ref)
            return json_response(ref.kind.render(self, existing))
        if method == "PUT":
            return await ref.kind.put(call, ref)
        if method == "PATCH":
            return await ref.kind.patch(call, ref)
        if method == "DELETE":
            return await ref.kind.delete(call, ref)
        raise self._no_route(call.request)

    # admin API

    async def _admin_account(
        self, request: Request, params: dict[str, str], body: JSON
    ) -> Response:
        tenant_id = str(body.get("tenant_id") or guid()).lower()
        tenant = self.tenants.setdefault(
            tenant_id, Tenant(tenant_id, f"tenant{tenant_id[:8]}.onmicrosoft.com")
        )
        sub_id = str(body.get("subscription_id") or guid()).lower()
        sub = self.subscriptions.get(sub_id)
        if sub is None:
            sub = Subscription(
                sub_id, tenant.tenant_id, str(body.get("subscription_name") or "SkyClust Dev")
            )
            self.subscriptions[sub_id] = sub
        elif sub.tenant_id != tenant.tenant_id:
            raise AdminProblem(409, f"subscription {sub_id} belongs to another tenant")
        client_id = str(body.get("client_id") or guid()).lower()
        client = self.clients.get(client_id)
        if client is None:
            client = ServicePrincipal(client_id, tenant.tenant_id, guid())
            self.clients[client_id] = client
        elif client.tenant_id != tenant.tenant_id:
            raise AdminProblem(409, f"client {client_id} belongs to another tenant")
        secret = str(body.get("client_secret") or secrets.token_urlsafe(30))
        if secret not in client.secrets:
            client.secrets.append(secret)
        client.subscriptions.add(sub_id)
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "tenant_id": tenant.tenant_id,
                "tenant_domain": tenant.domain,
                "client_id": client.client_id,
                "client_secret": secret,
                "object_id": client.object_id,
                "subscription_id": sub.subscription_id,
                "authority": base,
                "resource_manager_url": base,
                "credential_scope": "https://management.azure.com/.default",
                "ca_bundle": str(self.tls.ca_path) if self.tls else None,
            },
            status_code=201,
        )

    async def _admin_secrets(
        self, request: Request, params: dict[str, str], body: JSON
    ) -> Response:
        client = self.clients.get(params["client_id"].lower())
        if client is None:
            raise AdminProblem(404, "unknown client")
        if request.method == "DELETE":
            secret = str(body.get("client_secret", ""))
            if secret not in client.secrets:
                raise AdminProblem(404, "unknown secret")
            client.secrets.remove(secret)
            return Response(status_code=204)
        secret = secrets.token_urlsafe(30)
        client.secrets.append(secret)
        return JSONResponse({"client_secret": secret}, status_code=201)

    async def _admin_ca(self, request: Request, params: dict[str, str], body: JSON) -> Response:
        if self.tls is None:
            raise AdminProblem(404, "not serving TLS material from this process")
        return Response(self.tls.ca_path.read_bytes(), media_type="application/x-pem-file")

    async def _admin_resource(
        self, request: Request, params: dict[str, str], body: JSON
    ) -> Response:
        resource_id = "/" + params["path"].strip("/")
        parts = resource_id.split("/")
        sub = self.subscriptions.get(parts[2].lower()) if len(parts) > 2 else None
        if sub is None:
            raise AdminProblem(404, "unknown subscription")
        if len(parts) == 5 and parts[3].lower() == "resourcegroups":
            group = sub.groups.get(parts[4].lower())
            if group is None:
                raise AdminProblem(404, "unknown resource group")
            return self._admin_apply(request, body, group, lambda: self._drop_group(sub, group))
        resource = sub.resources.get(resource_id.lower())
        if resource is None:
            raise AdminProblem(404, "unknown resource")
        kind = self.kinds[resource["_kind"]]
        return self._admin_apply(
            request,
            body,
            resource,
            lambda: self._drop_resource(sub, resource),
            lambda: kind.render(self, resource),
        )

    def _admin_apply(
        self,
        request: Request,
        body: JSON,
        target: JSON,
        delete: Callable[[], None],
        render: Callable[[], JSON] | None = None,
    ) -> Response:
        if request.method == "DELETE":
            delete()
            return Response(status_code=204)
        if request.method == "PATCH":
            merged = merge_patch(target, body)
            target.clear()
            target.update(merged)
        return JSONResponse(public(render() if render else target))

    def _drop_resource(self, sub: Subscription, resource: JSON) -> None:
        prefix = resource["id"].lower()
        for key, other in list(sub.resources.items()):
            if key == prefix or key.startswith(prefix + "/"):
                cancel_operation(self, other)
                del sub.resources[key]

    def _drop_group(self, sub: Subscription, group: JSON) -> None:
        lower = group["name"].lower()
        for key, other in list(sub.resources.items()):
            if other["_group"] == lower:
                cancel_operation(self, other)
                del sub.resources[key]
        sub.groups.pop(lower, None)

    def reset(self, *, keep_accounts: bool = False) -> None:
        super().reset(keep_accounts=keep_accounts)
        self.operations.clear()
        if keep_accounts:
            for sub in self.subscriptions.values():
                sub.groups.clear()
                sub.resources.clear()
        else:
            self.tenants.clear()
            self.clients.clear()
            self.subscriptions.clear()

    def resources(self) -> list[JSON]:
        out: list[JSON] = []
        for sub in self.subscriptions.values():
            for group in sorted(sub.groups.values(), key=lambda g: g["id"].lower()):
                out.append(
                    {
                        "type": group["type"],
                        "id": group["id"],
                        "provisioningState": group["properties"]["provisioningState"],
                    }
                )
            for resource in sorted(sub.resources.values(), key=lambda r: r["id"].lower()):
                out.append(
                    {
                        "type": self.kinds[resource["_kind"]].arm_type,
                        "id": resource["id"],
                        "provisioningState": resource["properties"].get("provisioningState"),
                    }
                )
        return out


__all__ = ["DEFAULT_DURATIONS", "AzureEmulator"]
