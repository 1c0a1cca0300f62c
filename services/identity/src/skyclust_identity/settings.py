from __future__ import annotations

import base64
import binascii

from pydantic import Field, SecretStr, model_validator

from skyclust_common.settings import DatabaseServiceSettings

from .domain.secret_box import SecretBox


class IdentitySettings(DatabaseServiceSettings):
    token_issuer: str = "skyclust"
    token_audience: str = "skyclust-api"
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=900)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=300)
    # A stream ticket lasts as long as its session, at most this long.
    stream_ticket_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=5, le=30 * 24 * 3600)
    password_min_length: int = Field(default=10, ge=8)
    login_window_seconds: int = Field(default=900, ge=10)
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_client: int = Field(default=20, ge=1)
    argon2_memory_kib: int = Field(default=19 * 1024, ge=1024)
    argon2_time_cost: int = Field(default=2, ge=1)
    # Where the links in account emails point: a page of the web client that posts
    # the token back to the API.
    account_link_base_url: str = Field(default="http://localhost:8000", pattern=r"^https?://")
    account_email_window_seconds: int = Field(default=3600, ge=10)
    account_emails_per_address: int = Field(default=5, ge=1)
    account_emails_per_client: int = Field(default=20, ge=1)
    # Keys that seal TOTP secrets at rest (JSON: version -> base64 of 32 bytes), and the
    # version new secrets are sealed with. Without them MFA answers MFA_UNAVAILABLE.
    mfa_keys: dict[str, SecretStr] = Field(default_factory=dict)
    mfa_active_key: str = Field(default="v1", pattern=r"^[A-Za-z0-9._-]{1,32}$")

    @model_validator(mode="after")
    def _mfa_keys(self) -> IdentitySettings:
        for version, key in self.mfa_keys.items():
            try:
                raw = base64.b64decode(key.get_secret_value(), validate=True)
            except binascii.Error:
                raise ValueError(f"mfa key {version} is not base64") from None
            if len(raw) != 32:
                raise ValueError(f"mfa key {version} must be 32 bytes (256 bits)")
        if self.mfa_keys and self.mfa_active_key not in self.mfa_keys:
            raise ValueError("mfa_active_key must name one of mfa_keys")
        return self

    def mfa_box(self) -> SecretBox | None:
        if not self.mfa_keys:
            return None
        keys = {v: base64.b64decode(k.get_secret_value()) for v, k in self.mfa_keys.items()}
        return SecretBox(keys, self.mfa_active_key)
