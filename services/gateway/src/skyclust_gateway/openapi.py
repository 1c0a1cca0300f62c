"""The OpenAPI document as a contract, and Swagger UI served from this gateway.

The routes answer with the envelope built by hand (`ok(...)`, fast, unvalidated), so
FastAPI alone documents every success as `{}`. Here each operation's success is given
its real schema, `Envelope[T]`, where `T` is the reply model generated from the
operation's contract (`skyclust_common.messages.rpc`, itself generated from
`contracts/rpc/*.json` and checked by `gen_messages --check`): one source of truth. The
tests fail when an operation has no typed answer, when a reply here and its contract
differ, when a body has no example or an example does not fit its body, and when
docs/openapi.json is not this document.

Also: short stable operationIds (the endpoint's name), the bearer token and API key
security schemes, `servers`, the event stream as `text/event-stream`, and the headers
of Idempotency-Key, ETag and 202 answers.

Swagger UI's assets come from the `swagger-ui-bundle-v2` package and are served under
`/docs/assets/`: nothing is fetched from a CDN (air-gapped clusters work)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from skyclust_common.messages import rpc

from .envelope import ErrorBody

TITLE = "SkyClust API"
REF = "#/components/schemas/{model}"


T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    """A success: `data` is the answer."""

    success: Literal[True]
    data: T
    error: ErrorBody | None = None
    message: str | None = None
    request_id: str
    timestamp: datetime


class ApiKeyMe(BaseModel):
    actor_type: Literal["api_key"]
    api_key_id: str
    workspace_id: str
    role: str


class CredentialDeleted(BaseModel):
    id: str
    deleted: Literal[True]


class AsyncApiDocument(BaseModel):
    """The AsyncAPI 3.0 document of the public NATS subjects; its own schema is AsyncAPI's."""

    model_config = ConfigDict(extra="allow")
    asyncapi: str
    info: dict[str, Any]
    channels: dict[str, Any]
    operations: dict[str, Any]


class UnreadCount(BaseModel):
    unread_count: int


class BudgetCheck(BaseModel):
    """The guardrail's verdict on a would-be cluster (`CheckBudgetGuardrail`'s findings,
    warnings and estimate); `refuse`: an enforce budget would pass 100%."""

    verdict: Literal["allow", "warn", "refuse"]
    can_override: bool
    estimate: dict[str, Any]
    findings: list[rpc.CheckBudgetGuardrailReplyFinding]
    warnings: list[rpc.CheckBudgetGuardrailReplyWarning]


def reply(name: str) -> Any:
    model: Any = getattr(rpc, name).Reply
    return model


def items(name: str) -> Any:
    """The type of a list reply's `items` (as `list[...]`)."""
    annotation = reply(name).__annotations__["items"]
    return eval(annotation, vars(rpc)) if isinstance(annotation, str) else annotation


@dataclass(frozen=True)
class Answer:
    """What an operation answers on success: `data` of the envelope (or the bare
    document, `enveloped=False`); `contract` names the rpc whose reply it is, checked
    against contracts/ by the tests."""

    data: Any
    contract: str | None = None
    part: Literal["reply", "items"] = "reply"
    enveloped: bool = True


def _r(name: str) -> Answer:
    return Answer(reply(name), name)


def _i(name: str) -> Answer:
    return Answer(items(name), name, "items")


# operationId -> its success answer. A new route needs a line here (a test says so).
ANSWERS: dict[str, Answer] = {
    # account and sessions
    "register": _r("RegisterUser"),
    "login": _r("Login"),
    "complete_mfa_login": _r("CompleteMfaLogin"),
    "refresh": _r("RefreshTokens"),
    "logout": _r("Logout"),
    "switch_workspace": _r("SwitchWorkspace"),
    "me": Answer(reply("GetMe") | ApiKeyMe, "GetMe"),
    "jwks": Answer(reply("GetJwks"), "GetJwks", enveloped=False),
    # The AsyncAPI 3.0 document of the public NATS subjects (docs/nats-api.md).
    "asyncapi": Answer(AsyncApiDocument, enveloped=False),
    "verify_email": _r("VerifyEmail"),
    "resend_verification": _r("ResendVerification"),
    "request_password_reset": _r("RequestPasswordReset"),
    "complete_password_reset": _r("CompletePasswordReset"),
    "request_email_change": _r("RequestEmailChange"),
    "start_mfa_enrolment": _r("StartMfaEnrolment"),
    "confirm_mfa_enrolment": _r("ConfirmMfaEnrolment"),
    "disable_mfa": _r("DisableMfa"),
    "confirm_oidc_link": _r("ConfirmOidcLink"),
    "oidc_providers": _r("ListOidcProviders"),
    "stream_ticket": _r("IssueStreamTicket"),
    # workspaces, members, keys, audit
    "list_workspaces": _i("ListWorkspaces"),
    "create_workspace": _r("CreateWorkspace"),
    "get_workspace": _r("GetWorkspace"),
    "update_workspace": _r("UpdateWorkspace"),
    "set_mfa_policy": _r("SetWorkspaceMfaPolicy"),
    "list_members": _i("ListMembers"),
    "add_member": _r("AddMember"),
    "update_member": _r("UpdateMember"),
    "remove_member": _r("RemoveMember"),
    "create_api_key": _r("CreateApiKey"),
    "list_api_keys": _i("ListApiKeys"),
    "revoke_api_key": _r("RevokeApiKey"),
    "list_audit_logs": _r("ListAuditLogs"),
    # credentials
    "create_credential": _r("CreateCredential"),
    "list_credentials": _i("ListCredentials"),
    "get_credential": _r("GetCredential"),
    "rotate_credential": _r("RotateCredential"),
    "validate_credential": _r("ValidateCredential"),
    "delete_credential": Answer(CredentialDeleted),
    # clusters and node groups
    "create_cluster": _r("CreateCluster"),
    "list_clusters": _i("ListClusters"),
    "list_all_clusters": _i("ListClusters"),
    "discover_clusters": _i("DiscoverClusters"),
    "import_cluster": _r("ImportCluster"),
    "get_cluster": _r("GetCluster"),
    "upgrade_cluster": _r("UpgradeCluster"),
    "delete_cluster": _r("DeleteCluster"),
    "reconcile_cluster": _r("ReconcileCluster"),
    "promote_cluster": _r("PromoteCluster"),
    "forget_cluster": _r("ForgetCluster"),
    "get_cluster_token": _r("GetClusterToken"),
    "create_node_group": _r("CreateNodeGroup"),
    "list_node_groups": _i("ListNodeGroups"),
    "get_node_group": _r("GetNodeGroup"),
    "update_node_group": _r("UpdateNodeGroup"),
    "delete_node_group": _r("DeleteNodeGroup"),
    # networks
    "create_vpc": _r("CreateVpc"),
    "list_vpcs": _i("ListVpcs"),
    "discover_vpcs": _i("DiscoverNetworks"),
    "get_vpc": _r("GetVpc"),
    "update_vpc": _r("UpdateVpc"),
    "delete_vpc": _r("DeleteVpc"),
    "adopt_vpc": _r("AdoptVpc"),
    "create_subnet": _r("CreateSubnet"),
    "list_subnets": _i("ListSubnets"),
    "get_subnet": _r("GetSubnet"),
    "update_subnet": _r("UpdateSubnet"),
    "delete_subnet": _r("DeleteSubnet"),
    "create_security_group": _r("CreateSecurityGroup"),
    "list_security_groups": _i("ListSecurityGroups"),
    "get_security_group": _r("GetSecurityGroup"),
    "update_security_group": _r("UpdateSecurityGroup"),
    "delete_security_group": _r("DeleteSecurityGroup"),
    "suggest_cidr": _r("SuggestCidr"),
    "check_cidr_plan": _r("CheckCidrPlan"),
    # costs and budgets
    "cost_summary": _r("GetCostSummary"),
    "cost_breakdown": _r("GetCostBreakdown"),
    "cost_trend": _r("GetCostTrend"),
    "cost_comparison": _r("GetCostComparison"),
    "collect_costs": _r("CollectCosts"),
    "cost_forecast": _r("GetCostForecast"),
    "cost_estimate": _r("EstimateClusterCost"),
    "budget_check": Answer(BudgetCheck),
    "create_budget": _r("CreateBudget"),
    "list_budgets": _r("ListBudgets"),
    "get_budget": _r("GetBudget"),
    "update_budget": _r("UpdateBudget"),
    "delete_budget": _r("DeleteBudget"),
    # notifications
    "list_notifications": _r("ListNotifications"),
    "unread_count": Answer(UnreadCount),
    "mark_all_read": _r("MarkAllNotificationsRead"),
    "mark_read": _r("MarkNotificationRead"),
    "create_channel": _r("CreateNotificationChannel"),
    "list_channels": _r("ListNotificationChannels"),
    "get_channel": _r("GetNotificationChannel"),
    "update_channel": _r("UpdateNotificationChannel"),
    "delete_channel": _r("DeleteNotificationChannel"),
    "rotate_secret": _r("RotateNotificationChannelSecret"),
    "test_channel": _r("TestNotificationChannel"),
    "list_deliveries": _r("ListWebhookDeliveries"),
    "retry_delivery": _r("RetryWebhookDelivery"),
    "create_rule": _r("CreateNotificationRule"),
    "list_rules": _r("ListNotificationRules"),
    "get_rule": _r("GetNotificationRule"),
    "update_rule": _r("UpdateNotificationRule"),
    "delete_rule": _r("DeleteNotificationRule"),
    "get_mutes": _r("GetNotificationMutes"),
    "set_mutes": _r("SetNotificationMutes"),
}
# The channels' deprecated alias (`/api/v1/notification-channels`, routers/
# notification_channels.py) answers what its successor answers.
_CHANNEL_OPS = ("create_channel", "list_channels", "get_channel", "update_channel",
                "delete_channel", "rotate_secret", "test_channel", "list_deliveries",
                "retry_delivery")  # fmt: skip
ANSWERS.update({f"legacy_{op}": ANSWERS[op] for op in _CHANNEL_OPS})
# Operations whose success is no JSON: a redirect, a YAML document, the event stream.
NOT_JSON = {"oidc_login", "oidc_callback", "get_kubeconfig", "stream"}
# Endpoint names that more than one route has, and the operationId of each.
RENAMED = {
    ("GET", "/api/v1/auth/oidc/{provider}/login"): "oidc_login",
    ("GET", "/api/v1/auth/oidc/providers"): "oidc_providers",
}

_CLUSTER = "00000000-0000-4000-8000-000000000001"
_CREDENTIAL = "00000000-0000-4000-8000-000000000002"
_VPC = "00000000-0000-4000-8000-000000000003"
_PASSWORD = "correct-horse-9"
_TOKEN = "Qm9vdHN0cmFwLXRva2VuLWV4YW1wbGUtMDEyMzQ1Njc4OQ"  # what a link's token looks like
_NODE_GROUP = {"name": "general", "instance_type": "m5.large", "min_size": 1, "max_size": 5,
               "desired_size": 2}  # fmt: skip
# body schema name -> an example of it (a test checks each fits its model).
EXAMPLES: dict[str, dict[str, Any]] = {
    "RegisterBody": {
        "email": "ada@example.com",
        "password": _PASSWORD,
        "name": "Ada",
        "workspace_name": "platform",
    },
    "LoginBody": {"email": "ada@example.com", "password": _PASSWORD},
    "MfaLoginBody": {"mfa_token": _TOKEN, "code": "123456"},
    "RefreshBody": {"refresh_token": _TOKEN},
    "SwitchWorkspaceBody": {"workspace_id": _CLUSTER},
    "TokenBody": {"token": _TOKEN},
    "ResetRequestBody": {"email": "ada@example.com"},
    "ResetBody": {"token": _TOKEN, "password": "another-horse-7"},
    "EmailChangeBody": {"email": "ada@example.org", "password": _PASSWORD, "code": "123456"},
    "CodeBody": {"code": "123456"},
    "SecondFactorBody": {"code": "123456"},
    "LinkBody": {"link_token": _TOKEN},
    "WorkspaceBody": {"name": "platform"},
    "MfaPolicyBody": {"require_mfa": True},
    "MemberBody": {"email": "grace@example.com", "role": "user"},
    "MemberUpdateBody": {"role": "viewer"},
    "ApiKeyBody": {"name": "ci", "role": "user", "expires_at": "2027-01-01T00:00:00Z"},
    "CredentialBody": {
        "provider": "aws",
        "name": "prod",
        "data": {
            "access_key_id": "AKIAIOSFODNN7EXAMPLE",
            "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        },
    },
    "RotateBody": {
        "data": {
            "access_key_id": "AKIAI44QH8DHBEXAMPLE",
            "secret_access_key": "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        }
    },
    "ClusterBody": {
        "credential_id": _CREDENTIAL,
        "name": "web",
        "version": "1.31",
        "region": "us-east-1",
        "tags": {"team": "web"},
        "node_groups": [_NODE_GROUP],
    },
    "UpgradeBody": {"version": "1.32"},
    "ImportBody": {"credential_id": _CREDENTIAL, "region": "us-east-1", "name": "legacy"},
    "NewNodeGroupBody": {**_NODE_GROUP, "labels": {"role": "general"}},
    "EstimateBody": {
        "provider": "aws",
        "region": "us-east-1",
        "version": "1.31",
        "node_groups": [_NODE_GROUP],
    },
    "NodeGroupUpdateBody": {"desired_size": 3},
    "VpcBody": {
        "credential_id": _CREDENTIAL,
        "name": "prod",
        "region": "us-east-1",
        "prefix_length": 16,
        "tags": {"env": "prod"},
    },
    "TagsBody": {"tags": {"env": "prod"}},
    "DiscoverBody": {"credential_id": _CREDENTIAL, "region": "us-east-1"},
    "SubnetBody": {
        "vpc_id": _VPC,
        "name": "private-a",
        "cidr_block": "10.0.1.0/24",
        "availability_zone": "us-east-1a",
    },
    "SecurityGroupBody": {
        "vpc_id": _VPC,
        "name": "web",
        "description": "HTTPS in",
        "rules": [
            {
                "direction": "ingress",
                "protocol": "tcp",
                "cidr": "0.0.0.0/0",
                "from_port": 443,
                "to_port": 443,
            }
        ],
    },
    "SecurityGroupChange": {
        "rules": [
            {
                "direction": "ingress",
                "protocol": "tcp",
                "cidr": "10.0.0.0/8",
                "from_port": 22,
                "to_port": 22,
            }
        ]
    },
    "CidrPlanBody": {
        "vpcs": [
            {
                "name": "prod",
                "provider": "aws",
                "region": "us-east-1",
                "cidr_block": "10.1.0.0/16",
                "subnets": [{"name": "a", "cidr_block": "10.1.0.0/24"}],
            }
        ]
    },
    "BudgetBody": {
        "name": "monthly",
        "amount": "5000",
        "currency": "USD",
        "period": "monthly",
        "thresholds": ["50", "80", "100"],
    },
    "ChannelBody": {
        "name": "ops",
        "url": "https://hooks.example.com/skyclust",
        "event_types": ["ClusterReady", "ClusterFailed"],
    },
    "ChannelPatch": {"enabled": False},
    "NotificationRuleBody": {
        "name": "cluster outcomes to ops",
        "event_types": ["ClusterReady", "ClusterFailed"],
        "tags": {"env": "prod"},
        "channel_ids": [_CLUSTER],
        "in_app_roles": ["user"],
    },
    "NotificationRulePatch": {"min_severity": "critical"},
    "MutesBody": {"event_types": ["ClusterReady"]},
}

SECURITY_SCHEMES = {
    "bearerToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from POST /api/v1/auth/login (15 minutes).",
    },
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "sk_…",
        "description": "An API key (POST /api/v1/api-keys), sent as `Authorization: Bearer sk_…`.",
    },
}

_HEADERS = {
    "Location": {"description": "the resource to poll", "schema": {"type": "string"}},
    "Retry-After": {"description": "seconds before polling", "schema": {"type": "integer"}},
    "ETag": {"description": "the resource's version, for If-Match", "schema": {"type": "string"}},
    "X-Next-Cursor": {"description": "the next page's cursor", "schema": {"type": "string"}},
    "Link": {"description": 'the next page, rel="next"', "schema": {"type": "string"}},
}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "retry safely: the same key and body get the first answer again",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}
_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "the ETag you read: 412 PRECONDITION_FAILED if it changed since",
    "schema": {"type": "string", "maxLength": 512},
}
_412 = {
    "description": "If-Match names another version (a lost update)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}},
}


def operation_id(route: APIRoute) -> str:
    """The endpoint's name: short, stable while the endpoint keeps it."""
    for method in route.methods or ():
        renamed = RENAMED.get((method, route.path))
        if renamed:
            return renamed
    return route.name


def install(app: FastAPI, servers: list[dict[str, str]]) -> None:
    """Serve `/openapi.json` refined as above and Swagger UI from local assets."""
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/docs/assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    page = _DOCS_PAGE.format(title=html.escape(TITLE))

    async def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    app.router.add_route("/docs", docs, methods=["GET"], include_in_schema=False)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = FastAPI.openapi(app)
            refine(spec, app, servers)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def refine(spec: dict[str, Any], app: FastAPI, servers: list[dict[str, str]]) -> None:
    from .permission_docs import PUBLIC, route_table  # it imports the app

    spec["servers"] = servers
    components = spec.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    schemas = components.setdefault("schemas", {})
    wanted = [(_generic(Envelope)[a.data] if a.enveloped else a.data) for a in ANSWERS.values()]
    refs, definitions = models_json_schema(
        [(_as_model(m), "serialization") for m in wanted], ref_template=REF
    )
    for name, schema in definitions.get("$defs", {}).items():
        schemas.setdefault(name, schema)
    by_answer = {
        op: refs[(_as_model(model), "serialization")]
        for op, model in zip(ANSWERS, wanted, strict=True)
    }
    public = {(m, p) for m, p, declared in route_table(app) if declared == PUBLIC}
    queries = _query_parameters(app)
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            operation.setdefault("parameters", []).extend(queries.get((method.upper(), path), []))
            _refine_operation(method.upper(), path, operation, by_answer, public)


def _query_parameters(app: FastAPI) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The query parameters that routes read through a `QueryReader`, which FastAPI
    does not see."""
    from .paging import QueryReader

    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for route in routes_of(app):
        stack = list(route.dependant.dependencies)
        while stack:
            dependant = stack.pop()
            if isinstance(dependant.call, QueryReader):
                for method in route.methods or ():
                    found[(method, route.path)] = dependant.call.parameters()
            stack.extend(dependant.dependencies)
    return found


def _as_model(data: Any) -> Any:
    """A model class for `models_json_schema` (a list or union is wrapped as a root)."""
    if isinstance(data, type) and issubclass(data, BaseModel):
        return data
    return _roots.setdefault(repr(data), _root(data))


_roots: dict[str, Any] = {}


def _generic(model: Any) -> Any:
    """A generic model, to be parametrised by a type known only at run time."""
    return model


def _root(data: Any) -> Any:
    from pydantic import RootModel

    return _generic(RootModel)[data]


def _refine_operation(
    method: str,
    path: str,
    operation: dict[str, Any],
    by_answer: dict[str, dict[str, Any]],
    public: set[tuple[str, str]],
) -> None:
    op = operation["operationId"]
    responses = operation["responses"]
    success = next((code for code in responses if code.startswith(("2", "3"))), None)
    if op in by_answer and success is not None:
        responses[success]["content"] = {"application/json": {"schema": by_answer[op]}}
    if op == "stream":
        responses[success or "200"] = {
            "description": "Server-Sent Events: `event:` the message name, `id:` a cursor "
            "for Last-Event-ID, `data:` the CloudEvent",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    if success is not None and not success.startswith("3"):
        headers = responses[success].setdefault("headers", {})
        if success == "202":
            headers["Location"] = _HEADERS["Location"]
            headers["Retry-After"] = _HEADERS["Retry-After"]
        if path.endswith("}") and method in ("GET", "PATCH", "PUT"):
            headers["ETag"] = _HEADERS["ETag"]
        if method == "GET" and op.startswith("list_"):
            headers["X-Next-Cursor"] = _HEADERS["X-Next-Cursor"]
            headers["Link"] = _HEADERS["Link"]
        if not headers:
            del responses[success]["headers"]
    parameters = operation.setdefault("parameters", [])
    if method == "POST":
        parameters.append(_IDEMPOTENCY_KEY)
    if method in ("PATCH", "PUT", "DELETE") and path.endswith("}"):
        parameters.append(_IF_MATCH)
        responses.setdefault("412", _412)
    if not parameters:
        del operation["parameters"]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        name = body["schema"].get("$ref", "").rsplit("/", 1)[-1]
        if name in EXAMPLES:
            body["example"] = EXAMPLES[name]
    if (method, path) not in public:
        operation["security"] = [{"bearerToken": []}, {"apiKey": []}]
    else:
        operation["security"] = []


def routes_of(app: FastAPI) -> list[APIRoute]:
    """Every API route of the app (through its included routers)."""
    found: list[APIRoute] = []
    for included in app.router.routes:
        original = getattr(included, "original_router", None)
        routes: list[BaseRoute] = original.routes if original is not None else [included]
        found.extend(route for route in routes if isinstance(route, APIRoute))
    return found


_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  presets: [SwaggerUIBundle.presets.apis],
}});
</script>
</body>
</html>
"""
