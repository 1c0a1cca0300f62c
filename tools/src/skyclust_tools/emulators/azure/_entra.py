"""Microsoft Entra ID: the discovery documents MSAL reads and the client-credentials token grant."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .._core import JSON
from ._common import ARM_AUDIENCES, now_iso

if TYPE_CHECKING:
    from ._app import AzureEmulator

# What a client-credentials token may be asked for: ARM, and the AKS server application
# that AAD-integrated clusters accept (what `kubelogin` asks for).
AKS_AAD_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"
TOKEN_AUDIENCES = {*ARM_AUDIENCES, AKS_AAD_SERVER_APP, f"{AKS_AAD_SERVER_APP}/"}


def aad_error(
    emu: AzureEmulator, status: int, error: str, code: int, description: str
) -> JSONResponse:
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = now_iso(emu.clock.now())
    return JSONResponse(
        {
            "error": error,
            "error_description": (
                f"AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: "
                f"{correlation_id} Timestamp: {stamp[:19]}Z"
            ),
            "error_codes": [code],
            "timestamp": f"{stamp[:19]}Z",
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        },
        status_code=status,
    )


def _tenant_or_error(emu: AzureEmulator, tenant: str) -> str | JSONResponse:
    found = emu.find_tenant(tenant)
    if found is None:
        return aad_error(
            emu,
            400,
            "invalid_tenant",
            90002,
            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
            "are signing into the correct cloud. Check with your subscription administrator, "
            "this may happen if there are no active subscriptions for the tenant.",
        )
    return found.tenant_id


async def openid_configuration(emu: AzureEmulator, request: Request, tenant: str) -> Response:
    found = _tenant_or_error(emu, tenant)
    if isinstance(found, JSONResponse):
        return found
    base = f"{str(request.base_url).rstrip('/')}/{found}"
    return JSONResponse(
        {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
            "kerberos_endpoint": f"{base}/kerberos",
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }
    )


async def instance_discovery(emu: AzureEmulator, request: Request) -> Response:
    host = request.url.netloc
    base = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "tenant_discovery_endpoint": f"{base}/common/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [
                {"preferred_network": host, "preferred_cache": host, "aliases": [host]},
            ],
        }
    )


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def jwks(emu: AzureEmulator, request: Request) -> Response:
    numbers = emu.signing_key.public_key().public_numbers()
    return JSONResponse(
        {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "kid": emu.signing_key_id,
                    "n": _b64url_uint(numbers.n),
                    "e": _b64url_uint(numbers.e),
                }
            ]
        }
    )


async def token(emu: AzureEmulator, request: Request, tenant: str) -> Response:
    found = _tenant_or_error(emu, tenant)
    if isinstance(found, JSONResponse):
        return found
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
    grant_type = form.get("grant_type", "")
    if grant_type != "client_credentials":
        return aad_error(
            emu,
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{grant_type}'.",
        )
    client_id = form.get("client_id", "")
    client = emu.clients.get(client_id)
    if client is None or client.tenant_id != found:
        return aad_error(
            emu,
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{found}'. This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant. You may have "
            "sent your authentication request to the wrong tenant.",
        )
    secret = form.get("client_secret")
    if not secret or not any(secrets.compare_digest(secret, s) for s in client.secrets):
        return aad_error(
            emu,
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            f"client secret value, not the client secret ID, for a secret added to app "
            f"'{client_id}'.",
        )
    scopes = form.get("scope", "").split()
    defaults = [s for s in scopes if s.endswith("/.default")]
    if not defaults:
        return aad_error(
            emu,
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {' '.join(scopes)} is not valid. Client credential "
            "flows must have a scope value with /.default suffixed to the resource identifier "
            "(application ID URI).",
        )
    resource = defaults[0].removesuffix(".default")
    if resource not in TOKEN_AUDIENCES:
        return aad_error(
            emu,
            400,
            "invalid_resource",
            500011,
            f"The resource principal named {resource} was not found in the tenant named "
            f"{found}. This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant.",
        )
    now = int(emu.clock.now())
    lifetime = int(emu.token_lifetime)
    issuer = f"https://sts.windows.net/{found}/"
    claims: JSON = {
        "aud": resource.rstrip("/"),
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "aio": secrets.token_urlsafe(24),
        "appid": client.client_id,
        "appidacr": "1",
        "idp": issuer,
        "idtyp": "app",
        "oid": client.object_id,
        "rh": secrets.token_urlsafe(16),
        "sub": client.object_id,
        "tid": found,
        "uti": secrets.token_urlsafe(16),
        "ver": "1.0",
    }
    access_token = jwt.encode(
        claims, emu.signing_key, algorithm="RS256", headers={"kid": emu.signing_key_id}
    )
    return JSONResponse(
        {
            "token_type": "Bearer",
            "expires_in": lifetime - 1,
            "ext_expires_in": lifetime - 1,
            "access_token": access_token,
        },
        headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
    )


def describe_token(raw: str) -> JSON:
    """Claims without verification, for error messages."""
    try:
        payload = raw.split(".")[1]
        padded = payload + "=" * (-len(payload) % 4)
        result: JSON = json.loads(base64.urlsafe_b64decode(padded))
        return result
    except (IndexError, ValueError):
        return {}
