from __future__ import annotations

from pydantic import Field

from skyclust_common.settings import DatabaseServiceSettings


class IdentitySettings(DatabaseServiceSettings):
    token_issuer: str = "skyclust"
    token_audience: str = "skyclust-api"
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=900)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=300)
    stream_ticket_ttl_seconds: int = Field(default=60, ge=5, le=600)
    password_min_length: int = Field(default=10, ge=8)
