"""The OIDC providers' settings: `SKYCLUST_OIDC_PROVIDERS`, checked at start so a bad
entry stops the service with the field named and the secret never echoed."""

from __future__ import annotations

import ipaddress
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint_url(url: str) -> str:
    """https, or http on this machine only (a local provider in development)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return url
    raise ValueError("must be an https:// URL (http:// only for localhost)")


ProviderName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class OidcProviderConfig(BaseModel):
    # The input is never echoed in errors: it may be the client secret.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    issuer: str = Field(min_length=1, max_length=1024)
    client_id: str = Field(min_length=1, max_length=512)
    client_secret: SecretStr
    scopes: tuple[str, ...] = ("openid", "email", "profile")

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        check_endpoint_url(value)
        if urlsplit(value).query or urlsplit(value).fragment:
            raise ValueError("an issuer has no query or fragment")
        return value

    @field_validator("client_secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("must not be empty")
        return value

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "openid" not in value:
            raise ValueError("must include openid")
        if any(not scope or " " in scope for scope in value):
            raise ValueError("each scope is one non-empty word")
        return value


class OidcSettings(BaseSettings):
    """`SKYCLUST_OIDC_PROVIDERS`: a JSON object `{name: {issuer, client_id,
    client_secret, scopes?}}`; empty means OIDC login is off."""

    model_config = SettingsConfigDict(
        env_prefix="SKYCLUST_", extra="ignore", hide_input_in_errors=True
    )

    oidc_providers: dict[ProviderName, OidcProviderConfig] = {}
    oidc_http_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
