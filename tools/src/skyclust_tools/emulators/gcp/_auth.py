"""Service-account keys, the OAuth token endpoint and bearer-token checks, as Google does them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .._core import JSON, random_digits
from ._common import GoogleError, Principal, ServiceAccountKey

if TYPE_CHECKING:
    from ._app import GcpEmulator

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_AUDIENCES = {
    "https://oauth2.googleapis.com/token",
    "https://www.googleapis.com/oauth2/v4/token",
    "https://accounts.google.com/o/oauth2/token",
}
MAX_ASSERTION_LIFETIME = 3600
CLOCK_SKEW = 300

_BAD_TIMEFRAME = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
    "timeframe. Check your iat and exp values in the JWT claim."
)
_INVALID_CREDENTIALS = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


@dataclass
class IssuedToken:
    principal: Principal
    expires_at: float


def create_service_account_key(
    emu: GcpEmulator, project_id: str, account: str, token_uri: str
) -> JSON:
    """A new key for ``account@project`` in the exact JSON layout the IAM console downloads."""
    project = emu.project(project_id, create=True)
    email = f"{account}@{project.project_id}.iam.gserviceaccount.com"
    client_id = emu.service_accounts.setdefault(email, random_digits(21))
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_id = secrets.token_hex(20)
    emu.keys[key_id] = ServiceAccountKey(
        key_id=key_id,
        project_id=project.project_id,
        email=email,
        client_id=client_id,
        public_key=private_key.public_key(),
        token_uri=token_uri,
    )
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": project.project_id,
        "private_key_id": key_id,
        "private_key": pem,
        "client_email": email,
        "client_id": client_id,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": (
            f"https://www.googleapis.com/robot/v1/metadata/x509/{quote(email, safe='')}"
        ),
        "universe_domain": "googleapis.com",
    }


class _JwtRejected(Exception):
    pass


def _verify_signed_jwt(emu: GcpEmulator, token: str) -> tuple[ServiceAccountKey, dict[str, Any]]:
    """Check a JWT signed with a service-account key: kid, signature, issuer, lifetime."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise _JwtRejected("Invalid JWT Signature.") from exc
    key = emu.keys.get(str(header.get("kid", "")))
    if key is None or key.disabled or header.get("alg") != "RS256":
        raise _JwtRejected("Invalid JWT Signature.")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.public_key,
            algorithms=["RS256"],
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_aud": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise _JwtRejected("Invalid JWT Signature.") from exc
    if claims.get("iss") != key.email:
        raise _JwtRejected("Invalid JWT: issuer does not match the signing key.")
    now = emu.clock.now()
    try:
        iat = float(claims["iat"])
        exp = float(claims["exp"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _JwtRejected(_BAD_TIMEFRAME) from exc
    if exp <= now or iat > now + CLOCK_SKEW or exp - iat > MAX_ASSERTION_LIFETIME:
        raise _JwtRejected(_BAD_TIMEFRAME)
    return key, claims


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def token_endpoint(emu: GcpEmulator, request: Request) -> Response:
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
    grant_type = form.get("grant_type", "")
    if grant_type != JWT_BEARER:
        return _oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
    assertion = form.get("assertion", "")
    try:
        key, claims = _verify_signed_jwt(emu, assertion)
    except _JwtRejected as exc:
        return _oauth_error("invalid_grant", str(exc))
    # google-auth always addresses assertions to Google's token URL, whatever token_uri says.
    audiences = GOOGLE_TOKEN_AUDIENCES | {key.token_uri, str(request.url.replace(query=""))}
    if claims.get("aud") not in audiences:
        return _oauth_error(
            "invalid_grant",
            "Invalid JWT: Failed audience check. The right audience is "
            "https://oauth2.googleapis.com/token",
        )
    scopes = str(claims.get("scope", "")).split()
    if not scopes:
        return _oauth_error("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
    access_token = "ya29.emu-" + secrets.token_urlsafe(48)
    lifetime = emu.token_lifetime
    emu.tokens[access_token] = IssuedToken(
        Principal(key.email, key.project_id, frozenset(scopes)), emu.clock.now() + lifetime
    )
    return JSONResponse(
        {"access_token": access_token, "expires_in": int(lifetime) - 1, "token_type": "Bearer"},
        headers={"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"},
    )


def _unauthenticated(message: str, info_reason: str) -> GoogleError:
    return GoogleError(
        401,
        message,
        info_reason=info_reason,
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def authenticate(emu: GcpEmulator, request: Request) -> Principal:
    """The caller behind ``Authorization: Bearer``: an issued access token or a self-signed JWT.

    google-auth sends self-signed JWTs straight to APIs when a GAPIC client gets
    service-account credentials (``always_use_jwt_access``), so both must work.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthenticated(_MISSING_CREDENTIALS, "CREDENTIALS_MISSING")
    token = token.strip()
    issued = emu.tokens.get(token)
    if issued is not None:
        if issued.expires_at <= emu.clock.now():
            raise _unauthenticated(_INVALID_CREDENTIALS, "ACCESS_TOKEN_EXPIRED")
        return issued.principal
    if token.count(".") != 2:
        raise _unauthenticated(_INVALID_CREDENTIALS, "ACCESS_TOKEN_TYPE_UNSUPPORTED")
    try:
        key, claims = _verify_signed_jwt(emu, token)
    except _JwtRejected as exc:
        raise _unauthenticated(_INVALID_CREDENTIALS, "ACCESS_TOKEN_TYPE_UNSUPPORTED") from exc
    if claims.get("sub", key.email) != key.email:
        raise _unauthenticated(_INVALID_CREDENTIALS, "ACCESS_TOKEN_TYPE_UNSUPPORTED")
    scopes = frozenset(str(claims.get("scope", "")).split())
    audience = claims.get("aud")
    if not scopes and not audience:
        raise _unauthenticated(_INVALID_CREDENTIALS, "ACCESS_TOKEN_TYPE_UNSUPPORTED")
    return Principal(
        key.email, key.project_id, scopes, str(audience) if audience and not scopes else None
    )


def authorize(principal: Principal, project_id: str, service: str, permission: str) -> None:
    write = not permission.endswith((".get", ".list"))
    if not principal.may_use(service, write=write):
        raise GoogleError(
            403,
            "Request had insufficient authentication scopes.",
            info_reason="ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        )
    if principal.project_id != project_id:
        raise GoogleError(
            403,
            f"Permission '{permission}' denied on resource 'projects/{project_id}' "
            "(or it may not exist).",
            info_reason="IAM_PERMISSION_DENIED",
        )
