"""The GCP emulator: one ASGI app for OAuth, GKE, Compute, Resource Manager and admin."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .._base import AdminProblem, EmulatorBase
from .._billing import Meter
from .._core import (
    CLIENT_GONE,
    JSON,
    Fault,
    Router,
    hang,
    merge_patch,
    public,
    random_digits,
    rfc3339,
)
from . import _billing as billing
from . import _compute as compute
from . import _container as container
from ._auth import IssuedToken, authenticate, authorize, create_service_account_key, token_endpoint
from ._bigquery import BigQuery
from ._common import Call, GoogleError, Project, ServiceAccountKey, json_response

DEFAULT_DURATIONS: dict[str, float] = {
    "cluster_create": 5.0,
    "cluster_update": 2.0,
    "cluster_delete": 3.0,
    "node_pool_create": 3.0,
    "node_pool_update": 2.0,
    "node_pool_delete": 2.0,
    "compute": 1.0,
}

RESOURCE_MANAGER = "cloudresourcemanager.googleapis.com"
# fault codes that are google.rpc.ErrorInfo reasons, with the legacy errors[].reason
_ERROR_INFO_REASONS = {
    "SERVICE_DISABLED": "accessNotConfigured",
    "IAM_PERMISSION_DENIED": "forbidden",
    "RATE_LIMIT_EXCEEDED": "rateLimitExceeded",
    "BILLING_DISABLED": "accessNotConfigured",
}
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]

ApiHandler = Callable[[Call], Awaitable[Response]]
Endpoint = Callable[..., Awaitable[Response]]


def _service_for(path: str) -> str:
    if path.startswith("/compute/"):
        return compute.SERVICE
    if path.startswith("/bigquery/"):
        return "bigquery.googleapis.com"
    if path.startswith("/v1/services") or path.endswith("/billingInfo"):
        return billing.SERVICE
    if path.startswith(("/v1/projects/", "/v3/projects/")) and path.count("/") <= 3:
        return RESOURCE_MANAGER
    return container.SERVICE


async def _json_body(request: Request) -> JSON:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise GoogleError(400, f"Invalid JSON payload received. {exc}") from exc
    if not isinstance(body, dict):
        raise GoogleError(400, "Invalid JSON payload received. Expected an object.")
    return body


class GcpEmulator(EmulatorBase):
    """All emulator state for any number of projects, plus the ASGI ``app`` serving it."""

    def __init__(
        self,
        durations: Mapping[str, float] | None = None,
        *,
        token_lifetime: float = 3600,
        billing_speed: float = 1.0,
    ) -> None:
        super().__init__(
            DEFAULT_DURATIONS,
            durations,
            token_lifetime=token_lifetime,
            billing_speed=billing_speed,
        )
        self.projects: dict[str, Project] = {}
        self.keys: dict[str, ServiceAccountKey] = {}
        self.service_accounts: dict[str, str] = {}
        self.tokens: dict[str, IssuedToken] = {}
        self._api = Router()
        self._resources = Router()
        self._register_api()
        self.bigquery = BigQuery(self)
        self.bigquery.register(self._api)
        billing.register(self, self._api)
        self._register_admin()
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=_ALL_METHODS)])

    def project(self, project_id: str, *, create: bool = False) -> Project:
        project = self.projects.get(project_id)
        if project is None:
            if not create:
                raise GoogleError(
                    403,
                    f"Permission denied on resource project {project_id}.",
                    info_reason="CONSUMER_INVALID",
                )
            project = Project(project_id, random_digits(12), self.clock.now())
            self.projects[project_id] = project
        return project

    # request handling

    async def _handle(self, request: Request) -> Response:
        path = request.url.path
        if path.startswith("/_emulator/"):
            return await self.handle_admin(request)
        service = _service_for(path)
        try:
            self.scheduler.run_due()
            fault = self.faults.take(request.method, path)
            if fault is not None and fault.hang_seconds and await hang(request, fault.hang_seconds):
                return Response(status_code=CLIENT_GONE)
            if fault is not None and fault.status and not fault.operation_error:
                response = self._fault_response(path, service, fault)
            else:
                response = await self._dispatch(request, service, fault)
        except GoogleError as exc:
            response = exc.response(service)
        except ClientDisconnect:
            response = Response(status_code=CLIENT_GONE)
        self.ledger.observe_safely(self.meters)
        self.log.record(request.method, path, request.url.query, response.status_code)
        return response

    def meters(self) -> list[Meter]:
        return billing.meters(self)

    def _fault_response(self, path: str, service: str, fault: Fault) -> Response:
        assert fault.status is not None
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        if path == "/token":
            return JSONResponse(
                {
                    "error": fault.code or "internal_failure",
                    "error_description": fault.message or "Injected fault.",
                },
                status_code=fault.status,
                headers=headers,
            )
        message = fault.message or {
            429: f"Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' "
            f"of service '{service}'.",
            503: "The service is currently unavailable.",
        }.get(fault.status, "Injected fault.")
        error = GoogleError(fault.status, message, headers=headers)
        if fault.code in _ERROR_INFO_REASONS:
            # an ErrorInfo reason (SERVICE_DISABLED...): the status stays the HTTP one's
            error.info_reason = fault.code
            error.reason = _ERROR_INFO_REASONS[fault.code]
        elif fault.code:
            error.status = fault.code
        return error.response(service)

    async def _dispatch(self, request: Request, service: str, fault: Fault | None) -> Response:
        path = request.url.path
        if path == "/token" and request.method == "POST":
            return await token_endpoint(self, request)
        found = self._api.match(request.method, path)
        if found is None:
            if self._api.knows(path):
                raise GoogleError(405, f"Method {request.method} not allowed for {path}.")
            raise GoogleError(404, f"The requested URL {path} was not found on this server.")
        handler, params = found
        return await handler(request, params, fault)

    def _api_endpoint(self, service: str, permission: str, handler: ApiHandler) -> Endpoint:
        async def endpoint(
            request: Request, params: dict[str, str], fault: Fault | None
        ) -> Response:
            principal = authenticate(self, request)
            authorize(principal, params["project"], service, permission)
            body = await _json_body(request)
            return await handler(Call(self, request, params, body, principal, fault))

        return endpoint

    def _register_api(self) -> None:
        gke = "/v1/projects/{project}/locations/{location}"
        cluster = f"{gke}/clusters/{{cluster}}"
        pool = f"{cluster}/nodePools/{{pool}}"
        c = container.SERVICE
        routes: list[tuple[str, str, str, str, ApiHandler]] = [
            ("GET", f"{gke}/clusters", c, "container.clusters.list", container.list_clusters),
            ("POST", f"{gke}/clusters", c, "container.clusters.create", container.create_cluster),
            ("GET", cluster, c, "container.clusters.get", container.get_cluster),
            ("PUT", cluster, c, "container.clusters.update", container.update_cluster),
            ("POST", cluster, c, "container.clusters.update", container.cluster_action),
            ("DELETE", cluster, c, "container.clusters.delete", container.delete_cluster),
            ("GET", f"{cluster}/nodePools", c, "container.clusters.get", container.list_node_pools),
            (
                "POST",
                f"{cluster}/nodePools",
                c,
                "container.clusters.update",
                container.create_node_pool,
            ),
            ("GET", pool, c, "container.clusters.get", container.get_node_pool),
            ("PUT", pool, c, "container.clusters.update", container.update_node_pool),
            ("POST", pool, c, "container.clusters.update", container.node_pool_action),
            ("DELETE", pool, c, "container.clusters.update", container.delete_node_pool),
            ("GET", f"{gke}/operations", c, "container.operations.list", container.list_operations),
            (
                "GET",
                f"{gke}/operations/{{operation}}",
                c,
                "container.operations.get",
                container.get_operation,
            ),
            (
                "POST",
                f"{gke}/operations/{{operation}}",
                c,
                "container.operations.update",
                container.get_operation,
            ),
            ("GET", f"{gke}/serverConfig", c, "container.clusters.list", container.server_config),
        ]
        cp = "/compute/v1/projects/{project}"
        s = compute.SERVICE
        net = f"{cp}/global/networks"
        sub = f"{cp}/regions/{{region}}/subnetworks"
        fw = f"{cp}/global/firewalls"
        gop = f"{cp}/global/operations"
        rop = f"{cp}/regions/{{region}}/operations"
        zop = f"{cp}/zones/{{zone}}/operations"
        igm = f"{cp}/zones/{{zone}}/instanceGroupManagers"
        routes += [
            ("GET", net, s, "compute.networks.list", compute.list_networks),
            ("POST", net, s, "compute.networks.create", compute.insert_network),
            ("GET", f"{net}/{{network}}", s, "compute.networks.get", compute.get_network),
            ("PATCH", f"{net}/{{network}}", s, "compute.networks.update", compute.patch_network),
            ("DELETE", f"{net}/{{network}}", s, "compute.networks.delete", compute.delete_network),
            ("GET", sub, s, "compute.subnetworks.list", compute.list_subnetworks),
            ("POST", sub, s, "compute.subnetworks.create", compute.insert_subnetwork),
            (
                "GET",
                f"{cp}/aggregated/subnetworks",
                s,
                "compute.subnetworks.list",
                compute.aggregated_subnetworks,
            ),
            ("GET", f"{sub}/{{subnetwork}}", s, "compute.subnetworks.get", compute.get_subnetwork),
            (
                "PATCH",
                f"{sub}/{{subnetwork}}",
                s,
                "compute.subnetworks.update",
                compute.patch_subnetwork,
            ),
            (
                "DELETE",
                f"{sub}/{{subnetwork}}",
                s,
                "compute.subnetworks.delete",
                compute.delete_subnetwork,
            ),
            ("GET", fw, s, "compute.firewalls.list", compute.list_firewalls),
            ("POST", fw, s, "compute.firewalls.create", compute.insert_firewall),
            ("GET", f"{fw}/{{firewall}}", s, "compute.firewalls.get", compute.get_firewall),
            ("PATCH", f"{fw}/{{firewall}}", s, "compute.firewalls.update", compute.patch_firewall),
            ("PUT", f"{fw}/{{firewall}}", s, "compute.firewalls.update", compute.update_firewall),
            (
                "DELETE",
                f"{fw}/{{firewall}}",
                s,
                "compute.firewalls.delete",
                compute.delete_firewall,
            ),
            (
                "GET",
                igm,
                s,
                "compute.instanceGroupManagers.list",
                compute.list_instance_group_managers,
            ),
            (
                "GET",
                f"{igm}/{{igm}}",
                s,
                "compute.instanceGroupManagers.get",
                compute.get_instance_group_manager,
            ),
        ]
        for ops, kind in (
            (gop, "globalOperations"),
            (rop, "regionOperations"),
            (zop, "zoneOperations"),
        ):
            routes += [
                ("GET", ops, s, f"compute.{kind}.list", compute.list_operations),
                ("GET", f"{ops}/{{operation}}", s, f"compute.{kind}.get", compute.get_operation),
                (
                    "POST",
                    f"{ops}/{{operation}}/wait",
                    s,
                    f"compute.{kind}.get",
                    compute.wait_operation,
                ),
                (
                    "DELETE",
                    f"{ops}/{{operation}}",
                    s,
                    f"compute.{kind}.delete",
                    compute.delete_operation,
                ),
            ]
        routes += [
            (
                "GET",
                "/v1/projects/{project}",
                RESOURCE_MANAGER,
                "resourcemanager.projects.get",
                self._project_v1,
            ),
            (
                "GET",
                "/v3/projects/{project}",
                RESOURCE_MANAGER,
                "resourcemanager.projects.get",
                self._project_v3,
            ),
        ]
        for method, template, service, permission, handler in routes:
            self._api.add([method], template, self._api_endpoint(service, permission, handler))

    async def _project_v1(self, call: Call) -> Response:
        project = call.project
        return json_response(
            {
                "projectNumber": project.number,
                "projectId": project.project_id,
                "lifecycleState": "ACTIVE",
                "name": project.project_id,
                "createTime": rfc3339(project.created),
            }
        )

    async def _project_v3(self, call: Call) -> Response:
        project = call.project
        return json_response(
            {
                "name": f"projects/{project.number}",
                "parent": "",
                "projectId": project.project_id,
                "state": "ACTIVE",
                "displayName": project.project_id,
                "createTime": rfc3339(project.created),
                "updateTime": rfc3339(project.created),
                "etag": f'W/"{project.number}"',
            }
        )

    # admin API

    def _register_admin(self) -> None:
        a = "/_emulator"
        admin = self.admin_router
        admin.add(["POST"], f"{a}/projects/{{project}}/serviceAccountKeys", self._admin_key)
        admin.add(["DELETE"], f"{a}/serviceAccountKeys/{{key_id}}", self._admin_revoke_key)
        admin.add(["POST"], f"{a}/tokens/revoke", self._admin_revoke_tokens)
        admin.add(["GET", "PATCH", "DELETE"], f"{a}/resource/{{path:path}}", self._admin_resource)
        gke = "v1/projects/{project}/locations/{location}/clusters/{cluster}"
        cp = "compute/v1/projects/{project}"
        self._resources.add(["*"], gke, self._locate_cluster)
        self._resources.add(["*"], f"{gke}/nodePools/{{pool}}", self._locate_pool)
        self._resources.add(["*"], f"{cp}/global/networks/{{name}}", self._locate_network)
        self._resources.add(["*"], f"{cp}/global/firewalls/{{name}}", self._locate_firewall)
        self._resources.add(
            ["*"], f"{cp}/regions/{{region}}/subnetworks/{{name}}", self._locate_subnetwork
        )

    async def _admin_key(self, request: Request, params: dict[str, str], body: JSON) -> Response:
        account = str(body.get("account") or "skyclust")
        token_uri = str(request.base_url).rstrip("/") + "/token"
        key = create_service_account_key(self, params["project"], account, token_uri)
        return JSONResponse(key, status_code=201)

    async def _admin_revoke_key(
        self, request: Request, params: dict[str, str], body: JSON
    ) -> Response:
        key = self.keys.get(params["key_id"])
        if key is None:
            raise AdminProblem(404, "unknown key")
        key.disabled = True
        self.tokens = {
            t: issued for t, issued in self.tokens.items() if issued.principal.email != key.email
        }
        return Response(status_code=204)

    async def _admin_revoke_tokens(
        self, request: Request, params: dict[str, str], body: JSON
    ) -> Response:
        self.tokens.clear()
        return Response(status_code=204)

    def reset(self, *, keep_accounts: bool = False) -> None:
        super().reset(keep_accounts=keep_accounts)
        self.bigquery.reset()
        if keep_accounts:
            for project_id, project in list(self.projects.items()):
                self.projects[project_id] = Project(project_id, project.number, project.created)
        else:
            self.projects.clear()
            self.keys.clear()
            self.service_accounts.clear()
            self.tokens.clear()

    def resources(self) -> list[JSON]:
        out: list[JSON] = []
        for pid, project in sorted(self.projects.items()):
            for (location, name), cluster in sorted(project.clusters.items()):
                path = f"v1/projects/{pid}/locations/{location}/clusters/{name}"
                out.append({"type": "container.cluster", "path": path, "status": cluster["status"]})
                for pool in cluster["nodePools"]:
                    out.append(
                        {
                            "type": "container.nodePool",
                            "path": f"{path}/nodePools/{pool['name']}",
                            "status": pool["status"],
                            "nodeCount": pool["_nodeCount"],
                        }
                    )
            for name in sorted(project.networks):
                out.append(
                    {
                        "type": "compute.network",
                        "path": f"compute/v1/projects/{pid}/global/networks/{name}",
                    }
                )
            for region, name in sorted(project.subnetworks):
                out.append(
                    {
                        "type": "compute.subnetwork",
                        "path": f"compute/v1/projects/{pid}/regions/{region}/subnetworks/{name}",
                    }
                )
            for name in sorted(project.firewalls):
                out.append(
                    {
                        "type": "compute.firewall",
                        "path": f"compute/v1/projects/{pid}/global/firewalls/{name}",
                    }
                )
        return out

    # "behind the client's back" changes

    async def _admin_resource(
        self, request: Request, params: dict[str, str], body: JSON
    ) -> Response:
        found = self._resources.match("*", params["path"].strip("/"))
        if not found:
            return JSONResponse({"error": "unsupported resource path"}, status_code=404)
        locate, where = found
        try:
            _, patch, delete, render = await locate(**where)
        except GoogleError as exc:
            return JSONResponse({"error": exc.message}, status_code=404)
        if request.method == "PATCH":
            patch(body)
        elif request.method == "DELETE":
            delete()
            return Response(status_code=204)
        return JSONResponse(public(render()))

    def _replace(self, target: JSON, patch: JSON) -> None:
        merged = merge_patch(target, patch)
        target.clear()
        target.update(merged)

    def _cluster(self, project: str, location: str, cluster: str) -> tuple[Project, JSON]:
        proj = self.projects.get(project)
        found = proj.clusters.get((location, cluster)) if proj else None
        if proj is None or found is None:
            raise GoogleError(404, "cluster not found")
        return proj, found

    async def _locate_cluster(self, project: str, location: str, cluster: str) -> Any:
        proj, found = self._cluster(project, location, cluster)

        def patch(body: JSON) -> None:
            self._replace(found, body)
            if "resourceLabels" in body:
                found["labelFingerprint"] = container.label_fingerprint(found["resourceLabels"])

        def delete() -> None:
            del proj.clusters[(location, cluster)]
            for pool in found["nodePools"]:
                for key in pool["_igms"]:
                    proj.instance_group_managers.pop(key, None)

        return found, patch, delete, lambda: container.render_cluster(proj, found)

    async def _locate_pool(self, project: str, location: str, cluster: str, pool: str) -> Any:
        proj, found = self._cluster(project, location, cluster)
        matches = [p for p in found["nodePools"] if p["name"] == pool]
        if not matches:
            raise GoogleError(404, "node pool not found")
        node_pool = matches[0]

        def patch(body: JSON) -> None:
            body = dict(body)
            if "nodeCount" in body:
                container.set_pool_size(proj, node_pool, int(body.pop("nodeCount")))
            self._replace(node_pool, body)

        def delete() -> None:
            found["nodePools"].remove(node_pool)
            for key in node_pool["_igms"]:
                proj.instance_group_managers.pop(key, None)

        return node_pool, patch, delete, lambda: node_pool

    def _simple(self, table: dict[Any, JSON], key: Any) -> Any:
        resource = table.get(key)
        if resource is None:
            raise GoogleError(404, "resource not found")

        def delete() -> None:
            del table[key]

        return resource, lambda body: self._replace(resource, body), delete, lambda: resource

    async def _locate_network(self, project: str, name: str) -> Any:
        return self._simple(self.project(project).networks, name)

    async def _locate_firewall(self, project: str, name: str) -> Any:
        return self._simple(self.project(project).firewalls, name)

    async def _locate_subnetwork(self, project: str, region: str, name: str) -> Any:
        return self._simple(self.project(project).subnetworks, (region, name))


__all__ = ["DEFAULT_DURATIONS", "GcpEmulator", "IssuedToken"]
