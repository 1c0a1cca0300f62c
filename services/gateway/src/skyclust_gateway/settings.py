from __future__ import annotations

from pydantic import Field

from skyclust_common.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(default=8080, ge=0, le=65535)
    token_issuer: str = "skyclust"
    token_audience: str = "skyclust-api"
    jwks_cache_seconds: float = Field(default=300, gt=0)
    # How long a verified access token is remembered (0: verify every request).
    token_cache_seconds: float = Field(default=30, ge=0)
    # How long the answer to a hot read (the cluster list, a cluster, its node groups)
    # may be served from memory while no event of its workspace says otherwise (0: off).
    read_cache_seconds: float = Field(default=1.0, ge=0)
    sse_heartbeat_seconds: float = Field(default=15, gt=0)
    # Events a stream may fall behind before it is closed (the client resumes).
    sse_buffer_events: int = Field(default=256, ge=1)
    # Streams resuming (replaying from JetStream) at once; past it, 503 STREAM_BUSY.
    sse_max_replays: int = Field(default=32, ge=1)
    sse_session_check_seconds: float = Field(default=60, gt=0)
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    cors_origins: list[str] = []
    access_token_ttl_seconds: int = Field(default=900, ge=30)
    redis_url: str | None = None
    rate_limit_per_client_per_minute: int = Field(default=1200, ge=1)
    rate_limit_per_workspace_per_minute: int = Field(default=3000, ge=1)
    # Idempotency-Key: how long an answer is kept, how long a running request holds its
    # key (a claim a crashed gateway left lapses then), and the keys one process keeps.
    idempotency_ttl_seconds: float = Field(default=86400, gt=0)
    idempotency_hold_seconds: float = Field(default=60, gt=0)
    idempotency_max_entries: int = Field(default=10_000, ge=1)
    # The Retry-After of a 202: when polling its Location is worth it.
    accepted_retry_after_seconds: int = Field(default=2, ge=1)
